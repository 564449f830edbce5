/**
 * `gatehouse/mail`: mail transports for verification and password-reset messages.
 *
 * Pick one with {@link createMailTransportFromUrl} (the `GATEHOUSE_MAIL_URL` form), or build
 * one directly. Any object that implements {@link MailTransport} works as well.
 */
export { type ConsoleOutput, type ConsoleTransportOptions, createConsoleTransport } from './console.ts';
export {
  isMailError,
  MailError,
  type MailErrorKind,
  type MailErrorOptions,
  type MailLogger,
  type MailMessage,
  type MailTransport,
} from './contract.ts';
export { createFileTransport, type FileTransportOptions } from './file.ts';
export { createMailTransportFromUrl, type MailTransportFromUrlOptions } from './from-url.ts';
export { createSmtpTransport, type SmtpTlsOptions, type SmtpTransportOptions } from './smtp.ts';
