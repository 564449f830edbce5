import { randomBytes } from 'node:crypto';

/** An opaque bearer token: a public id (to find the record) and a secret (stored as a digest). */
export interface OpaqueToken {
  /** Looks the record up; not secret. */
  readonly id: string;
  /** 256 random bits, base64url; only its keyed digest is ever stored. */
  readonly secret: string;
  /** What the client holds: `${id}.${secret}`. */
  readonly token: string;
}

/** Ids are plain labels (UUIDs, short ids): no dot, which separates the two parts. */
const ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
/** 32 bytes as base64url: 43 characters, the last one carrying 2 zero bits. */
const SECRET_PATTERN = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
/** Longest token `parseOpaqueToken` reads. */
export const MAX_OPAQUE_TOKEN_LENGTH = 256;

/** A new token for the record `id`, with a fresh 256-bit secret from the OS CSPRNG. */
export function newOpaqueToken(id: string): OpaqueToken {
  if (typeof id !== 'string' || !ID_PATTERN.test(id)) {
    throw new TypeError('opaque token ids are 1–128 characters of A–Z, a–z, 0–9, _ or -');
  }
  const secret = randomBytes(32).toString('base64url');
  return Object.freeze({ id, secret, token: `${id}.${secret}` });
}

/**
 * Splits a presented token into id and secret, or `null` for anything that is not exactly the
 * shape `newOpaqueToken` makes (length checked before any other work). Never throws, so any
 * client input can be passed straight in.
 */
export function parseOpaqueToken(token: string): { id: string; secret: string } | null {
  if (typeof token !== 'string' || token.length > MAX_OPAQUE_TOKEN_LENGTH) return null;
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  const id = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  if (!ID_PATTERN.test(id) || !SECRET_PATTERN.test(secret)) return null;
  return { id, secret };
}
