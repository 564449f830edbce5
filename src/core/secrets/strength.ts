/**
 * Rejects master secrets that cannot carry 256 bits: too short for their alphabet, or obviously
 * not random (one repeated pattern, a run of consecutive characters, too few distinct symbols).
 * The checks never echo the secret back.
 */

const MIN_BITS = 256;
export const HOW_TO_GENERATE =
  'generate one with `npx gatehouse generate-secret` (or `openssl rand -base64 32`)';

/** Bits per character a uniformly random string over the detected alphabet would carry. */
function bitsPerChar(secret: string): number {
  if (/^[0-9a-fA-F]+$/.test(secret)) return 4;
  if (/^[A-Za-z0-9+/_-]+=*$/.test(secret)) return 6;
  return Math.log2(95); // printable ASCII and beyond: be generous, the other checks still apply
}

function shannonBitsPerChar(chars: readonly string[]): number {
  const counts = new Map<string, number>();
  for (const c of chars) counts.set(c, (counts.get(c) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) {
    const p = n / chars.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

function isRepeatedPattern(secret: string): boolean {
  // A string equal to itself rotated by k (< length) is a repetition of a shorter unit.
  return (secret + secret).indexOf(secret, 1) < secret.length;
}

function sequentialShare(chars: readonly string[]): number {
  let steps = 0;
  for (let i = 1; i < chars.length; i++) {
    const d = chars[i]!.codePointAt(0)! - chars[i - 1]!.codePointAt(0)!;
    if (d === 1 || d === -1 || d === 0) steps++;
  }
  return chars.length > 1 ? steps / (chars.length - 1) : 1;
}

/** The problem with a secret, phrased for an operator, or `null` when it is acceptable. */
export function secretWeakness(secret: string): string | null {
  const chars = [...secret];
  const capacity = Math.floor(chars.length * bitsPerChar(secret));
  if (capacity < MIN_BITS) {
    return `secret is too short to carry ${MIN_BITS} bits (${chars.length} characters); ${HOW_TO_GENERATE}`;
  }
  if (
    isRepeatedPattern(secret) ||
    new Set(chars).size < 12 ||
    shannonBitsPerChar(chars) < 3 ||
    sequentialShare(chars) > 0.5
  ) {
    return `secret looks low-entropy (repeated or predictable characters); ${HOW_TO_GENERATE}`;
  }
  return null;
}
