import { randomBytes, randomUUID } from 'node:crypto';
import type {
  AuditLog,
  CookieSessionStart,
  LoginGuard,
  Principal,
  RequestMeta,
  SecurityNotices,
  SessionIssuer,
} from '../../core/index.ts';
import { coreError } from '../../core/index.ts';
import { base32Encode } from '../../crypto/base32.ts';
import type { JwtCodec, TokenClass } from '../../crypto/jwt/index.ts';
import type { PasswordHasher } from '../../crypto/password.ts';
import { newTotpSecret, otpauthUri, type TotpParameters, verifyTotp } from '../../crypto/totp.ts';
import type { KeyValueStore, OnceStore } from '../../stores/contract.ts';
import type {
  RecoveryCodeRepository,
  SessionRepository,
  User,
  UserRepository,
} from '../../stores/repositories.ts';
import { twoFactorError } from './error-codes.ts';
import { newRecoveryCodes, normalizeRecoveryCode } from './recovery-codes.ts';

/** Keyed digests with the active key, checked under the key they name. */
interface KeyedDigests {
  digest(value: string): string;
  matches(value: string, digest: string): boolean;
}

/** Seeds are kept encrypted, bound to their user (a seed copied to another row does not open). */
export interface SeedSealer {
  /** The envelope stored in `users.totp_secret`. */
  seal(userId: string, seed: Buffer): string;
  open(userId: string, envelope: string): Buffer;
  /** The envelope of a pending enrollment, kept in the store (bound to the user too). */
  sealPending(userId: string, seed: Buffer): string;
  openPending(userId: string, envelope: string): Buffer;
}

export interface TwoFactorOptions {
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  readonly recoveryCodes: RecoveryCodeRepository;
  readonly keyValue: KeyValueStore;
  readonly once: OnceStore;
  readonly seeds: SeedSealer;
  readonly hasher: PasswordHasher;
  readonly pendingTokens: { readonly jwt: JwtCodec; readonly tokenClass: TokenClass };
  /** Binds a pending login to the client (address and user agent). */
  readonly binding: KeyedDigests;
  /** Recovery codes: `candidates` gives the digest under each key of the ring (lookup). */
  readonly recoveryDigests: { digest(code: string): string; candidates(code: string): readonly string[] };
  readonly enrollmentDigests: KeyedDigests;
  /** Counts wrong codes per user, with back-off; `null` when lockout is off. */
  readonly guard: LoginGuard | null;
  readonly sessionIssuer: SessionIssuer;
  readonly audit: AuditLog;
  /** Tells the owner a recovery code was used (in the background). */
  readonly notifyRecoveryCodeUsed: (user: User, meta: RequestMeta) => void;
  /**
   * Mails the owner when 2FA is turned on or off and when recovery codes are replaced (in the
   * background); a 2FA lock (too many wrong codes) sends `twoFactorLocked` through it too.
   */
  readonly notices: SecurityNotices;
  /**
   * What turning 2FA on does to the user's other sessions: `revoke-single-factor-sessions`
   * signs out every one that never passed a second factor; `keep` leaves them.
   */
  readonly onEnable: 'revoke-single-factor-sessions' | 'keep';
  /** The answer to a wrong password (the accounts feature's `LOGIN_BAD_CREDENTIALS`). */
  readonly badCredentials: () => Error;
  readonly totp: TotpParameters & { readonly window: number };
  /** Shown in authenticator apps (the `issuer` of the otpauth URI). */
  readonly issuer: string;
  readonly stepUpWindowMs: number;
  readonly enrollmentTtlMs: number;
  readonly now?: () => number;
}

/** What `POST /auth/login` answers instead of a session when the user has a second factor. */
export interface TwoFactorChallenge {
  readonly twoFactorRequired: true;
  readonly pendingToken: string;
  readonly methods: readonly string[];
}

/** A pending login whose code checked out: the transport it started in and who it is. */
export interface CompletedLogin {
  readonly user: User;
  readonly transport: 'bearer' | 'cookie';
  readonly rememberMe: boolean;
  /** How the first step signed in: `pwd`, `oauth`, `email`, `hwk` or `swk` (the session's `amr` starts with it). */
  readonly firstFactor: 'pwd' | 'oauth' | 'email' | 'hwk' | 'swk';
}

