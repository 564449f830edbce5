import type { MailMessage } from '../../mail/contract.ts';

/**
 * The two messages of this feature, plain text. The link is built from the configured base URL
 * only, never from request headers (a forged Host would otherwise send users to an attacker).
 */
export function verificationMessage(
  to: string,
  appName: string,
  link: string,
  ttlHours: number,
): MailMessage {
  return {
    to,
    subject: `Verify your email for ${appName}`,
    text: [
      `Confirm that this address belongs to your ${appName} account by opening this link:`,
      '',
      link,
      '',
      `The link works once and expires in ${ttlHours} hours. If you did not sign up, ignore this message.`,
    ].join('\n'),
  };
}

export function existingAccountMessage(to: string, appName: string): MailMessage {
  return {
    to,
    subject: `Sign-up attempt for your ${appName} account`,
    text: [
      `Someone tried to create a ${appName} account with this address, which already has one.`,
      '',
      'If it was you, sign in instead (or reset your password). If not, you can ignore this message: nothing changed.',
    ].join('\n'),
  };
}

export function passwordResetMessage(
  to: string,
  appName: string,
  link: string,
  ttlMinutes: number,
): MailMessage {
  return {
    to,
    subject: `Reset your ${appName} password`,
    text: [
      `Someone asked to reset the password of your ${appName} account. To choose a new password, open:`,
      '',
      link,
      '',
      `The link works once and expires in ${ttlMinutes} minutes. If it was not you, ignore this message: your password stays as it is.`,
    ].join('\n'),
  };
}

export function passwordResetDoneMessage(to: string, appName: string): MailMessage {
  return {
    to,
    subject: `Your ${appName} password was changed`,
    text: [
      `The password of your ${appName} account was just reset, and every session was signed out.`,
      '',
      'If it was not you, reset it again at once and contact support.',
    ].join('\n'),
  };
}

export function emailChangeConfirmationMessage(
  to: string,
  appName: string,
  link: string,
  ttlHours: number,
): MailMessage {
  return {
    to,
    subject: `Confirm your new email for ${appName}`,
    text: [
      `Someone asked to use this address for a ${appName} account. To confirm the change, open:`,
      '',
      link,
      '',
      `The link works once and expires in ${ttlHours} hours. If it was not you, ignore this message.`,
    ].join('\n'),
  };
}

export function emailChangeNoticeMessage(to: string, appName: string): MailMessage {
  return {
    to,
    subject: `Your ${appName} email is about to change`,
    text: [
      `Someone asked to move your ${appName} account to another email address. The change applies only`,
      'once the new address confirms it.',
      '',
      'If it was not you, change your password now: whoever asked knew it.',
    ].join('\n'),
  };
}
