import type { AuditLog, GuardedAttempt, GuardedSubject, LoginGuard, RequestMeta } from '../../core/index.ts';
import { coreError } from '../../core/index.ts';
import type { CounterReservation, CounterStore, KeyValueStore } from '../../stores/contract.ts';

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
  /** Records `lockout.identifier_locked` and `lockout.address_locked` (a 2FA lock is the 2FA feature's). */
  readonly audit: AuditLog;
}

const DAY_MS = 24 * 3600 * 1000;

/** A subject's store keys: its failure budget and its lock level. */
type SubjectKeys = { readonly budget: string; readonly level: string };
/** A subject's keys for one address: the known-device marker and that device's own budget. */
type DeviceKeys = { readonly device: string; readonly deviceBudget: string };

/** Which budget an attempt was paid from. */
type Reservation = { readonly budget: 'subject' | 'device'; readonly value: number };

/**
 * Lockout against guessing, counted in the shared stores so every worker agrees.
 *
 * Every attempt is paid for before the secret is checked: one unit of the address's budget
 * (`ipMaxFailures`) and one of the subject's (`maxFailures`), each taken by `reserve`, which
 * checks and counts in one atomic step. So however many guesses arrive at once, on however
 * many workers, at most the budget of them is ever checked; the rest answer 429 unchecked.
 *
 * - A success gives the units back (the subject's failures reset, as after any success); a
 *   failure leaves them spent. The failure that spends the subject's last unit locks it: the
 *   spent budget is held for `baseLockSeconds`, doubling with each further lock within a day,
 *   capped at `maxLockSeconds`; then a fresh budget starts. While locked even the right
 *   secret answers 429.
 * - An address whose budget is spent is refused until its window ends.
 * - The way out for the real user: an address that signed in successfully for this subject
 *   before (a known device) keeps its own budget of `maxFailures` per window while the subject
 *   is locked (its failures do not lengthen the lock), and a password reset lifts the lock
 *   (`clear`).
 * - A reservation whose attempt never reports (a crashed process) stays spent until its
 *   window ends: fail closed.
 *
 * Subjects are login identifiers (typed emails, counted whether or not an account has them)
 * and users' second factors, in separate key spaces: no typed identifier can name a user's
 * 2FA budget.
 */
export function createLoginGuard(options: LoginGuardOptions): LoginGuard {
  const { policy, counters, keyValue, audit } = options;
  const windowMs = policy.windowSeconds * 1000;
  const maxLockMs = policy.maxLockSeconds * 1000;
  const digest = options.subjectDigest;
  // Login keys keep the digests they always had, so known devices survive an upgrade.
  const subjectText = (s: GuardedSubject) =>
    s.kind === 'login' ? `id\u0000${s.identifier}` : `2fa\u0000${s.userId}`;
  const deviceText = (s: GuardedSubject, ip: string) =>
    s.kind === 'login' ? `dev\u0000${s.identifier}\u0000${ip}` : `2fa-dev\u0000${s.userId}\u0000${ip}`;
  // Each digest is a keyed HMAC: computed once per attempt, and shared by the keys built on it.
  const subjectKeys = (s: GuardedSubject): SubjectKeys => {
    const d = digest(subjectText(s));
    return { budget: `lo:f:${d}`, level: `lo:n:${d}` };
  };
  const deviceKeys = (s: GuardedSubject, ip: string): DeviceKeys => {
    const d = digest(deviceText(s, ip));
    return { device: `lo:d:${d}`, deviceBudget: `lo:df:${d}` };
  };
  const ipBudgetKey = (ip: string) => `lo:if:${digest(`ip\u0000${ip}`)}`;
  const refuse = (ms: number) =>
    coreError('RATE_LIMITED', { retryAfterSeconds: Math.max(1, Math.ceil(ms / 1000)) });

  /** Takes the subject's unit, or while it is locked a known device's own; else the refusal. */
  async function reserveSubject(
    keys: SubjectKeys,
    deviceKeysOf: () => DeviceKeys,
  ): Promise<Reservation | CounterReservation> {
    const own = await counters.reserve(keys.budget, policy.maxFailures, windowMs);
    if (own.granted) return { budget: 'subject', value: own.value };
    if ((await keyValue.get(deviceKeysOf().device)) !== null) {
      const device = await counters.reserve(deviceKeysOf().deviceBudget, policy.maxFailures, windowMs);
      if (device.granted) return { budget: 'device', value: device.value };
    }
    return own;
  }

  /** The failure that spent the subject's last unit: hold the spent budget as an escalating lock. */
  async function lock(subject: GuardedSubject, keys: SubjectKeys, meta: RequestMeta): Promise<boolean> {
    const level = await counters.increment(keys.level, DAY_MS);
    const ms = Math.min(policy.baseLockSeconds * 1000 * 2 ** (level.value - 1), maxLockMs);
    // False when a success reset the budget meanwhile: then there is nothing to hold.
    if (!(await counters.expire(keys.budget, ms))) return false;
    if (subject.kind === 'login') {
      await audit.record('lockout.identifier_locked', meta, {
        data: {
          identifier: audit.identifierDigest(subject.identifier),
          lockedForSeconds: Math.ceil(ms / 1000),
          level: level.value,
        },
      });
    }
    return true;
  }

  return {
    async reserve(subject, meta) {
      const ipKey = ipBudgetKey(meta.clientIp);
      const keys = subjectKeys(subject);
      let device: DeviceKeys | undefined;
      const deviceKeysOf = (): DeviceKeys => (device ??= deviceKeys(subject, meta.clientIp));
      const address = await counters.reserve(ipKey, policy.ipMaxFailures, windowMs);
      if (!address.granted) throw refuse(address.ttlMs);
      const reserved = await reserveSubject(keys, deviceKeysOf);
      if (!('budget' in reserved)) {
        // Refused for the subject: the address's unit was not used.
        await counters.release(ipKey);
        // Held at the limit by a lock, or by attempts still being checked (then at most a lock).
        throw refuse(Math.min(reserved.ttlMs, maxLockMs));
      }

      let settled = false;
      const attempt: GuardedAttempt = {
        async succeeded() {
          if (settled) return;
          settled = true;
          await Promise.all([
            counters.release(ipKey),
            // A known device's success leaves the lock others earned in place.
            reserved.budget === 'subject' ? counters.reset(keys.budget) : undefined,
            counters.reset(keys.level),
            counters.reset(deviceKeysOf().deviceBudget),
            keyValue.set(deviceKeysOf().device, '1', policy.knownDeviceDays * DAY_MS),
          ]);
        },
        async failed() {
          if (settled) return { locked: false };
          settled = true;
          if (address.value >= policy.ipMaxFailures) {
            await audit.record('lockout.address_locked', meta, {
              data: { lockedForSeconds: Math.ceil(address.ttlMs / 1000) },
            });
          }
          const spentLast = reserved.budget === 'subject' && reserved.value >= policy.maxFailures;
          return { locked: spentLast ? await lock(subject, keys, meta) : false };
        },
      };
      return attempt;
    },

    async isLocked(subject) {
      return (await counters.peek(subjectKeys(subject).budget)) >= policy.maxFailures;
    },

    async clearSecondFactor(userId) {
      const keys = subjectKeys({ kind: 'second-factor', userId });
      await Promise.all([counters.reset(keys.budget), counters.reset(keys.level)]);
    },

    async clear(identifier) {
      const keys = subjectKeys({ kind: 'login', identifier });
      await Promise.all([counters.reset(keys.budget), counters.reset(keys.level)]);
    },
  };
}