/** The header that carries a fresh code for a sensitive route (step-up without a prior call). */
export const STEP_UP_CODE_HEADER = 'X-2FA-Code';

export interface TwoFactor {
  enable(
    principal: Principal,
    currentPassword: string,
    meta: RequestMeta,
  ): Promise<{ secret: string; otpauthUri: string; enrollmentToken: string }>;
  /** Persists the pending seed once a code proves the app has it; answers the recovery codes. */
  confirm(
    principal: Principal,
    input: { enrollmentToken: string; code: string },
    meta: RequestMeta,
  ): Promise<{ recoveryCodes: string[]; renewed: CookieSessionStart | null }>;
  challenge(
    user: User,
    meta: RequestMeta,
    options: {
      readonly transport: 'bearer' | 'cookie';
      readonly rememberMe: boolean;
      readonly firstFactor?: 'pwd' | 'oauth' | 'email' | 'hwk' | 'swk';
    },
  ): Promise<TwoFactorChallenge | null>;
  completeLogin(
    input: { pendingToken: string; code: string },
    meta: RequestMeta,
    checks?: { readonly beforeCode?: (transport: 'bearer' | 'cookie') => void },
  ): Promise<CompletedLogin>;
  disable(principal: Principal, code: string, meta: RequestMeta): Promise<void>;
  regenerateRecoveryCodes(principal: Principal, code: string, meta: RequestMeta): Promise<string[]>;
  /** Verifies a code for the current session (step-up); a cookie session moves to a new id. */
  stepUp(principal: Principal, code: string, meta: RequestMeta): Promise<CookieSessionStart | null>;
  /**
   * Throws `STEP_UP_REQUIRED` unless the user has no second factor, the session verified one
   * within the window, or the request carries a valid code in {@link STEP_UP_CODE_HEADER}.
   */
  assertStepUp(principal: Principal, request: Request, meta: RequestMeta): Promise<void>;
  /**
   * Stricter than {@link TwoFactor.assertStepUp}, for ending sessions: passes when the session
   * signed in within the step-up window (a fresh password, and the second factor when the user
   * has one), or, for a user with 2FA, as step-up does (a factor verified within the window or
   * a valid code in {@link STEP_UP_CODE_HEADER}). Otherwise `STEP_UP_REQUIRED`, for users
   * without 2FA too: they sign in again.
   */
  assertRecentAuthentication(principal: Principal, request: Request, meta: RequestMeta): Promise<void>;
  /** Forgets a pending enrollment of the user (a deleted account leaves no store entry). */
  forgetUser(userId: string): Promise<void>;
}

const PENDING_METHODS = Object.freeze(['totp', 'recovery_code']);
const enrollmentKey = (userId: string) => `2fa:enroll:${userId}`;
const pendingKey = (jti: string) => `2fa:pending:${jti}`;
const attemptKey = (jti: string) => `2fa:attempt:${jti}`;
/** Long enough for one code check; a crashed attempt frees the pending login after it. */
const ATTEMPT_LOCK_MS = 10_000;
const bindingOf = (meta: RequestMeta) => `${meta.clientIp}\n${meta.userAgent ?? ''}`;

/**
 * TOTP second factor: two-step enrollment, the pending-login step, recovery codes and step-up.
 *
 * Every code check goes through one function (`checkCode`): the per-user attempt budget
 * (lockout with back-off, shared by TOTP and recovery codes, not reset by restarting the
 * login, each attempt reserved atomically before the code is compared), the TOTP high-water
 * mark (a code is accepted only for a step later than the last one used: one conditional
 * UPDATE, so across workers a step is used once and an older unused code never works
 * afterwards), and single use of recovery codes (one conditional UPDATE).
 */
