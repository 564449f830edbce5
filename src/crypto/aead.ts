import { createCipheriv, createDecipheriv, type KeyObject, randomBytes } from 'node:crypto';

/**
 * Authenticated encryption of secrets that must be recovered later (TOTP seeds, provider
 * tokens): AES-256-GCM with prepared `KeyObject`s, in a self-describing envelope
 *
 *     v1.<keyId>.<nonce>.<ciphertext+tag>
 *
 * where the nonce (12 random bytes) and the ciphertext followed by its 16-byte tag are
 * base64url without padding. The key id names the master secret the key was derived from, so
 * old envelopes keep decrypting after a new key becomes active, and a rotation tool can find
 * what is still under an old key.
 *
 * Associated data binds a ciphertext to where it is stored (`gatehouse:users.totp_secret:<id>`):
 * a value copied to another row, or another column, fails authentication. The version and key
 * id are authenticated too, so neither can be swapped in a stored envelope.
 *
 * Random 96-bit nonces are safe for far more than 2^32 encryptions per key before the
 * collision risk matters (NIST SP 800-38D §8.3); each master secret encrypts a few values per
 * user, and rotation replaces it long before that.
 */

/** One encryption key: `id` is written into every envelope it makes. */
export interface AeadKey {
  readonly id: string;
  /** A 32-byte secret `KeyObject` (AES-256). */
  readonly key: KeyObject;
}

/** Where an AEAD finds its keys (a keyring's `secret-encryption` purpose keys, for example). */
export interface AeadKeys {
  /** The key that encrypts new values. */
  active(): AeadKey;
  /** The key an envelope names, or `null` when it is no longer in the ring. */
  byId(id: string): AeadKey | null;
}

export interface Aead {
  /**
   * Encrypts with the active key under a fresh random nonce and returns the envelope. A string
   * is encrypted as its UTF-8 bytes. `aad` says where the value will be stored.
   */
  encrypt(plaintext: Uint8Array | string, aad: string): string;
  /**
   * Decrypts an envelope made for the same `aad`, with the key it names. Throws an
   * {@link AeadError}: `malformed`, `unknown_key` or `failed` (wrong key, wrong `aad`, tampered).
   */
  decrypt(envelope: string, aad: string): Buffer;
  /** The key id an envelope names, without decrypting it. Throws `AeadError('malformed')`. */
  keyIdOf(envelope: string): string;
}

/** Why an envelope was refused. */
export type AeadErrorReason = 'malformed' | 'unknown_key' | 'failed';

/** One fixed message per reason: never the envelope, the plaintext or the associated data. */
const MESSAGES: Readonly<Record<AeadErrorReason, string>> = Object.freeze({
  malformed: 'the value is not a well-formed encrypted envelope',
  unknown_key: 'the encrypted value names a key that is not in the keyring',
  failed: 'the encrypted value failed authentication (wrong key, wrong location or tampered)',
});

/** An envelope could not be decrypted; `reason` says why. */
export class AeadError extends Error {
  override readonly name = 'AeadError';
  readonly reason: AeadErrorReason;

  constructor(reason: AeadErrorReason) {
    super(MESSAGES[reason]);
    this.reason = reason;
  }
}

/** Whether `value` is an {@link AeadError} (also across module copies). */
export function isAeadError(value: unknown): value is AeadError {
  return (
    value instanceof AeadError || (value instanceof Error && value.name === 'AeadError' && 'reason' in value)
  );
}

const VERSION = 'v1';
const CIPHER = 'aes-256-gcm';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Key ids are short labels without dots (the envelope's separator). */
const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]*$/;

interface ParsedEnvelope {
  readonly keyId: string;
  readonly nonce: Buffer;
  readonly sealed: Buffer;
}

/**
 * Strict base64url: the alphabet only, no padding, and canonical (the unused low bits of the
 * last character are zero), so each byte string has exactly one accepted spelling.
 */
