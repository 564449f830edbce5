import { randomBytes, randomInt } from 'node:crypto';
import type {
  AuditLog,
  CookieSessionStart,
  RequestMeta,
  SecondFactorGate,
  SessionIssuer,
  TokenResponse,
  TwoFactorChallenge,
} from '../../core/index.ts';
import type { CounterStore, KeyValueStore, OnceStore } from '../../stores/contract.ts';
import type { User, UserRepository } from '../../stores/repositories.ts';
import { emailCodeError } from './error-codes.ts';
import type { EmailCodeMailContext } from './mail.ts';

/** Keyed digests with the feature's own key. */
interface Digests {
  digest(value: string): string;
  matches(value: string, digest: string): boolean;
}

export interface EmailCodeServiceOptions {
  readonly users: UserRepository;
  readonly keyValue: KeyValueStore;
  readonly once: OnceStore;
  readonly counters: CounterStore;
  readonly digests: Digests;
  readonly sessions: SessionIssuer;
  readonly secondFactor: SecondFactorGate;
  readonly audit: AuditLog;
  /** Mails the code and link in the background; `null` renders and drops (unknown address). */
  readonly sendMail: (to: string | null, context: EmailCodeMailContext, meta: RequestMeta) => void;
  /** After a finished sign-in: the new sign-in notice. */
  readonly noticeSignIn: (user: User, meta: RequestMeta) => Promise<void>;
  readonly appName: string;
  /** Absolute URL of the page the link opens (`?token=` is added). */
  readonly linkUrl: string;
  readonly codeLength: number;
  readonly ttlMs: number;
  readonly maxAttempts: number;
  readonly now?: () => number;
}

/** How a code is presented: by address and code, or by the link's token (and maybe the code). */
export type EmailCodeProof =
  | { readonly email: string; readonly code: string }
  | {
      readonly token: string;
      /** The browser-binding cookie's value, when the request carried one. */
      readonly binding: string | null;
      /** Typed by hand when the link was opened in another browser. */
      readonly code?: string | undefined;
    };

export type EmailCodeSignIn<S> =
  | { readonly user: User; readonly session: S }
  | { readonly user: User; readonly challenge: TwoFactorChallenge };

export interface EmailCodeService {
  /**
   * Mails a code and a link when the address has an active account; the same store writes,
   * audit row and rendering either way. Answers the browser-binding value for the cookie.
   */
  request(email: string, meta: RequestMeta): Promise<{ binding: string }>;
  /** Checks the proof and starts a token session (or answers the 2FA step). */
  signIn(proof: EmailCodeProof, meta: RequestMeta): Promise<EmailCodeSignIn<TokenResponse>>;
  /** The same checks, then a cookie session (browsers). */
  signInWithCookie(
    proof: EmailCodeProof,
    meta: RequestMeta,
    rememberMe: boolean,
  ): Promise<EmailCodeSignIn<CookieSessionStart>>;
}

/** What the store keeps of one request (never the code or the token, only keyed digests). */
interface PendingCode {
  /** The account, or `null` for an address without an active one. */
  readonly u: string | null;
  /** Digest of the code. */
  readonly c: string;
  /** Digest of the browser-binding value. */
  readonly b: string;
  /** Digest of the account's security stamp: a password or email change kills the code. */
  readonly s: string | null;
  /** The address pointer this flow belongs to. */
  readonly a: string;
  /** Expiry (epoch ms, the configured clock). */
  readonly e: number;
}

const flowKey = (flow: string) => `emailcode:flow:${flow}`;
const addressKey = (address: string) => `emailcode:addr:${address}`;
const attemptsKey = (flow: string) => `emailcode:attempts:${flow}`;
const usedKey = (flow: string) => `emailcode:used:${flow}`;
/** Link tokens are 43 characters; anything else is refused unread. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const random = (): string => randomBytes(32).toString('base64url');

/**
 * Email sign-in codes and links. One request keeps one entry in the shared store under the
 * digest of its link token, and the address points at its newest entry (a new request makes
 * older codes dead). A check pays one unit of the entry's attempt budget before the code is
 * compared (`CounterStore.reserve`: parallel guesses cannot overrun it), and a right code is
 * taken once across workers (`OnceStore`).
 */
