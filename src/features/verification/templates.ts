import type { Logger } from 'pino';
import type { RequestMeta } from '../../core/index.ts';
import type { MailTransport } from '../../mail/contract.ts';

/** Every message Gatehouse sends. */
export type MailKind =
  | 'verification'
  | 'existingAccount'
  | 'passwordReset'
  | 'passwordResetDone'
  | 'emailChangeConfirmation'
  | 'emailChangeNotice'
  | 'newSignIn'
  | 'recoveryCodeUsed'
  | 'twoFactorEnabled'
  | 'twoFactorDisabled'
  | 'recoveryCodesRegenerated'
  | 'passwordChanged'
  | 'apiKeyCreated'
  | 'twoFactorLocked'
  | 'passkeyAdded'
  | 'passkeyRemoved'
  | 'accountDeleted'
  | 'twoFactorReset';

export const MAIL_KINDS: readonly MailKind[] = Object.freeze([
  'verification',
  'existingAccount',
  'passwordReset',
  'passwordResetDone',
  'emailChangeConfirmation',
  'emailChangeNotice',
  'newSignIn',
  'recoveryCodeUsed',
  'twoFactorEnabled',
  'twoFactorDisabled',
  'recoveryCodesRegenerated',
  'passwordChanged',
  'apiKeyCreated',
  'twoFactorLocked',
  'passkeyAdded',
  'passkeyRemoved',
  'accountDeleted',
  'twoFactorReset',
]);

/** What a template may use. `link` is built from the configured base URL, never from a request. */
export interface MailContext {
  readonly appName: string;
  readonly link?: string;
  /** How long the link works, in words (e.g. `30 minutes`). */
  readonly expiresIn?: string;
  /** `apiKeyCreated`: the name its owner gave the new key (never the key). */
  readonly apiKeyName?: string;
}

export interface RenderedMail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

