import type { Keyring } from '../core/index.ts';
import { type Aead, createAead } from '../crypto/aead.ts';
import { createDigester, type Digester, type DigestKey } from '../crypto/digest.ts';
import { createJwtCodec, deriveJwtKey, type JwtAlgorithm, type JwtCodec } from '../crypto/jwt/index.ts';

/** Keys derived from the master secrets, by purpose label: each use has its own key. */
/** Purpose of the keys that encrypt stored secrets (rotated by `gatehouse keys`); no feature declares it. */
export const STORED_SECRETS_PURPOSE = 'secret-encryption';

export interface FeatureKeys {
  readonly keyring: Keyring;
  /** Seals secrets stored in the database (TOTP seeds, signing secrets, provider tokens). */
  readonly storedSecrets: Aead;
  /** Keyed digests under the active key, checked against any key of the ring. */
  digester(purpose: string): Digester;
  /** One digester per key of the ring, active first (look a value up under every key). */
  digestersPerKey(purpose: string): readonly Digester[];
  /** AES-256-GCM envelopes under the active key, opened with whichever key sealed them. */
  aead(purpose: string): Aead;
  /** A JWT codec whose signing keys are seeded by the purpose keys (rotation follows the ring). */
  jwt(purpose: string, algorithm: JwtAlgorithm, issuer: string, leewaySeconds: number): JwtCodec;
}

export function featureKeys(keyring: Keyring): FeatureKeys {
  const aead = (purpose: string): Aead =>
    createAead({ active: () => keyring.active(purpose), byId: (id) => keyring.byId(purpose, id) });
  return Object.freeze({
    keyring,
    storedSecrets: aead(STORED_SECRETS_PURPOSE),
    digester: (purpose: string) =>
      createDigester({
        active: (): DigestKey => keyring.active(purpose),
        byId: (id: string): DigestKey | null => keyring.byId(purpose, id),
      }),
    digestersPerKey: (purpose: string) =>
      keyring
        .all(purpose)
        .map((k) => createDigester({ active: () => k, byId: (id) => (id === k.id ? k : null) })),
    aead,
    jwt(purpose: string, algorithm: JwtAlgorithm, issuer: string, leewaySeconds: number): JwtCodec {
      // The derived purpose key's 32 bytes seed the signing key, so every worker with the same
      // secrets derives the same key pair, and rotation follows the secret ring.
      const keys = keyring
        .all(purpose)
        .map((k) =>
          deriveJwtKey(algorithm, new Uint8Array(k.key.export()), `${k.id}-${algorithm.toLowerCase()}`),
        );
      return createJwtCodec({ algorithm, keys, issuer, leewaySeconds });
    },
  });
}