export function createEmailCodeService(options: EmailCodeServiceOptions): EmailCodeService {
  const now = options.now ?? Date.now;
  const { digests } = options;
  const addressOf = (email: string) => digests.digest(`addr\u0000${email}`);
  const flowOf = (token: string) => digests.digest(`flow\u0000${token}`);
  // Bound to its flow: the digest of one request's code says nothing about another's.
  const codeDigest = (flow: string, code: string) => digests.digest(`code\u0000${flow}\u0000${code}`);
  const minutes = Math.round(options.ttlMs / 60_000);
  const expiresIn = minutes === 1 ? '1 minute' : `${minutes} minutes`;

  const invalid = () => emailCodeError('EMAIL_CODE_INVALID');

  async function pendingOf(flow: string): Promise<PendingCode | null> {
    const raw = await options.keyValue.get(flowKey(flow));
    if (raw === null) return null;
    const pending = JSON.parse(raw) as PendingCode;
    return pending.e > now() ? pending : null;
  }

  /** The entry a proof names, still the newest of its address; throws when there is none. */
  async function locate(proof: EmailCodeProof): Promise<{ flow: string; pending: PendingCode }> {
    if ('email' in proof) {
      const flow = await options.keyValue.get(addressKey(addressOf(proof.email)));
      const pending = flow === null ? null : await pendingOf(flow);
      if (flow === null || pending === null) throw invalid();
      return { flow, pending };
    }
    if (!TOKEN_PATTERN.test(proof.token)) throw invalid();
    const flow = flowOf(proof.token);
    const pending = await pendingOf(flow);
    if (pending === null || (await options.keyValue.get(addressKey(pending.a))) !== flow) throw invalid();
    return { flow, pending };
  }

  /** Every check of a proof; answers the active user it signs in. */
  async function check(proof: EmailCodeProof, meta: RequestMeta): Promise<User> {
    const { flow, pending } = await locate(proof);
    // The link alone signs in only the browser that asked; elsewhere it needs the code too.
    const code = proof.code;
    if (!('email' in proof) && code === undefined) {
      if (proof.binding === null || !digests.matches(proof.binding, pending.b)) {
        throw emailCodeError('EMAIL_CODE_LINK_UNBOUND');
      }
    }
    const remainingMs = Math.max(pending.e - now(), 1);
    // Paid for before the code is compared: of any number of parallel checks, on any number of
    // workers, at most `maxAttempts` are made; after that even the right code is refused.
    if (code !== undefined) {
      const attempt = await options.counters.reserve(attemptsKey(flow), options.maxAttempts, remainingMs);
      if (
        !attempt.granted ||
        !digests.matches(`code\u0000${flow}\u0000${code.replace(/\s/g, '')}`, pending.c)
      ) {
        await options.audit.record('email_code.failure', meta, {
          userId: pending.u,
          data: { reason: attempt.granted ? 'wrong_code' : 'attempts_spent' },
        });
        throw invalid();
      }
    }
    if (!(await options.once.consumeOnce(usedKey(flow), remainingMs + 60_000))) throw invalid();
    await options.keyValue.delete(addressKey(pending.a));
    await options.keyValue.delete(flowKey(flow));
    const user = pending.u === null ? null : await options.users.findById(pending.u);
    // An address without an account never signs in (no account is made here), and a change of
    // password or email since the request kills the code.
    if (
      !user?.isActive ||
      pending.s === null ||
      !digests.matches(`stamp\u0000${user.securityStamp}`, pending.s)
    ) {
      await options.audit.record('email_code.failure', meta, {
        userId: user?.id ?? null,
        data: { reason: user ? 'stale' : 'unknown_account' },
      });
      throw invalid();
    }
    return proveAddress(user, meta);
  }

  /**
   * The code proves the address. An unverified account becomes verified; a password it had was
   * set by someone who never proved the address (pre-account takeover), so it is removed and
   * the account's other sessions end: the owner sets a password by reset when they want one.
   */
  async function proveAddress(user: User, meta: RequestMeta): Promise<User> {
    if (user.emailVerifiedAt !== null) return user;
    const at = now();
    const hadPassword = user.passwordHash !== null;
    const updated = await options.users.update(
      user.id,
      {
        emailVerifiedAt: at,
        ...(hadPassword ? { passwordHash: null, securityStamp: random() } : {}),
      },
      at,
    );
    if (!updated) throw invalid();
    if (hadPassword) {
      await options.sessions.revokeAllForUser(user.id, { reason: 'email_code_claimed' });
    }
    await options.audit.record('user.email_verified', meta, {
      userId: user.id,
      data: { by: 'email_code', passwordRemoved: hadPassword },
    });
    return updated;
  }

  async function signedIn(user: User, sessionId: string, meta: RequestMeta): Promise<void> {
    await options.noticeSignIn(user, meta);
    await options.audit.record('login.success', meta, {
      userId: user.id,
      sessionId,
      data: { methods: ['email'] },
    });
  }

  return {
    async request(email, meta) {
      const user = await options.users.findByEmail(email);
      const active = user?.isActive ? user : null;
      const token = random();
      const binding = random();
      const flow = flowOf(token);
      const address = addressOf(email);
      const code = String(randomInt(0, 10 ** options.codeLength)).padStart(options.codeLength, '0');
      const pending: PendingCode = {
        u: active?.id ?? null,
        c: codeDigest(flow, code),
        b: digests.digest(binding),
        // Digested for an unknown address too (a random stamp): the same work either way.
        s: digests.digest(`stamp\u0000${active?.securityStamp ?? random()}`),
        a: address,
        e: now() + options.ttlMs,
      };
      // The same writes, audit row and rendering for an unknown address: neither the answer
      // nor its timing tells whether the address has an account.
      await options.keyValue.set(flowKey(flow), JSON.stringify(pending), options.ttlMs);
      await options.keyValue.set(addressKey(address), flow, options.ttlMs);
      await options.audit.record('email_code.requested', meta, {
        userId: active?.id ?? null,
        data: { identifier: options.audit.identifierDigest(email) },
      });
      options.sendMail(
        active?.email ?? null,
        {
          appName: options.appName,
          code,
          link: `${options.linkUrl}?token=${encodeURIComponent(token)}`,
          expiresIn,
        },
        meta,
      );
      return { binding };
    },

    async signIn(proof, meta) {
      const user = await check(proof, meta);
      const challenge = await options.secondFactor.challenge(user, meta, {
        transport: 'bearer',
        rememberMe: false,
        firstFactor: 'email',
      });
      if (challenge) return { user, challenge };
      const session = await options.sessions.issue(user, meta, { authMethods: ['email'] });
      await signedIn(user, session.sessionId, meta);
      return { user, session };
    },

    async signInWithCookie(proof, meta, rememberMe) {
      const user = await check(proof, meta);
      const challenge = await options.secondFactor.challenge(user, meta, {
        transport: 'cookie',
        rememberMe,
        firstFactor: 'email',
      });
      if (challenge) return { user, challenge };
      const session = await options.sessions.startCookieSession(user, meta, {
        authMethods: ['email'],
        rememberMe,
      });
      await signedIn(user, session.sessionId, meta);
      return { user, session };
    },
  };
}
