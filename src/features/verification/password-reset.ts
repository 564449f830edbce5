import { randomBytes } from 'node:crypto';
import type { AuditLog, LoginGuard, RequestMeta, SessionIssuer } from '../../core/index.ts';
import { newId } from '../../crypto/ids.ts';
import type { JwtCodec, TokenClass } from '../../crypto/jwt/index.ts';
import type { PasswordHasher } from '../../crypto/password.ts';
import type { KeyValueStore, OnceStore } from '../../stores/contract.ts';
import type { UserRepository } from '../../stores/repositories.ts';
import { resetTokenInvalid } from './error-codes.ts';
import { durationInWords, type Mailer } from './templates.ts';

export interface PasswordResetOptions {
  readonly users: UserRepository;
  readonly once: OnceStore;
  readonly keyValue: KeyValueStore;
  /** A codec with the reset purpose key: a reset token is never any other kind of token. */
  readonly jwt: JwtCodec;
  readonly tokenClass: TokenClass;
  /** Keyed digest, for the password-hash fingerprint and for unknown addresses. */
  readonly digest: (value: string) => string;
  readonly hasher: PasswordHasher;
  /**
   * Checks a new password; throws the 422 `PASSWORD_POLICY` error, or 503 when the
   * breached-password check cannot answer and is set to refuse. Before the token is spent.
   */
  readonly checkPolicy: (password: string, email: string) => void | Promise<void>;
  readonly sessions: SessionIssuer;
  readonly loginGuard: LoginGuard | null;
  /** Renders and sends this feature's messages in the background. */
  readonly mailer: Mailer;
  readonly audit: AuditLog;
  readonly appName: string;
  /** Absolute URL of the page that receives `?token=` and posts it to /auth/reset-password. */
  readonly resetUrl: string;
  readonly now?: () => number;
}

export interface PasswordReset {
  /** Mails a reset link when the address has an active account; the same work either way. */
  requestReset(email: string, meta: RequestMeta): Promise<void>;
  /** Sets the new password, revokes every session; throws `RESET_TOKEN_INVALID` or `PASSWORD_POLICY`. */
  reset(token: string, password: string, meta: RequestMeta): Promise<void>;
  /** Forgets the user's newest-link marker (a deleted account leaves no store entry). */
  forgetUser(userId: string): Promise<void>;
}

/**
 * Forgot / reset password. A reset token is a JWT of its own class, 30 minutes by default,
 * carrying a fingerprint of the password hash it may replace (so a token issued before any
 * password change is dead after it). Only the newest token of a user works (a new request
 * makes older ones dead), and each works once across workers.
 */
const MAX_RESET_TOKEN_LENGTH = 2048;

export function createPasswordReset(options: PasswordResetOptions): PasswordReset {
  const now = options.now ?? Date.now;
  const latestKey = (subject: string) => `reset:latest:${subject}`;
  const fingerprint = (hash: string | null) => options.digest(`pwd\u0000${hash ?? ''}`);
  const ttlMs = options.tokenClass.lifetimeSeconds * 1000;

  return {
    async forgetUser(userId) {
      await options.keyValue.delete(latestKey(userId));
    },

    async requestReset(email, meta) {
      const user = await options.users.findByEmail(email);
      const active = user?.isActive ? user : null;
      const jti = newId();
      // The same signing and store write for an unknown address, so timing tells nothing.
      const token = await options.jwt.sign(
        options.tokenClass,
        {
          sub: active?.id ?? randomBytes(16).toString('hex'),
          jti,
          pwf: fingerprint(active?.passwordHash ?? null),
          stm: options.digest(`stamp\u0000${active?.securityStamp ?? ''}`),
        },
        { now: now() },
      );
      await options.keyValue.set(
        latestKey(active?.id ?? options.digest(`unknown\u0000${email}`)),
        jti,
        ttlMs,
      );
      if (!active) return;
      const link = `${options.resetUrl}?token=${encodeURIComponent(token)}`;
      options.mailer.send(
        'passwordReset',
        active.email,
        { appName: options.appName, link, expiresIn: durationInWords(options.tokenClass.lifetimeSeconds) },
        meta,
      );
      await options.audit.record('password.reset_requested', meta, { userId: active.id });
    },

    async reset(token, password, meta) {
      // Real reset tokens are a few hundred bytes: anything over 2 KiB is refused unread.
      if (token.length > MAX_RESET_TOKEN_LENGTH) throw resetTokenInvalid();
      const at = now();
      let claims: Awaited<ReturnType<JwtCodec['verify']>>;
      try {
        claims = await options.jwt.verify(token, options.tokenClass, { now: at });
      } catch {
        throw resetTokenInvalid();
      }
      const user = await options.users.findById(claims.sub);
      // Bound to the password hash and the security stamp: a changed password or email kills it.
      if (
        !user?.isActive ||
        claims.pwf !== fingerprint(user.passwordHash) ||
        claims.stm !== options.digest(`stamp\u0000${user.securityStamp}`)
      ) {
        throw resetTokenInvalid();
      }
      if ((await options.keyValue.get(latestKey(user.id))) !== claims.jti) throw resetTokenInvalid();
      // The policy first: a weak password must not burn the token.
      await options.checkPolicy(password, user.email);
      const passwordHash = await options.hasher.hash(password);
      if (!(await options.once.consumeOnce(`reset:${claims.jti}`, ttlMs + 60_000))) throw resetTokenInvalid();
      // Conditional on the hash the token was issued for: a concurrent change wins, this fails.
      // An account without a password (made by an OAuth sign-in) gets its first one here.
      if (!(await options.users.replacePasswordHash(user.id, user.passwordHash, passwordHash, at))) {
        throw resetTokenInvalid();
      }
      await options.users.update(user.id, { securityStamp: randomBytes(16).toString('base64url') }, at);
      await options.sessions.revokeAllForUser(user.id, { reason: 'password_reset' });
      await options.keyValue.delete(latestKey(user.id));
      await options.loginGuard?.clear(user.email);
      await options.audit.record('password.reset', meta, { userId: user.id });
      options.mailer.send('passwordResetDone', user.email, { appName: options.appName }, meta);
    },
  };
}
