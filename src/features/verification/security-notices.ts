import type { Logger } from 'pino';
import type { AuditLog, RequestMeta, SecurityNoticeKind, SecurityNotices } from '../../core/index.ts';
import type { UserRepository } from '../../stores/repositories.ts';
import type { Mailer } from './templates.ts';

export interface SecurityNoticesOptions {
  readonly users: UserRepository;
  readonly mailer: Mailer;
  readonly audit: AuditLog;
  readonly appName: string;
  readonly logger: Logger;
}

/**
 * Tells the owner of an account, by mail, that its security changed (ASVS 6.3.7, 7.4.3): 2FA
 * on or off, new recovery codes, a password change, a new API key, a 2FA lock. Everything
 * happens off the response path: the change has already happened, and neither a slow mail
 * server nor a failed lookup may undo it or change the answer. Each notice is audited
 * (`notice.mailed`, with its kind) when it is handed to the mailer.
 */
export function createSecurityNotices(options: SecurityNoticesOptions): SecurityNotices {
  async function deliver(
    user: { readonly id: string; readonly email?: string },
    kind: SecurityNoticeKind,
    meta: RequestMeta,
    details: { readonly apiKeyName?: string },
  ): Promise<void> {
    const email = user.email ?? (await options.users.findById(user.id))?.email;
    if (email === undefined) return;
    options.mailer.send(
      kind,
      email,
      {
        appName: options.appName,
        ...(details.apiKeyName === undefined ? {} : { apiKeyName: details.apiKeyName }),
      },
      meta,
    );
    await options.audit.record('notice.mailed', meta, { userId: user.id, data: { kind } });
  }

  return {
    notify(user, kind, meta, details = {}) {
      deliver(user, kind, meta, details).catch((error: unknown) => {
        options.logger.error({ err: error, requestId: meta.requestId, notice: kind }, 'notice not sent');
      });
    },
  };
}
