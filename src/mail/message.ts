import addressparser from 'nodemailer/lib/addressparser';
import type { MailComposerOptions } from 'nodemailer/lib/mail-composer';
import type { MailMessage } from './contract.ts';

/**
 * Checks shared by every transport, so a message that one transport refuses is refused by all,
 * and the raw message built for a file matches what SMTP would send.
 *
 * Messages are refused with a `TypeError` (a programming error in the caller), never echoing
 * the offending value: it is usually an email address or a subject built from user input.
 */

/** A `TypeError` with a Node-style code, for bad arguments and options. */
export function invalidArgument(message: string): TypeError {
  const error = new TypeError(message);
  Object.defineProperty(error, 'code', { value: 'ERR_INVALID_ARG_VALUE', enumerable: true });
  return error;
}

// One bare address: no display name, no list separator, no whitespace or control characters.
// Non-ASCII letters are allowed (internationalised addresses); nodemailer encodes them.
const SINGLE_ADDRESS = /^[^\s@<>,;:"()[\]\\]+@[^\s@<>,;:"()[\]\\]+$/u;
const MAX_ADDRESS_LENGTH = 254;
const LINE_BREAK = /[\r\n]/;
// RFC 5322 field name: printable ASCII except the colon.
const FIELD_NAME = /^[!-9;-~]+$/;
// Fields the transport owns: letting a caller set them would add recipients, change the
// sender or break the MIME structure built from `text` and `html`.
const RESERVED_FIELDS = new Set([
  'to',
  'cc',
  'bcc',
  'from',
  'sender',
  'reply-to',
  'return-path',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
]);

/**
 * Validates the sender address once, when a transport is built. Accepts `user@example.com` or
 * `Name <user@example.com>`.
 */
export function checkFrom(from: unknown): string {
  if (typeof from !== 'string' || from.trim() === '' || LINE_BREAK.test(from)) {
    throw invalidArgument('Mail option "from" must be one address, e.g. "Example <no-reply@example.com>"');
  }
  const parsed = addressparser(from, { flatten: true });
  const only = parsed[0];
  if (parsed.length !== 1 || !only || !SINGLE_ADDRESS.test(only.address)) {
    throw invalidArgument('Mail option "from" must be one address, e.g. "Example <no-reply@example.com>"');
  }
  return from;
}

/** Refuses a message whose fields could inject recipients or headers. */
export function checkMessage(message: MailMessage): void {
  if (typeof message !== 'object' || message === null)
    throw invalidArgument('A mail message must be an object');
  const { to, subject, text, html, headers } = message;
  if (typeof to !== 'string' || to.length > MAX_ADDRESS_LENGTH || !SINGLE_ADDRESS.test(to)) {
    throw invalidArgument('Mail "to" must be a single bare address');
  }
  if (typeof subject !== 'string' || LINE_BREAK.test(subject)) {
    throw invalidArgument('Mail "subject" must be a string on one line');
  }
  if (typeof text !== 'string') throw invalidArgument('Mail "text" must be a string');
  if (html !== undefined && typeof html !== 'string') throw invalidArgument('Mail "html" must be a string');
  if (headers === undefined) return;
  if (typeof headers !== 'object' || headers === null)
    throw invalidArgument('Mail "headers" must be an object');
  for (const [name, value] of Object.entries(headers)) {
    if (!FIELD_NAME.test(name))
      throw invalidArgument('Mail header names must be printable ASCII without ":"');
    if (RESERVED_FIELDS.has(name.toLowerCase())) {
      throw invalidArgument('Mail headers may not set recipients, sender, subject or MIME structure');
    }
    if (typeof value !== 'string' || LINE_BREAK.test(value)) {
      throw invalidArgument('Mail header values must be strings on one line');
    }
  }
}

/**
 * The nodemailer message for `message`, with every option that could read files or URLs off,
 * and no `X-Mailer` (it only advertises the library and version).
 */
export function toComposerOptions(message: MailMessage, from: string): MailComposerOptions {
  return {
    from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    ...(message.html === undefined ? {} : { html: message.html }),
    ...(message.headers === undefined ? {} : { headers: { ...message.headers } }),
    disableFileAccess: true,
    disableUrlAccess: true,
    xMailer: false,
    newline: 'win',
  };
}
