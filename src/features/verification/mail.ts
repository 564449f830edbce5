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
