import { randomBytes } from 'node:crypto';

/** `n` bytes from the operating system's CSPRNG, encoded as unpadded base64url. */
export function randomBase64Url(byteLength: number): string {
  return randomBytes(byteLength).toString('base64url');
}

/**
 * A fresh master secret: 256 random bits as base64url (43 characters), the form
 * `gatehouse generate-secret` prints and the keyring accepts.
 */
export function generateSecret(): string {
  return randomBase64Url(32);
}
