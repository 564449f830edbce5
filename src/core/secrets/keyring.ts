import type { KeyObject } from 'node:crypto';
import { derivePurposeKey } from '../../crypto/derive-key.ts';

/** One master secret of the ring. `id` is written next to everything it signs or encrypts. */
export interface SecretEntry {
  readonly id: string;
  readonly secret: string;
}

export interface PurposeKey {
  /** Id of the master secret this key was derived from. */
  readonly id: string;
  readonly key: KeyObject;
}

/**
 * The master-secret keyring. The first entry is active (signs and encrypts new material); the
 * others only verify or decrypt what they made, so rotation is "prepend a new secret, keep the
 * old one until its tokens and ciphertexts are gone".
 *
 * Purpose keys are derived with HKDF per (secret, purpose) and memoised, so each `KeyObject`
 * is built exactly once per process.
 */
export interface Keyring {
  readonly activeId: string;
  readonly ids: readonly string[];
  /** The active key for a purpose (sign, encrypt, digest new values). */
  active(purpose: string): PurposeKey;
  /** Every key for a purpose, active first (verify values made before a rotation). */
  all(purpose: string): readonly PurposeKey[];
  /** The key made from secret `id`, or `null` when that secret is no longer in the ring. */
  byId(purpose: string, id: string): PurposeKey | null;
}

/** Purposes derived eagerly at startup; later features add theirs to this list. */
export const CORE_KEY_PURPOSES = [
  'access-token',
  'verify-token',
  'refresh-digest',
  'identifier-digest',
  'ip-hash',
  'email-binding',
  'ratelimit-key',
  'reset-token',
  'email-change-token',
  'session-digest',
  'access-digest',
  'csrf-token',
  'secret-encryption',
] as const;

export function createKeyring(
  entries: readonly SecretEntry[],
  options: { eagerPurposes?: readonly string[] } = {},
): Keyring {
  const first = entries[0];
  if (!first) throw new TypeError('the keyring needs at least one secret');
  const masters = new Map(entries.map((e) => [e.id, new TextEncoder().encode(e.secret)] as const));
  if (masters.size !== entries.length) throw new TypeError('secret ids must be unique');
  const cache = new Map<string, PurposeKey>();

  const byId = (purpose: string, id: string): PurposeKey | null => {
    const cacheKey = `${id}\u0000${purpose}`;
    const cached = cache.get(cacheKey);
    if (cached) return cached;
    const master = masters.get(id);
    if (!master) return null;
    const made = Object.freeze({ id, key: derivePurposeKey(master, purpose) });
    cache.set(cacheKey, made);
    return made;
  };

  const keyring: Keyring = Object.freeze({
    activeId: first.id,
    ids: Object.freeze(entries.map((e) => e.id)),
    active: (purpose: string) => byId(purpose, first.id)!,
    all: (purpose: string) => Object.freeze(entries.map((e) => byId(purpose, e.id)!)),
    byId,
  });
  for (const purpose of options.eagerPurposes ?? CORE_KEY_PURPOSES) keyring.all(purpose);
  return keyring;
}
