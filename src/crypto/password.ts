import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import { hash as argon2Hash, verify as argon2Verify, type Options, parseOptions } from '@node-rs/argon2';

/** Argon2id cost parameters (RFC 9106, section 4). */
export interface Argon2Params {
  /** Memory per hash, in KiB (`m=` in the PHC string). */
  readonly memoryKiB: number;
  /** Passes over memory (`t=`). */
  readonly timeCost: number;
  /** Lanes (`p=`). */
  readonly parallelism: number;
}

/**
 * 19 MiB, 2 passes, 1 lane: the OWASP Password Storage Cheat Sheet's first argon2id setting,
 * about 30 ms per hash on a current server core.
 */
export const DEFAULT_ARGON2_PARAMS: Argon2Params = Object.freeze({
  memoryKiB: 19456,
  timeCost: 2,
  parallelism: 1,
});

export interface PasswordHasher {
  /** An argon2id PHC string for `password`, computed on the libuv thread pool. */
  hash(password: string): Promise<string>;
  /**
   * Whether `password` matches `hash` (argon2id/i/d PHC, or a legacy `$scrypt$` PHC string).
   * Resolves `false`, never rejects, for a malformed or unknown hash string and for a hash whose
   * cost is above the verification limit (see {@link createPasswordHasher}).
   */
  verify(hash: string, password: string): Promise<boolean>;
  /** Whether `hash` should be replaced by a fresh `hash()` after a successful login. */
  needsRehash(hash: string): boolean;
  /**
   * The same work as a real `verify` with the current parameters, against a dummy hash, always
   * `false`. Used when no account matches, so response timing does not reveal which emails exist.
   */
  verifyDummy(password: string): Promise<false>;
}

