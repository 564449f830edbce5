import type { AuditLog, RequestMeta, VerificationSender } from '../../core/index.ts';
import { newId } from '../../crypto/ids.ts';
import type { JwtCodec, TokenClass } from '../../crypto/jwt/index.ts';
import type { KeyValueStore, OnceStore } from '../../stores/contract.ts';
import type { User, UserRepository } from '../../stores/repositories.ts';
import { verifyTokenInvalid } from './error-codes.ts';
import { durationInWords, type Mailer } from './templates.ts';

export interface VerificationServiceOptions {
  readonly users: UserRepository;
  readonly once: OnceStore;
  /** Remembers the addresses each account signed in from, for the new sign-in notice. */
  readonly keyValue: KeyValueStore;
  /** Send a notice when an account signs in from an address not seen for it before. */
  readonly notifyNewSignIn: boolean;
  /** A codec with the verification purpose key: a verify token is never an access token. */
  readonly jwt: JwtCodec;
  readonly tokenClass: TokenClass;
  /** Keyed digest binding a token to the address and the security stamp, so it dies when either changes. */
  readonly emailDigest: (email: string) => string;
  /** Renders and sends this feature's messages in the background. */
  readonly mailer: Mailer;
  readonly audit: AuditLog;
  readonly appName: string;
  /** Absolute URL of the page that receives `?token=` and posts it to /auth/verify. */
  readonly verifyUrl: string;
  readonly now?: () => number;
}

export interface VerificationService extends VerificationSender {
  /** Sends a new link when the address belongs to an unverified account; silent otherwise. */
  requestVerification(email: string, meta: RequestMeta): Promise<void>;
  /** Marks the email verified; throws `VERIFY_TOKEN_INVALID` for a bad, expired, used or stale token. */
  verify(token: string, meta: RequestMeta): Promise<User>;
}

/** How long an address stays known for an account after a sign-in from it. */
const SIGN_IN_MEMORY_DAYS = 180;

export function createVerificationService(options: VerificationServiceOptions): VerificationService {
  const now = options.now ?? Date.now;

  const service: VerificationService = {
    async sendVerification(user, meta) {
      const token = await options.jwt.sign(
        options.tokenClass,
        {
          sub: user.id,
          jti: newId(),
          eml: options.emailDigest(user.email),
          stm: options.emailDigest(user.securityStamp),
        },
        { now: now() },
      );
      const link = `${options.verifyUrl}?token=${encodeURIComponent(token)}`;
      options.mailer.send(
        'verification',
        user.email,
        { appName: options.appName, link, expiresIn: durationInWords(options.tokenClass.lifetimeSeconds) },
        meta,
      );
    },

    async sendExistingAccountNotice(user, meta) {
      options.mailer.send('existingAccount', user.email, { appName: options.appName }, meta);
    },

    async noticeSignIn(user, meta) {
      if (!options.notifyNewSignIn || meta.clientIp === 'unknown') return;
      const seen = `signin:${options.emailDigest(`${user.id}\u0000${meta.clientIp}`)}`;
      const any = `signin:${options.emailDigest(`${user.id}\u0000*`)}`;
      const ttlMs = SIGN_IN_MEMORY_DAYS * 24 * 3600 * 1000;
      const [known, before] = await Promise.all([options.keyValue.get(seen), options.keyValue.get(any)]);
      await Promise.all([options.keyValue.set(seen, '1', ttlMs), options.keyValue.set(any, '1', ttlMs)]);
      // The first sign-in of an account is no news to its owner.
      if (known === null && before !== null) {
        options.mailer.send('newSignIn', user.email, { appName: options.appName }, meta);
      }
    },

    async requestVerification(email, meta) {
      const user = await options.users.findByEmail(email);
      if (user?.isActive && user.emailVerifiedAt === null) await service.sendVerification(user, meta);
    },

    async verify(token, meta) {
      const at = now();
      let claims: Awaited<ReturnType<JwtCodec['verify']>>;
      try {
        claims = await options.jwt.verify(token, options.tokenClass, { now: at });
      } catch {
        throw verifyTokenInvalid();
      }
      const user = await options.users.findById(claims.sub);
      // Bound to the address and the security stamp: a changed email (or password) kills it for
      // good, even if the address is later changed back.
      if (
        !user ||
        claims.eml !== options.emailDigest(user.email) ||
        claims.stm !== options.emailDigest(user.securityStamp)
      ) {
        throw verifyTokenInvalid();
      }
      // Single use across workers: the marker outlives the token itself.
      const ttlMs = Math.max(claims.exp * 1000 - at, 0) + 60_000;
      if (!(await options.once.consumeOnce(`verify:${claims.jti}`, ttlMs))) throw verifyTokenInvalid();
      if (user.emailVerifiedAt !== null) return user;
      const updated = await options.users.update(user.id, { emailVerifiedAt: at }, at);
      if (!updated) throw verifyTokenInvalid();
      await options.audit.record('user.email_verified', meta, { userId: user.id });
      return updated;
    },
  };
  return service;
}
