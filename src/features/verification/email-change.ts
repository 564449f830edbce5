import { randomBytes } from 'node:crypto';
import type { AuditLog, RequestMeta } from '../../core/index.ts';
import { newId } from '../../crypto/ids.ts';
import type { JwtCodec, TokenClass } from '../../crypto/jwt/index.ts';
import type { PasswordHasher } from '../../crypto/password.ts';
import type { OnceStore } from '../../stores/contract.ts';
import { EmailTakenError, type User, type UserRepository } from '../../stores/repositories.ts';
import { verificationError } from './error-codes.ts';
import { durationInWords, type Mailer } from './templates.ts';

export interface EmailChangeOptions {
  readonly users: UserRepository;
  readonly once: OnceStore;
  /** A codec with the email-change purpose key. */
  readonly jwt: JwtCodec;
  readonly tokenClass: TokenClass;
  /** Keyed digest binding a token to the account's security stamp. */
  readonly digest: (value: string) => string;
  readonly hasher: PasswordHasher;
  /** The accounts feature's 401 for a wrong current password (one code for every such check). */
  readonly badCredentials: () => Error;
  /** Renders and sends this feature's messages in the background. */
  readonly mailer: Mailer;
  readonly audit: AuditLog;
  readonly appName: string;
  /** Absolute URL of the page that receives `?token=` and posts it to /auth/confirm-email. */
  readonly confirmUrl: string;
  readonly now?: () => number;
}

export interface EmailChange {
  /**
   * Re-checks the password, then mails a confirmation link to the new address and a notice to
   * the old one. Says nothing about whether the new address belongs to someone.
   */
  request(
    userId: string,
    input: { newEmail: string; currentPassword: string },
    meta: RequestMeta,
  ): Promise<void>;
  /** Applies the change; the new address is verified by the confirmation itself. */
  confirm(token: string, meta: RequestMeta): Promise<User>;
}

const invalid = () => verificationError('EMAIL_CHANGE_TOKEN_INVALID');

export function createEmailChange(options: EmailChangeOptions): EmailChange {
  const now = options.now ?? Date.now;
  const stamp = (user: User) => options.digest(`stamp\u0000${user.securityStamp}`);

  return {
    async request(userId, input, meta) {
      const user = await options.users.findById(userId);
      if (
        !user?.isActive ||
        !user.passwordHash ||
        !(await options.hasher.verify(user.passwordHash, input.currentPassword))
      ) {
        throw options.badCredentials();
      }
      if (input.newEmail === user.email) return;
      const token = await options.jwt.sign(
        options.tokenClass,
        { sub: user.id, jti: newId(), new: input.newEmail, stm: stamp(user) },
        { now: now() },
      );
      const link = `${options.confirmUrl}?token=${encodeURIComponent(token)}`;
      const expiresIn = durationInWords(options.tokenClass.lifetimeSeconds);
      // Whether the new address is taken is only found out at confirmation (409), by its owner.
      options.mailer.send(
        'emailChangeConfirmation',
        input.newEmail,
        { appName: options.appName, link, expiresIn },
        meta,
      );
      options.mailer.send('emailChangeNotice', user.email, { appName: options.appName }, meta);
      await options.audit.record('email.change_requested', meta, { userId: user.id });
    },

    async confirm(token, meta) {
      const at = now();
      let claims: Awaited<ReturnType<JwtCodec['verify']>>;
      try {
        claims = await options.jwt.verify(token, options.tokenClass, { now: at });
      } catch {
        throw invalid();
      }
      const user = await options.users.findById(claims.sub);
      if (!user?.isActive || claims.stm !== stamp(user) || typeof claims.new !== 'string') throw invalid();
      if (
        !(await options.once.consumeOnce(
          `email-change:${claims.jti}`,
          options.tokenClass.lifetimeSeconds * 1000 + 60_000,
        ))
      ) {
        throw invalid();
      }
      let updated: User | null;
      try {
        // A new stamp: verification and reset tokens issued for the old address die.
        updated = await options.users.update(
          user.id,
          { email: claims.new, emailVerifiedAt: at, securityStamp: randomBytes(16).toString('base64url') },
          at,
        );
      } catch (error) {
        if (error instanceof EmailTakenError) {
          throw verificationError('EMAIL_TAKEN');
        }
        throw error;
      }
      if (!updated) throw invalid();
      await options.audit.record('email.changed', meta, { userId: user.id });
      return updated;
    },
  };
}
