import type { Logger } from 'pino';
import type { RequestMeta } from '../../core/index.ts';
import type { MailTransport } from '../../mail/contract.ts';

/** What the sign-in mail says: the code, the link, and how long both work. */
export interface EmailCodeMailContext {
  readonly appName: string;
  readonly code: string;
  readonly link: string;
  /** In words (`10 minutes`). */
  readonly expiresIn: string;
}

const HTML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/** The sign-in mail, as plain text and as escaped HTML. */
export function renderEmailCodeMail(context: EmailCodeMailContext): {
  subject: string;
  text: string;
  html: string;
} {
  const { appName, code, link, expiresIn } = context;
  const intro = `Your ${appName} sign-in code is:`;
  const linkLine = 'Or sign in with this link, in the browser where you asked for the code:';
  const outro = `The code and the link work once and expire in ${expiresIn}. If you did not try to sign in, ignore this message: nobody can sign in without the code.`;
  return {
    // The code is not in the subject: notification previews on a locked screen would show it.
    subject: `Your ${appName} sign-in code`,
    text: [intro, code, linkLine, link, outro].join('\n\n'),
    html: [
      '<!doctype html>',
      '<html><body>',
      `<p>${escapeHtml(intro)}</p>`,
      `<p style="font-size:1.5em;letter-spacing:0.2em"><strong>${escapeHtml(code)}</strong></p>`,
      `<p>${escapeHtml(linkLine)}</p>`,
      `<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>`,
      `<p>${escapeHtml(outro)}</p>`,
      '</body></html>',
    ].join('\n'),
  };
}

/**
 * Sends in the background: waiting for SMTP would make a known address slower than an unknown
 * one, and a failed send must not change the answer. For an unknown address the same mail is
 * rendered and dropped, so both paths do the same work before the answer. Failures are logged
 * with the request id, never with the address, the code or the link.
 */
export function createEmailCodeMailer(transport: MailTransport, logger: Logger) {
  return (to: string | null, context: EmailCodeMailContext, meta: RequestMeta): void => {
    Promise.resolve()
      .then(() => {
        const rendered = renderEmailCodeMail(context);
        if (to === null) return;
        return transport.send({ to, ...rendered });
      })
      .catch((error: unknown) => {
        logger.error({ err: error, requestId: meta.requestId, mail: 'emailCode' }, 'mail not sent');
      });
  };
}