export function createTwoFactor(options: TwoFactorOptions): TwoFactor {
  const now = options.now ?? Date.now;

  async function activeUser(userId: string): Promise<User> {
    const user = await options.users.findById(userId);
    if (!user?.isActive) throw coreError('INVALID_TOKEN');
    return user;
  }

  async function enabledUser(userId: string): Promise<User & { totpSecret: string }> {
    const user = await activeUser(userId);
    if (user.totpSecret === null) throw twoFactorError('TWO_FACTOR_NOT_ENABLED');
    return user as User & { totpSecret: string };
  }

  /** Which kind of code matched and was used up, or `null`. */
  async function useCode(
    user: User & { totpSecret: string },
    code: string,
  ): Promise<'totp' | 'recovery_code' | null> {
    const at = now();
    const digits = code.replace(/\s/g, '');
    if (/^\d+$/.test(digits)) {
      const seed = options.seeds.open(user.id, user.totpSecret);
      const step = verifyTotp(seed, digits, { timeMs: at, ...options.totp });
      // Good only for a step after the last one used (here or on another worker): a replay,
      // and an unused code older than one already used, are refused.
      if (step !== null && (await options.users.advanceTotpStep(user.id, user.totpSecret, step)))
        return 'totp';
      return null;
    }
    const normalized = normalizeRecoveryCode(code);
    if (normalized === null) return null;
    const used = await options.recoveryCodes.consume(
      user.id,
      options.recoveryDigests.candidates(normalized),
      at,
    );
    return used ? 'recovery_code' : null;
  }

  /** The user's 2FA budget is spent: the failure that spent it locked it. */
  async function secondFactorLocked(user: User, meta: RequestMeta): Promise<void> {
    await options.audit.record('2fa.locked', meta, { userId: user.id });
    // Wrong codes mean someone passed the password: the owner should know, and change it.
    options.notices.notify(user, 'twoFactorLocked', meta);
  }

  /** One check for every code a user types: TOTP or recovery code. Throws when it fails. */
  async function checkCode(
    user: User & { totpSecret: string },
    code: string,
    meta: RequestMeta,
  ): Promise<'totp' | 'recovery_code'> {
    // Paid for before the code is compared: parallel guesses cannot overrun the budget.
    const attempt = await options.guard?.reserve({ kind: 'second-factor', userId: user.id }, meta);
    try {
      const used = await useCode(user, code);
      if (used !== null) {
        await attempt?.succeeded();
        if (used === 'recovery_code') {
          await options.audit.record('2fa.recovery_code_used', meta, { userId: user.id });
          options.notifyRecoveryCodeUsed(user, meta);
        }
        return used;
      }
      const outcome = await attempt?.failed();
      await options.audit.record('2fa.failure', meta, { userId: user.id });
      if (outcome?.locked) await secondFactorLocked(user, meta);
      throw twoFactorError('TWO_FACTOR_CODE_INVALID');
    } catch (error) {
      // A check that could not finish keeps its attempt spent (no-op once an outcome was reported).
      await attempt?.failed();
      throw error;
    }
  }

  async function issueRecoveryCodes(userId: string): Promise<string[]> {
    const codes = newRecoveryCodes();
    const digests = codes.map((code) =>
      options.recoveryDigests.digest(normalizeRecoveryCode(code) as string),
    );
    await options.recoveryCodes.replaceAll(userId, digests, now());
    return codes;
  }

  /** A verified second factor on the caller's session: recorded, and a cookie session renewed. */
  async function elevate(principal: Principal, meta: RequestMeta): Promise<CookieSessionStart | null> {
    const at = now();
    const renewed = await options.sessionIssuer.renewCookieSession(principal, meta, {
      addAuthMethods: ['otp'],
    });
    await options.sessions.markSecondFactor(renewed?.sessionId ?? principal.sessionId, at);
    return renewed;
  }

  const service: TwoFactor = {
    async enable(principal, currentPassword, meta) {
      const user = await activeUser(principal.userId);
      if (!user.passwordHash || !(await options.hasher.verify(user.passwordHash, currentPassword))) {
        await options.audit.record('2fa.enable_failure', meta, { userId: user.id });
        throw options.badCredentials();
      }
      if (user.totpSecret !== null) throw twoFactorError('TWO_FACTOR_ALREADY_ENABLED');
      const seed = newTotpSecret();
      const enrollmentToken = randomBytes(32).toString('base64url');
      // Server-side: the seed is never taken back from the client. A newer enable replaces
      // the entry, so an older token is dead.
      await options.keyValue.set(
        enrollmentKey(user.id),
        JSON.stringify({
          token: options.enrollmentDigests.digest(enrollmentToken),
          seed: options.seeds.sealPending(user.id, seed),
        }),
        options.enrollmentTtlMs,
      );
      const secret = base32Encode(seed);
      return {
        secret,
        otpauthUri: otpauthUri({
          issuer: options.issuer,
          accountName: user.email,
          secret: seed,
          ...options.totp,
        }),
        enrollmentToken,
      };
    },

    async confirm(principal, input, meta) {
      const user = await activeUser(principal.userId);
      const key = enrollmentKey(user.id);
      const presented = (raw: string | null) => {
        if (raw === null) return null;
        const entry = JSON.parse(raw) as { token: string; seed: string };
        return options.enrollmentDigests.matches(input.enrollmentToken, entry.token) ? entry : null;
      };
      // Checked before taking: a superseded token must not burn the newer enrollment.
      if (presented(await options.keyValue.get(key)) === null)
        throw twoFactorError('ENROLLMENT_TOKEN_INVALID');
      // Taken (burnt) whatever the code: a wrong code ends this enrollment.
      const entry = presented(await options.keyValue.getAndDelete(key));
      if (entry === null) throw twoFactorError('ENROLLMENT_TOKEN_INVALID');
      const seed = options.seeds.openPending(user.id, entry.seed);
      const step = verifyTotp(seed, input.code.replace(/\s/g, ''), { timeMs: now(), ...options.totp });
      if (step === null) {
        await options.audit.record('2fa.enable_failure', meta, { userId: user.id });
        throw twoFactorError('TWO_FACTOR_CODE_INVALID');
      }
      // The confirming code counts as used: its step starts the high-water mark, so neither it
      // nor an earlier code can be replayed to sign in.
      const stored = await options.users.replaceTotpSecret(user.id, null, options.seeds.seal(user.id, seed), {
        securityStamp: randomBytes(16).toString('base64url'),
        now: now(),
        lastTotpStep: step,
      });
      if (!stored) throw twoFactorError('TWO_FACTOR_ALREADY_ENABLED');
      const recoveryCodes = await issueRecoveryCodes(user.id);
      const renewed = await elevate(principal, meta);
      // A password-only session (a stolen cookie, a forgotten laptop) must not outlive the
      // change for the rest of its life: it never passed the factor the account now requires.
      const revoked =
        options.onEnable === 'revoke-single-factor-sessions'
          ? await options.sessionIssuer.revokeSingleFactorSessions(user.id, {
              exceptSessionId: renewed?.sessionId ?? principal.sessionId,
              reason: '2fa_enabled',
            })
          : [];
      await options.audit.record('2fa.enabled', meta, {
        userId: user.id,
        sessionId: principal.sessionId,
        data: { revokedSessions: revoked.length },
      });
      options.notices.notify(user, 'twoFactorEnabled', meta);
      return { recoveryCodes, renewed };
    },

    async challenge(user, meta, { transport, rememberMe, firstFactor = 'pwd' }) {
      if (user.totpSecret === null) return null;
      const pendingToken = await options.pendingTokens.jwt.sign(
        options.pendingTokens.tokenClass,
        {
          sub: user.id,
          jti: randomUUID(),
          bnd: options.binding.digest(bindingOf(meta)),
          tr: transport,
          rm: rememberMe,
          ff: firstFactor,
        },
        { now: now() },
      );
      await options.audit.record('login.second_factor_pending', meta, { userId: user.id });
      return { twoFactorRequired: true, pendingToken, methods: PENDING_METHODS };
    },

    async completeLogin(input, meta, checks = {}) {
      let claims: Awaited<ReturnType<JwtCodec['verify']>>;
      try {
        claims = await options.pendingTokens.jwt.verify(
          input.pendingToken,
          options.pendingTokens.tokenClass,
          {
            now: now(),
          },
        );
      } catch {
        throw twoFactorError('PENDING_TOKEN_INVALID');
      }
      const extra = claims as unknown as Record<string, unknown>;
      // Bound to the client that passed the password: a stolen pending token is useless elsewhere.
      if (typeof extra.bnd !== 'string' || !options.binding.matches(bindingOf(meta), extra.bnd)) {
        throw twoFactorError('PENDING_TOKEN_INVALID');
      }
      const transport = extra.tr === 'cookie' ? 'cookie' : 'bearer';
      // Checks of the transport (login CSRF for cookies) come before anything is spent.
      checks.beforeCode?.(transport);
      if (await options.once.isConsumed(pendingKey(claims.jti)))
        throw twoFactorError('PENDING_TOKEN_INVALID');
      const user = await options.users.findById(claims.sub);
      if (!user?.isActive || user.totpSecret === null) throw twoFactorError('PENDING_TOKEN_INVALID');
      // One attempt at a time per pending login: a concurrent loser must not spend a code (a
      // TOTP step, or a recovery code and its notice mail) on a login that another request wins.
      const lifetimeMs = options.pendingTokens.tokenClass.lifetimeSeconds * 1000 + 60_000;
      const attempt = attemptKey(claims.jti);
      if (!(await options.keyValue.setIfAbsent(attempt, '1', ATTEMPT_LOCK_MS))) {
        throw twoFactorError('PENDING_TOKEN_INVALID');
      }
      try {
        // Inside the lock: an attempt that finished while this one waited has used the login.
        if (await options.once.isConsumed(pendingKey(claims.jti)))
          throw twoFactorError('PENDING_TOKEN_INVALID');
        await checkCode(user as User & { totpSecret: string }, input.code, meta);
        if (!(await options.once.consumeOnce(pendingKey(claims.jti), lifetimeMs))) {
          throw twoFactorError('PENDING_TOKEN_INVALID');
        }
      } finally {
        await options.keyValue.delete(attempt);
      }
      return {
        user,
        transport,
        rememberMe: extra.rm === true,
        firstFactor:
          extra.ff === 'oauth' || extra.ff === 'email' || extra.ff === 'hwk' || extra.ff === 'swk'
            ? extra.ff
            : 'pwd',
      };
    },

    async disable(principal, code, meta) {
      const user = await enabledUser(principal.userId);
      await checkCode(user, code, meta);
      const cleared = await options.users.replaceTotpSecret(user.id, user.totpSecret, null, {
        securityStamp: randomBytes(16).toString('base64url'),
        now: now(),
      });
      if (!cleared) throw twoFactorError('TWO_FACTOR_NOT_ENABLED');
      await options.recoveryCodes.deleteAll(user.id);
      // Whoever else holds a session signed in under the old, stronger rule: end them all.
      await options.sessionIssuer.revokeAllForUser(user.id, {
        exceptSessionId: principal.sessionId,
        reason: '2fa_disabled',
      });
      await options.audit.record('2fa.disabled', meta, { userId: user.id, sessionId: principal.sessionId });
      options.notices.notify(user, 'twoFactorDisabled', meta);
    },

    async regenerateRecoveryCodes(principal, code, meta) {
      const user = await enabledUser(principal.userId);
      await checkCode(user, code, meta);
      const codes = await issueRecoveryCodes(user.id);
      await options.audit.record('2fa.recovery_codes_regenerated', meta, {
        userId: user.id,
        sessionId: principal.sessionId,
      });
      options.notices.notify(user, 'recoveryCodesRegenerated', meta);
      return codes;
    },

    async forgetUser(userId) {
      await options.keyValue.delete(enrollmentKey(userId));
    },

    async stepUp(principal, code, meta) {
      const user = await enabledUser(principal.userId);
      await checkCode(user, code, meta);
      await options.audit.record('2fa.step_up', meta, { userId: user.id, sessionId: principal.sessionId });
      return elevate(principal, meta);
    },

    async assertStepUp(principal, request, meta) {
      const user = await activeUser(principal.userId);
      // Nothing to step up to without a second factor; the route's own checks (a password
      // for change of email) still apply.
      if (user.totpSecret === null) return;
      const session = await options.sessions.findById(principal.sessionId);
      const verifiedAt = session?.secondFactorAt ?? null;
      if (verifiedAt !== null && now() - verifiedAt <= options.stepUpWindowMs) return;
      const code = request.headers.get(STEP_UP_CODE_HEADER);
      if (code === null) throw twoFactorError('STEP_UP_REQUIRED');
      await checkCode(user as User & { totpSecret: string }, code, meta);
      await options.sessions.markSecondFactor(principal.sessionId, now());
    },

    async assertRecentAuthentication(principal, request, meta) {
      const session = await options.sessions.findById(principal.sessionId);
      // A renewed cookie session keeps its login time, so renewals never make a session fresh.
      if (session !== null && now() - session.createdAt <= options.stepUpWindowMs) return;
      const user = await activeUser(principal.userId);
      if (user.totpSecret === null) {
        throw twoFactorError('STEP_UP_REQUIRED', {
          detail: 'This session signed in too long ago for this action: sign in again.',
        });
      }
      await service.assertStepUp(principal, request, meta);
    },
  };
  return service;
}
