/**
 * The mail contract: what features (email verification, password reset, change of email) need
 * from a mail transport, and nothing more. Transports live beside this file (`console`, `file`,
 * `smtp`); features import only this module, so they never depend on a concrete transport.
 *
 * Mail sent by Gatehouse carries bearer secrets (verification and reset links). Transports
 * therefore never put a message's recipient, body or any credential into an error message or
 * a log line.
 *
 * This module imports nothing: transports depend on it, never the other way round.
 */

/** One message to one recipient. The sender (`from`) is fixed by the transport's options. */
export interface MailMessage {
  /** A single address (`user@example.com`), no display name and no list. */
  to: string;
  /** One line: carriage returns and line feeds are refused. */
  subject: string;
  /** Plain-text body; always sent, so every client can read the message. */
  text: string;
  /** Optional HTML alternative of the same content (sent as `multipart/alternative`). */
  html?: string;
  /**
   * Extra header fields, e.g. `{ 'Auto-Submitted': 'auto-generated' }`. Fields that change
   * recipients, sender or MIME structure (`To`, `Bcc`, `From`, `Content-Type`, …) are refused.
   */
  headers?: Record<string, string>;
}

/**
 * Delivers messages. `send` resolves once the message is handed over (accepted by the SMTP
 * server, written to disk, printed) and rejects with a {@link MailError} otherwise.
 */
export interface MailTransport {
  /** Name for logs and diagnostics, e.g. `smtp`, `file`, `console`. Never branch on it. */
  readonly kind: string;
  send(message: MailMessage): Promise<void>;
  /** Checks the transport can deliver (connects and authenticates, or can write). */
  verify?(): Promise<void>;
  /** Releases connections or handles the transport holds. */
  close?(): Promise<void>;
}

/** Where warnings about weakened mail settings go; a pino logger fits. */
export interface MailLogger {
  warn(message: string): void;
}

/** Why a message could not be delivered. */
export type MailErrorKind =
  /** The server could not be reached or dropped the connection. */
  | 'connection'
  /** The server did not answer within a configured timeout. */
  | 'timeout'
  /** The server refused the credentials, or asked for credentials that were not given. */
  | 'auth'
  /** TLS could not be set up (untrusted certificate, STARTTLS missing while required). */
  | 'tls'
  /** The server refused the sender, the recipient or the message. */
  | 'rejected'
  /** The server answered something the client did not expect. */
  | 'protocol'
  /** The message could not be written (file transport, console output). */
  | 'write'
  /** Anything else. */
  | 'unknown';

const MESSAGES: Readonly<Record<MailErrorKind, string>> = {
  connection: 'Could not connect to the mail server.',
  timeout: 'The mail server did not answer in time.',
  auth: 'The mail server did not accept the credentials.',
  tls: 'Could not set up a trusted TLS connection to the mail server.',
  rejected: 'The mail server refused the message.',
  protocol: 'The mail server sent an unexpected reply.',
  write: 'Could not write the message.',
  unknown: 'Sending the message failed.',
};

export interface MailErrorOptions {
  /** Whether sending the same message again later may succeed. */
  readonly retryable?: boolean;
  /** The underlying error code, e.g. `EAUTH` or `ECONNREFUSED` (never free text). */
  readonly reason?: string;
  /** The SMTP reply code, e.g. `535`. */
  readonly responseCode?: number;
  /** Only for causes known to hold no recipient, body or credential (e.g. a file system error). */
  readonly cause?: unknown;
}

/**
 * A message could not be delivered. The message is a fixed text per {@link MailErrorKind}: it
 * never contains the recipient, the body or credentials. For the same reason an SMTP failure
 * keeps only its codes (`reason`, `responseCode`), not the server's reply text, which often
 * echoes the recipient address.
 */
export class MailError extends Error {
  override readonly name = 'MailError';
  readonly kind: MailErrorKind;
  readonly retryable: boolean;
  readonly reason: string | undefined;
  readonly responseCode: number | undefined;

  constructor(kind: MailErrorKind, options: MailErrorOptions = {}) {
    super(MESSAGES[kind], options.cause === undefined ? undefined : { cause: options.cause });
    this.kind = kind;
    this.retryable = options.retryable ?? false;
    this.reason = options.reason;
    this.responseCode = options.responseCode;
  }
}

export function isMailError(value: unknown): value is MailError {
  return value instanceof MailError;
}
