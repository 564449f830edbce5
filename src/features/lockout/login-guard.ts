import type { LoginGuard } from '../../core/index.ts';
import { coreError } from '../../core/index.ts';
import type { CounterStore, KeyValueStore } from '../../stores/contract.ts';

export interface LockoutPolicy {
  /** Failures per identifier within `windowSeconds` that lock it. @default 5 */
  readonly maxFailures: number;
  /** @default 900 (15 minutes) */
  readonly windowSeconds: number;
  /** First lock; each further lock within a day doubles it. @default 60 */
  readonly baseLockSeconds: number;
  /** @default 900 */
  readonly maxLockSeconds: number;
  /** Failures from one address (any identifier) within the window that lock the address. @default 100 */
  readonly ipMaxFailures: number;
  /** How long a successful sign-in keeps an address known for that identifier. @default 30 */
  readonly knownDeviceDays: number;
}

export interface LoginGuardOptions {
  readonly policy: LockoutPolicy;
  readonly counters: CounterStore;
  readonly keyValue: KeyValueStore;
  /** Keyed digest of a subject: typed emails never reach the store as is. */
  readonly subjectDigest: (subject: string) => string;
  readonly now?: () => number;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Lockout against password guessing, counted in the shared stores so every worker agrees.
 *
 * - Failures are counted per identifier (whether or not an account exists) and per address.
 * - `maxFailures` within the window lock the identifier for `baseLockSeconds`, doubling with
 *   each further lock within a day, capped at `maxLockSeconds`; while locked even the right
 *   password answers 429.
 * - The way out for the real user: an address that signed in successfully for this identifier
 *   before (a known device) keeps its own budget of `maxFailures` per window while the
 *   identifier is locked, and a password reset lifts the lock (`clear`).
 */
export function createLoginGuard(options: LoginGuardOptions): LoginGuard {
  const { policy, counters, keyValue } = options;
  const now = options.now ?? Date.now;
  const windowMs = policy.windowSeconds * 1000;
  const key = {
    failures: (id: string) => `lo:f:${options.subjectDigest(`id\u0000${id}`)}`,
    lock: (id: string) => `lo:l:${options.subjectDigest(`id\u0000${id}`)}`,
    level: (id: string) => `lo:n:${options.subjectDigest(`id\u0000${id}`)}`,
    ipFailures: (ip: string) => `lo:if:${options.subjectDigest(`ip\u0000${ip}`)}`,
    ipLock: (ip: string) => `lo:il:${options.subjectDigest(`ip\u0000${ip}`)}`,
    device: (id: string, ip: string) => `lo:d:${options.subjectDigest(`dev\u0000${id}\u0000${ip}`)}`,
    deviceFailures: (id: string, ip: string) => `lo:df:${options.subjectDigest(`dev\u0000${id}\u0000${ip}`)}`,
  };

  const lockedFor = (until: string | null, at: number): number => {
    const ms = until === null ? 0 : Number(until) - at;
    return Number.isFinite(ms) && ms > 0 ? ms : 0;
  };
  const refuse = (ms: number) =>
    coreError('RATE_LIMITED', { retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) });

  async function lock(lockKey: string, ms: number, at: number): Promise<void> {
    await keyValue.set(lockKey, String(at + ms), ms);
  }

  return {
    async check(identifier, clientIp) {
      const at = now();
      const [ipUntil, idUntil] = await Promise.all([
        keyValue.get(key.ipLock(clientIp)),
        keyValue.get(key.lock(identifier)),
      ]);
      const ipMs = lockedFor(ipUntil, at);
      if (ipMs > 0) throw refuse(ipMs);
      const idMs = lockedFor(idUntil, at);
      if (idMs === 0) return;
      // Locked: only a known device with budget left may still try.
      const [known, deviceFailures] = await Promise.all([
        keyValue.get(key.device(identifier, clientIp)),
        counters.peek(key.deviceFailures(identifier, clientIp)),
      ]);
      if (known === null || deviceFailures >= policy.maxFailures) throw refuse(idMs);
    },

    async recordFailure(identifier, clientIp) {
      const at = now();
      const ipCount = await counters.increment(key.ipFailures(clientIp), windowMs);
      if (ipCount.value === policy.ipMaxFailures) await lock(key.ipLock(clientIp), ipCount.ttlMs, at);
      if (lockedFor(await keyValue.get(key.lock(identifier)), at) > 0) {
        // A known device trying while the identifier is locked spends its own budget and
        // does not make the lock longer for the real user.
        await counters.increment(key.deviceFailures(identifier, clientIp), windowMs);
        return;
      }
      const failures = await counters.increment(key.failures(identifier), windowMs);
      if (failures.value < policy.maxFailures) return;
      const level = await counters.increment(key.level(identifier), DAY_MS);
      const ms = Math.min(
        policy.baseLockSeconds * 1000 * 2 ** (level.value - 1),
        policy.maxLockSeconds * 1000,
      );
      await lock(key.lock(identifier), ms, at);
      await counters.reset(key.failures(identifier));
    },

    async recordSuccess(identifier, clientIp) {
      await Promise.all([
        counters.reset(key.failures(identifier)),
        counters.reset(key.level(identifier)),
        counters.reset(key.deviceFailures(identifier, clientIp)),
        keyValue.set(key.device(identifier, clientIp), '1', policy.knownDeviceDays * DAY_MS),
      ]);
    },

    async clear(identifier) {
      await Promise.all([
        keyValue.delete(key.lock(identifier)),
        counters.reset(key.failures(identifier)),
        counters.reset(key.level(identifier)),
      ]);
    },
  };
}
