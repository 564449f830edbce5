import type { Logger } from 'pino';
import type { AuditLog } from '../../core/index.ts';

/** What an event hook receives: who, which session, which request; never secrets or typed input. */
export interface HookEvent {
  /** The audit event type, e.g. `login.success`. */
  readonly type: string;
  readonly userId: string | null;
  readonly sessionId: string | null;
  readonly requestId: string;
  readonly at: Date;
}

export type HookName =
  | 'onUserRegistered'
  | 'onEmailVerified'
  | 'onLogin'
  | 'onLoginFailed'
  | 'onPasswordResetRequested'
  | 'onPasswordReset'
  | 'onPasswordChanged'
  | 'onEmailChanged'
  | 'onSessionRevoked';

export type EventHooks = Partial<Record<HookName, (event: HookEvent) => unknown>>;

/** Which audit events each hook hears. */
const HOOK_OF_EVENT: Readonly<Record<string, HookName>> = Object.freeze({
  'user.registered': 'onUserRegistered',
  'user.email_verified': 'onEmailVerified',
  'login.success': 'onLogin',
  'login.failure': 'onLoginFailed',
  'password.reset_requested': 'onPasswordResetRequested',
  'password.reset': 'onPasswordReset',
  'password.changed': 'onPasswordChanged',
  'email.changed': 'onEmailChanged',
  'session.logout': 'onSessionRevoked',
  'session.revoked': 'onSessionRevoked',
  'session.revoked_others': 'onSessionRevoked',
  'session.refresh_reuse': 'onSessionRevoked',
});

/**
 * Calls the application's event hooks after each audit event is recorded. Hooks run after the
 * fact and off the response path: one that throws (or rejects) is logged with the request id and
 * never breaks or slows the flow that triggered it.
 */
export function withEventHooks(audit: AuditLog, hooks: EventHooks, logger: Logger): AuditLog {
  return {
    identifierDigest: audit.identifierDigest,
    async record(type, meta, details = {}) {
      await audit.record(type, meta, details);
      const name = HOOK_OF_EVENT[type];
      const hook = name ? hooks[name] : undefined;
      if (!hook) return;
      const event: HookEvent = {
        type,
        userId: details.userId ?? null,
        sessionId: details.sessionId ?? null,
        requestId: meta.requestId,
        at: new Date(),
      };
      Promise.resolve()
        .then(() => hook(event))
        .catch((error: unknown) => {
          logger.error({ err: error, requestId: meta.requestId, hook: name }, 'event hook failed');
        });
    },
  };
}
