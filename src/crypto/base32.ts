/**
 * Base32 as RFC 4648 section 6 defines it: the alphabet authenticator apps expect for TOTP
 * secrets in `otpauth://` URIs and for manual entry.
 *
 * @see https://www.rfc-editor.org/rfc/rfc4648#section-6
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** Value of each character code (upper and lower case), or -1 outside the alphabet. */
const VALUES: Int8Array = (() => {
  const values = new Int8Array(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) {
    values[ALPHABET.charCodeAt(i)] = i;
    values[ALPHABET.toLowerCase().charCodeAt(i)] = i;
  }
  return values;
})();

/**
 * Every length of unpadded base32 that a whole number of bytes can produce, modulo 8 (a final
 * group of 1, 2, 3, 4 or 5 bytes gives 2, 4, 5, 7 or 8 characters).
 */
const VALID_REMAINDERS = new Set([0, 2, 4, 5, 7]);

/**
 * Encodes bytes as RFC 4648 base32: upper case, without `=` padding (the form `otpauth://`
 * URIs use and authenticator apps accept).
 *
 * @throws {TypeError} when `bytes` is not a `Uint8Array` (a `Buffer` is one).
 */
export function base32Encode(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('base32Encode expects a Uint8Array');
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    // At most 4 bits stay behind after each step, so `buffer` never exceeds 12 bits.
    buffer = ((buffer << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >>> bits) & 31];
    }
  }
  // The last character carries the remaining bits followed by zero bits.
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes RFC 4648 base32. Forgiving about what people type or copy: lower case, spaces
 * anywhere (secrets are often shown in groups of four) and `=` padding at the end. Strict about
 * everything else, so one secret has only one spelling: any other character, a length no
 * encoding produces, padding that is not exactly what the length needs, and non-zero bits in
 * the last character are refused.
 *
 * @throws {TypeError} with a message that never repeats the input (it is usually a secret).
 */
export function base32Decode(text: string): Buffer {
  if (typeof text !== 'string') throw new TypeError('base32Decode expects a string');
  const compact = text.replaceAll(' ', '');
  const firstPad = compact.indexOf('=');
  const data = firstPad === -1 ? compact : compact.slice(0, firstPad);
  const padding = compact.length - data.length;

  if (padding > 0) {
    if (!/^=+$/.test(compact.slice(firstPad)))
      throw new TypeError('base32 text may only hold = padding at its end');
    if (compact.length % 8 !== 0 || padding >= 8)
      throw new TypeError('base32 padding does not match the length of the text');
  }

  const out = Buffer.alloc(Math.floor((data.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let index = 0;
  for (let i = 0; i < data.length; i++) {
    const code = data.charCodeAt(i);
    const value = code < 128 ? VALUES[code]! : -1;
    if (value < 0) throw new TypeError('base32 text holds a character outside the RFC 4648 alphabet');
    // At most 7 bits stay behind after each step, so `buffer` never exceeds 12 bits.
    buffer = ((buffer << 5) | value) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[index++] = (buffer >>> bits) & 0xff;
    }
  }
  if (!VALID_REMAINDERS.has(data.length % 8))
    throw new TypeError('base32 text has a length that no sequence of bytes encodes to');
  // Bits left over after the last whole byte must be zero, as an encoder writes them.
  if ((buffer & ((1 << bits) - 1)) !== 0)
    throw new TypeError('base32 text has non-zero bits after its last byte');
  return out;
}