function decodeBase64Url(text: string): Buffer | null {
  if (!BASE64URL_PATTERN.test(text) || text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : null;
}

function parseEnvelope(envelope: string): ParsedEnvelope {
  if (typeof envelope !== 'string') throw new AeadError('malformed');
  const parts = envelope.split('.');
  if (parts.length !== 4) throw new AeadError('malformed');
  const [version, keyId, nonceText, sealedText] = parts as [string, string, string, string];
  if (version !== VERSION || !KEY_ID_PATTERN.test(keyId)) throw new AeadError('malformed');
  const nonce = decodeBase64Url(nonceText);
  const sealed = decodeBase64Url(sealedText);
  if (nonce === null || nonce.length !== NONCE_BYTES) throw new AeadError('malformed');
  if (sealed === null || sealed.length < TAG_BYTES) throw new AeadError('malformed');
  return { keyId, nonce, sealed };
}

/**
 * The bytes GCM authenticates besides the ciphertext: a label, the version, the key id
 * (length-prefixed) and the caller's location string. Every field but the last has a fixed
 * or stated length, so two different (key id, location) pairs never give the same bytes.
 */
function associatedData(keyId: string, aad: string): Buffer {
  return Buffer.from(`gatehouse-aead:${VERSION}:${keyId.length}:${keyId}:${aad}`, 'utf8');
}

function checkKey(found: AeadKey, expectedId?: string): KeyObject {
  if (!KEY_ID_PATTERN.test(found.id))
    throw new TypeError('AEAD key ids are 1–64 characters of A–Z a–z 0–9 _ -');
  if (expectedId !== undefined && found.id !== expectedId)
    throw new TypeError('the keyring answered another key id');
  if (found.key.type !== 'secret' || found.key.symmetricKeySize !== KEY_BYTES) {
    throw new TypeError('AEAD keys must be 32-byte secret KeyObjects');
  }
  return found.key;
}

function checkAad(aad: string): void {
  if (typeof aad !== 'string' || aad.length === 0)
    throw new TypeError('associated data must be a non-empty string');
}

/**
 * Builds an AES-256-GCM encrypter over a set of keys.
 *
 * @example
 * const aead = createAead({
 *   active: () => keyring.active('secret-encryption'),
 *   byId: (id) => keyring.byId('secret-encryption', id),
 * });
 * const stored = aead.encrypt(seed, `gatehouse:users.totp_secret:${userId}`);
 * const seedAgain = aead.decrypt(stored, `gatehouse:users.totp_secret:${userId}`);
 */
export function createAead(keys: AeadKeys): Aead {
  return Object.freeze({
    encrypt(plaintext: Uint8Array | string, aad: string): string {
      checkAad(aad);
      let data: Uint8Array;
      if (typeof plaintext === 'string') data = Buffer.from(plaintext, 'utf8');
      else if (plaintext instanceof Uint8Array) data = plaintext;
      else throw new TypeError('only bytes or strings can be encrypted');
      const active = keys.active();
      const key = checkKey(active);
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(associatedData(active.id, aad));
      const sealed = Buffer.concat([cipher.update(data), cipher.final(), cipher.getAuthTag()]);
      return `${VERSION}.${active.id}.${nonce.toString('base64url')}.${sealed.toString('base64url')}`;
    },

    decrypt(envelope: string, aad: string): Buffer {
      checkAad(aad);
      const { keyId, nonce, sealed } = parseEnvelope(envelope);
      const found = keys.byId(keyId);
      if (found === null) throw new AeadError('unknown_key');
      const key = checkKey(found, keyId);
      const decipher = createDecipheriv(CIPHER, key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(associatedData(keyId, aad));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      // `update` hands out plaintext before the tag is checked in `final`; that buffer is
      // wiped either way, and only a copy made after a successful check is returned.
      const unverified = decipher.update(sealed.subarray(0, sealed.length - TAG_BYTES));
      try {
        return Buffer.concat([unverified, decipher.final()]);
      } catch {
        throw new AeadError('failed');
      } finally {
        unverified.fill(0);
      }
    },

    keyIdOf: envelopeKeyId,
  });
}

/**
 * The key id an envelope names, checking its whole shape (version, base64url parts, nonce and
 * tag lengths) but no key: what tools that count envelopes per key need, with no keyring.
 * Throws `AeadError('malformed')`.
 */
export function envelopeKeyId(envelope: string): string {
  return parseEnvelope(envelope).keyId;
}
