/**
 * The audit event types an endpoint may subscribe to: the list in docs/AUDIT.md, which a test
 * keeps equal to this one (test/integration/webhooks-config.test.ts). `*` subscribes to all.
 */
export const WEBHOOK_EVENT_TYPES = Object.freeze([
  'access.denied',
  'user.registered',
  'user.register_existing',
  'user.register_refused',
  'user.email_verified',
  'user.deleted',
  'login.success',
  'login.failure',
  'login.second_factor_pending',
  'lockout.identifier_locked',
  'lockout.address_locked',
  'password.changed',
  'password.change_failure',
  'password.reset_requested',
  'password.reset',
  'email.change_requested',
  'email.changed',
  'session.logout',
  'session.revoked',
  'session.revoked_others',
  'session.refresh_reuse',
  '2fa.enabled',
  '2fa.enable_failure',
  '2fa.disabled',
  '2fa.failure',
  '2fa.locked',
  '2fa.recovery_code_used',
  '2fa.recovery_codes_regenerated',
  '2fa.step_up',
  'oauth.linked',
  'oauth.link_refused',
  'oauth.unlinked',
  'apikey.created',
  'apikey.updated',
  'apikey.revoked',
  'admin.apikey_created',
  'admin.apikey_updated',
  'admin.apikey_revoked',
  'admin.user_created',
  'admin.user_updated',
  'admin.user_deleted',
  'admin.sessions_revoked',
  'admin.two_factor_reset',
  'admin.password_reset_sent',
  'admin.user_unlocked',
  'account.deleted',
  'account.purged',
  'notice.mailed',
  'email_code.requested',
  'email_code.failure',
  'passkey.registration_started',
  'passkey.registered',
  'passkey.registration_failure',
  'passkey.renamed',
  'passkey.removed',
  'passkey.sign_in_failure',
  'passkey.counter_regression',
  'passkey.step_up',
] as const);

/** Subscribes an endpoint to every type, present and future. */
export const ALL_EVENT_TYPES = '*';

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

const KNOWN: ReadonlySet<string> = new Set(WEBHOOK_EVENT_TYPES);

export function isKnownEventType(type: string): boolean {
  return type === ALL_EVENT_TYPES || KNOWN.has(type);
}