/** An application's template: values it puts into `html` must be escaped (see `escapeHtml`). */
export type MailTemplate = (context: MailContext) => RenderedMail;

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** A message of paragraphs with an optional link, as plain text and as escaped HTML. */
function message(
  subject: string,
  paragraphs: readonly string[],
  link?: string,
  after: readonly string[] = [],
): RenderedMail {
  const text = [...paragraphs, ...(link ? [link] : []), ...after].join('\n\n');
  const html = [
    ...paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`),
    ...(link ? [`<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`] : []),
    ...after.map((p) => `<p>${escapeHtml(p)}</p>`),
  ].join('\n');
  return { subject, text, html: `<!doctype html>\n<html><body>\n${html}\n</body></html>` };
}

/** The built-in templates; each can be replaced through the `mail.templates` option. */
export const DEFAULT_MAIL_TEMPLATES: Readonly<Record<MailKind, MailTemplate>> = Object.freeze({
  verification: ({ appName, link, expiresIn }) =>
    message(
      `Verify your email for ${appName}`,
      [`Confirm that this address belongs to your ${appName} account by opening this link:`],
      link,
      [`The link works once and expires in ${expiresIn}. If you did not sign up, ignore this message.`],
    ),
  existingAccount: ({ appName }) =>
    message(`Sign-up attempt for your ${appName} account`, [
      `Someone tried to create a ${appName} account with this address, which already has one.`,
      'If it was you, sign in instead (or reset your password). If not, you can ignore this message: nothing changed.',
    ]),
  passwordReset: ({ appName, link, expiresIn }) =>
    message(
      `Reset your ${appName} password`,
      [`Someone asked to reset the password of your ${appName} account. To choose a new password, open:`],
      link,
      [
        `The link works once and expires in ${expiresIn}. If it was not you, ignore this message: your password stays as it is.`,
      ],
    ),
  passwordResetDone: ({ appName }) =>
    message(`Your ${appName} password was changed`, [
      `The password of your ${appName} account was just reset, and every session was signed out.`,
      'If it was not you, reset it again at once and contact support.',
    ]),
  emailChangeConfirmation: ({ appName, link, expiresIn }) =>
    message(
      `Confirm your new email for ${appName}`,
      [`Someone asked to use this address for a ${appName} account. To confirm the change, open:`],
      link,
      [`The link works once and expires in ${expiresIn}. If it was not you, ignore this message.`],
    ),
  newSignIn: ({ appName }) =>
    message(`New sign-in to your ${appName} account`, [
      `Your ${appName} account was just signed in to from an address it had not been used from before.`,
      'If it was you, there is nothing to do. If not, change your password now and sign out the other sessions.',
    ]),
  recoveryCodeUsed: ({ appName }) =>
    message(`A recovery code was used on your ${appName} account`, [
      `One of your ${appName} recovery codes was just used to sign in or to confirm an action. Each code works once.`,
      'If it was not you, sign in, change your password and regenerate your recovery codes now.',
    ]),
  twoFactorEnabled: ({ appName }) =>
    message(`Two-factor authentication is on for your ${appName} account`, [
      `Two-factor authentication was just turned on for your ${appName} account. Signing in now takes a code from your authenticator app as well as the password.`,
      'If it was not you, someone else holds your password and now your second factor: reset your password at once and contact support.',
    ]),
  twoFactorDisabled: ({ appName }) =>
    message(`Two-factor authentication is off for your ${appName} account`, [
      `Two-factor authentication was just turned off for your ${appName} account, and every other session was signed out. Signing in now takes only the password.`,
      'If it was not you, reset your password now, turn two-factor authentication back on and contact support.',
    ]),
  recoveryCodesRegenerated: ({ appName }) =>
    message(`New recovery codes for your ${appName} account`, [
      `New recovery codes were just made for your ${appName} account; the previous ones no longer work.`,
      'If it was not you, reset your password now and contact support.',
    ]),
  passwordChanged: ({ appName }) =>
    message(`Your ${appName} password was changed`, [
      `The password of your ${appName} account was just changed, and every other session was signed out.`,
      'If it was not you, reset your password at once and contact support.',
    ]),
  apiKeyCreated: ({ appName, apiKeyName }) =>
    message(`A new API key for your ${appName} account`, [
      `An API key named "${apiKeyName ?? ''}" was just created for your ${appName} account. It can act as you within its scopes until it expires or is revoked.`,
      'If it was not you, revoke the key in your account settings, change your password and contact support.',
    ]),
  twoFactorLocked: ({ appName }) =>
    message(`Too many wrong codes on your ${appName} account`, [
      `Too many wrong two-factor codes were entered for your ${appName} account, so code checks are paused for a while.`,
      'If it was not you, someone knows your password: change it now.',
    ]),
  passkeyAdded: ({ appName }) =>
    message(`A passkey was added to your ${appName} account`, [
      `A new passkey was just registered for your ${appName} account. It can sign in to the account without a password.`,
      'If it was not you, remove the passkey in your account settings, change your password and contact support.',
    ]),
  passkeyRemoved: ({ appName }) =>
    message(`A passkey was removed from your ${appName} account`, [
      `A passkey was just removed from your ${appName} account; it can no longer sign in.`,
      'If it was not you, someone has access to your account: change your password now and contact support.',
    ]),
  accountDeleted: ({ appName }) =>
    message(`Your ${appName} account was deleted`, [
      `Your ${appName} account was just deleted, and every session and API key of it was stopped.`,
      'If it was not you, contact support at once.',
    ]),
  twoFactorReset: ({ appName }) =>
    message(`Two-factor authentication was reset on your ${appName} account`, [
      `An administrator turned off two-factor authentication on your ${appName} account and signed out every session.`,
      'Turn it back on after you sign in. If you did not ask for this, contact support.',
    ]),
  emailChangeNotice: ({ appName }) =>
    message(`Your ${appName} email is about to change`, [
      `Someone asked to move your ${appName} account to another email address. The change applies only once the new address confirms it.`,
      'If it was not you, change your password now: whoever asked knew it.',
    ]),
});

/** Sends the feature's messages. */
export interface Mailer {
  /**
   * Renders and sends in the background: waiting for SMTP would make a known address slower
   * than an unknown one, and a failed send must not change (or reveal anything through) the
   * answer. Failures are logged with the request id, never with the address or the link.
   */
  send(kind: MailKind, to: string, context: MailContext, meta: RequestMeta): void;
}

export function createMailer(options: {
  readonly transport: MailTransport;
  readonly templates?: Partial<Readonly<Record<MailKind, MailTemplate>>>;
  readonly logger: Logger;
}): Mailer {
  return {
    send(kind, to, context, meta) {
      const template = options.templates?.[kind] ?? DEFAULT_MAIL_TEMPLATES[kind];
      Promise.resolve()
        .then(() => {
          const rendered = template(context);
          return options.transport.send({
            to,
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
          });
        })
        .catch((error: unknown) => {
          options.logger.error({ err: error, requestId: meta.requestId, mail: kind }, 'mail not sent');
        });
    },
  };
}

/** `1800` → `30 minutes`, `86400` → `24 hours`. */
export function durationInWords(seconds: number): string {
  return seconds % 3600 === 0 ? `${seconds / 3600} hours` : `${Math.round(seconds / 60)} minutes`;
}