/** argon2 `Algorithm.Argon2id` and `Version.V0x13` (declared as const enums, so spelled here). */
/** Where argon2 runs: the libuv thread pool by default, or a hashing pool (accounts' hashing-pool.ts). */
export interface Argon2Runner {
  hash(password: string, options: Options): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

/** A hashing pool's queue is full: the caller should retry after {@link retryAfterSeconds}. */
export class HashingQueueFullError extends Error {
  override readonly name = 'HashingQueueFullError';
  readonly retryAfterSeconds = 1;
  constructor() {
    super('password hashing queue is full');
  }
}

/** argon2 on the libuv thread pool (`@node-rs/argon2`'s async calls). */
const LIBUV_ARGON2: Argon2Runner = Object.freeze({
  hash: (password: string, options: Options) => argon2Hash(password, options),
  verify: (hash: string, password: string) => argon2Verify(hash, password),
});

const ARGON2ID = 2 as Options['algorithm'];
const ARGON2_V13 = 1 as Options['version'];
/** Bytes of salt and of output we write; other lengths in a stored hash ask for a rehash. */
const SALT_BYTES = 16;
const OUTPUT_BYTES = 32;

/**
 * Longest password (UTF-16 code units) hashed or verified. The policy caps passwords far lower
 * (1024 code points); this bound only keeps absurd inputs away from the hash function.
 */
export const MAX_PASSWORD_LENGTH = 4096;

/**
 * Verification refuses stored hashes that cost more than this (or than the configured
 * parameters, when those are higher): a hash string with `m=4294967295` would otherwise make
 * one login allocate 4 GiB and kill the process. Imported hashes above it verify as `false`.
 */
const VERIFY_LIMITS = Object.freeze({ memoryKiB: 65536, timeCost: 16, parallelism: 16 });

const ARGON2_PHC = /^\$argon2(?:id|i|d)\$/;

/**
 * Builds the password hasher: argon2id through `@node-rs/argon2`, whose async calls run on the
 * libuv thread pool, so hashing never blocks the event loop.
 *
 * Passwords are normalised to Unicode NFC before hashing and verifying: the same password typed
 * on two systems can arrive as different code point sequences (macOS input methods produce
 * decomposed "é" = e + U+0301, most others the precomposed U+00E9), and without normalisation
 * the user could not log in from the other machine. NFC (not NFKC) is the form of RFC 8265's
 * OpaqueString profile: it merges only canonically equivalent sequences, so no distinct
 * characters are conflated and no entropy is lost. Hashes imported from systems that did not
 * normalise verify only for passwords already in NFC (every ASCII password is).
 *
 * Parameters are checked against argon2's own limits (TypeError otherwise); the production floor
 * is the configuration's concern.
 *
 * `runner` is where argon2 runs: the libuv thread pool by default, or a bounded hashing pool
 * (the accounts feature's `createArgon2Pool`), whose full queue rejects with `HashingQueueFullError` (never taken for a
 * wrong password).
 */
export function createPasswordHasher(
  params: Partial<Argon2Params> = {},
  runner: Argon2Runner = LIBUV_ARGON2,
): PasswordHasher {
  const cost = validateParams({ ...DEFAULT_ARGON2_PARAMS, ...params });
  const options: Options = {
    algorithm: ARGON2ID,
    version: ARGON2_V13,
    memoryCost: cost.memoryKiB,
    timeCost: cost.timeCost,
    parallelism: cost.parallelism,
    outputLen: OUTPUT_BYTES,
  };
  const limits = {
    memoryKiB: Math.max(VERIFY_LIMITS.memoryKiB, cost.memoryKiB),
    timeCost: Math.max(VERIFY_LIMITS.timeCost, cost.timeCost),
    parallelism: Math.max(VERIFY_LIMITS.parallelism, cost.parallelism),
  };
  let dummy: Promise<string> | undefined;

  const verifyArgon2 = async (hash: string, password: string): Promise<boolean> => {
    let stored: ReturnType<typeof parseOptions>;
    try {
      stored = parseOptions(hash);
    } catch {
      return false;
    }
    if (
      stored.memoryCost > limits.memoryKiB ||
      stored.timeCost > limits.timeCost ||
      stored.parallelism > limits.parallelism
    ) {
      return false;
    }
    try {
      return await runner.verify(hash, password);
    } catch (error) {
      if (error instanceof HashingQueueFullError) throw error;
      return false;
    }
  };

  return Object.freeze({
    async hash(password: string): Promise<string> {
      if (!isAcceptedPassword(password))
        throw new TypeError('password must be a string of at most 4096 characters');
      return runner.hash(password.normalize('NFC'), { ...options, salt: randomBytes(SALT_BYTES) });
    },

    async verify(hash: string, password: string): Promise<boolean> {
      if (typeof hash !== 'string' || hash.length > 512 || !isAcceptedPassword(password)) return false;
      const normalised = password.normalize('NFC');
      if (ARGON2_PHC.test(hash)) return verifyArgon2(hash, normalised);
      if (hash.startsWith('$scrypt$')) return verifyScryptPhc(hash, normalised);
      return false;
    },

    needsRehash(hash: string): boolean {
      if (typeof hash !== 'string' || !hash.startsWith('$argon2id$')) return true;
      try {
        const stored = parseOptions(hash);
        return (
          stored.algorithm !== ARGON2ID ||
          stored.version !== ARGON2_V13 ||
          stored.memoryCost !== cost.memoryKiB ||
          stored.timeCost !== cost.timeCost ||
          stored.parallelism !== cost.parallelism ||
          stored.outputLen !== OUTPUT_BYTES ||
          stored.saltLen < SALT_BYTES
        );
      } catch {
        return true;
      }
    },

    async verifyDummy(password: string): Promise<false> {
      // Built once, lazily: a random password nobody knows, hashed with the current parameters.
      dummy ??= runner
        .hash(randomBytes(32).toString('base64url'), {
          ...options,
          salt: randomBytes(SALT_BYTES),
        })
        .catch((error: unknown) => {
          dummy = undefined; // a failed build is retried next time rather than remembered
          throw error;
        });
      // The same early exit as `verify`, so an oversized password costs the same either way.
      if (!isAcceptedPassword(password)) return false;
      await verifyArgon2(await dummy, password.normalize('NFC'));
      return false;
    },
  });
}

function isAcceptedPassword(password: unknown): password is string {
  return typeof password === 'string' && password.length <= MAX_PASSWORD_LENGTH;
}

function validateParams(params: Argon2Params): Argon2Params {
  const { memoryKiB, timeCost, parallelism } = params;
  if (!Number.isInteger(parallelism) || parallelism < 1 || parallelism > 255) {
    throw new TypeError('argon2 parallelism must be an integer from 1 to 255');
  }
  // RFC 9106 §3.1: at least 8 KiB per lane; 4 GiB is the most one hash may sensibly take.
  if (!Number.isInteger(memoryKiB) || memoryKiB < 8 * parallelism || memoryKiB > 4 * 1024 * 1024) {
    throw new TypeError('argon2 memoryKiB must be an integer from 8 × parallelism to 4194304');
  }
  if (!Number.isInteger(timeCost) || timeCost < 1 || timeCost > 64) {
    throw new TypeError('argon2 timeCost must be an integer from 1 to 64');
  }
  return Object.freeze({ memoryKiB, timeCost, parallelism });
}

// ---------------------------------------------------------------------------------------------
// Legacy import path: scrypt PHC strings, `$scrypt$ln=<log2 N>,r=<r>,p=<p>$<salt>$<hash>` with
// unpadded standard base64 (the form passlib and other PHC writers use). Verified with
// node:crypto scrypt, which also runs on the libuv pool; `needsRehash` is always true for them.
// ---------------------------------------------------------------------------------------------

const SCRYPT_PHC =
  /^\$scrypt\$ln=([1-9][0-9]?),r=([1-9][0-9]?),p=([1-9][0-9]?)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;
/** 128 · N · r bytes of memory at most (64 MiB: ln=16, r=8), like the argon2 verification limit. */
const SCRYPT_MAX_MEMORY = 64 * 1024 * 1024;
const SCRYPT_MAX_P = 16;

async function verifyScryptPhc(phc: string, password: string): Promise<boolean> {
  const match = SCRYPT_PHC.exec(phc);
  if (!match) return false;
  const ln = Number(match[1]);
  const r = Number(match[2]);
  const p = Number(match[3]);
  const salt = decodePhcBase64(match[4]!);
  const expected = decodePhcBase64(match[5]!);
  if (!salt || !expected || expected.length < 16 || expected.length > 64 || salt.length > 64) return false;
  const N = 2 ** ln;
  const memory = 128 * N * r;
  if (ln > 20 || memory > SCRYPT_MAX_MEMORY || p > SCRYPT_MAX_P) return false;
  const options: ScryptOptions = { N, r, p, maxmem: memory + 1024 * 1024 };
  const actual = await new Promise<Buffer | null>((resolve) => {
    scrypt(password, salt, expected.length, options, (error, key) => resolve(error ? null : key));
  });
  return actual !== null && timingSafeEqual(actual, expected);
}

/** Strict unpadded standard base64 (PHC "B64"): canonical encodings only, else `null`. */
function decodePhcBase64(text: string): Buffer | null {
  if (text.length % 4 === 1) return null;
  const bytes = Buffer.from(text, 'base64');
  return bytes.toString('base64').replace(/=+$/, '') === text ? bytes : null;
}
