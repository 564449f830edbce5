import { randomBytes } from 'node:crypto';

/** Codes handed out at a time. */
export const RECOVERY_CODE_COUNT = 10;

/** Crockford-style alphabet without look-alikes (no I, L, O, U): 32 symbols, 5 bits each. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** 25 symbols × 5 bits = 125 bits per code (≥ 112 asked for), shown as five groups of five. */
const SYMBOLS = 25;
const GROUP = 5;

/**
 * Fresh recovery codes, e.g. `7QK2M-…` (five groups of five). Each comes from the OS CSPRNG
 * (one byte per symbol, masked to 5 bits: 256 is a multiple of 32, so no bias).
 */
export function newRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  return Array.from({ length: count }, () => {
    const bytes = randomBytes(SYMBOLS);
    let code = '';
    for (let i = 0; i < SYMBOLS; i++) {
      if (i > 0 && i % GROUP === 0) code += '-';
      code += ALPHABET[(bytes[i] as number) & 31];
    }
    return code;
  });
}

/**
 * The canonical form a code is digested in: upper case, separators and spaces removed, and the
 * look-alikes people type (`O`, `I`, `L`) mapped to the digits they stand for. `null` when the
 * input cannot be a recovery code, so nothing else reaches the database.
 */
export function normalizeRecoveryCode(input: string): string | null {
  if (input.length > 64) return null;
  const canonical = input.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (canonical.length !== SYMBOLS) return null;
  for (const symbol of canonical) if (!ALPHABET.includes(symbol)) return null;
  return canonical;
}
