import { isIP } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import nodemailer from 'nodemailer';
import type { MailErrorKind, MailLogger, MailMessage, MailTransport } from './contract.ts';
import { MailError } from './contract.ts';
import { checkFrom, checkMessage, invalidArgument, toComposerOptions } from './message.ts';
import { parseSmtpUrl, type SmtpUrlSettings } from './url.ts';

export interface SmtpTlsOptions {
  /** Verify the server certificate. Default `true`; `false` is logged as a warning. */
  rejectUnauthorized?: boolean;
  /** Extra trusted CA certificates (PEM), e.g. for a private mail relay. */
  ca?: string | Buffer | (string | Buffer)[];
  /** Name to check the certificate against, when `host` is an IP address. */
  servername?: string;
}

export interface SmtpTransportOptions {
  /** Sender address, e.g. `Example <no-reply@example.com>`. */
  from: string;
  /**
   * `smtp://[user:pass@]host[:port][?requireTLS=true&pool=true]` or `smtps://…`. Replaces
   * `host`, `port`, `secure`, `requireTLS`, `pool` and `auth`, which must then be left out.
   */
  url?: string;
  host?: string;
  /** Default 465 with `secure`, 587 otherwise. */
  port?: number;
  /** Implicit TLS from the first byte (port 465, `smtps://`). */
  secure?: boolean;
  /** Fail unless the server upgrades the connection with STARTTLS. */
  requireTLS?: boolean;
  auth?: { user: string; pass: string };
  /** Keep up to `maxConnections` (default 5) connections open and reuse them. */
  pool?: boolean | { maxConnections?: number; maxMessages?: number };
  tls?: SmtpTlsOptions;
  /** Time to establish the TCP connection. Default 10 s. */
  connectionTimeoutMs?: number;
  /** Time to wait for the server's greeting once connected. Default 10 s. */
  greetingTimeoutMs?: number;
  /** Time a connection may stay silent mid-conversation. Default 60 s. */
  socketTimeoutMs?: number;
  /** Host name sent with EHLO. Default: this machine's host name. */
  name?: string;
  /** Receives a warning for each weakened setting (plaintext allowed, certificates not checked). */
  logger?: MailLogger;
}

const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;
const DEFAULT_GREETING_TIMEOUT_MS = 10_000;
const DEFAULT_SOCKET_TIMEOUT_MS = 60_000;
const URL_PROVIDED_OPTIONS = ['host', 'port', 'secure', 'requireTLS', 'pool', 'auth'] as const;

/**
 * Sends mail through an SMTP server with nodemailer.
 *
 * TLS: `secure` (implicit TLS) or STARTTLS. Without `requireTLS`, STARTTLS is used whenever
 * the server offers it, but an attacker on the path can strip the offer; a warning is logged
 * unless the server is on loopback. Certificates are always verified unless
 * `tls.rejectUnauthorized` is `false` (also logged).
 *
 * Failures reject with a {@link MailError} that names the kind of failure and the SMTP codes,
 * never the server's reply text (it often echoes the recipient), the credentials or the body.
 */
export function createSmtpTransport(options: SmtpTransportOptions): MailTransport {
  const from = checkFrom(options.from);
  const settings = resolveSettings(options);
  warnAboutWeakSettings(settings, options);

  // With `url`, `options.pool` is undefined (checked above) and the URL's `?pool=` decides.
  const poolLimits = typeof options.pool === 'object' ? checkPoolLimits(options.pool) : {};
  const tls: ConnectionOptions = {
    minVersion: 'TLSv1.2',
    rejectUnauthorized: options.tls?.rejectUnauthorized ?? true,
    ...(options.tls?.ca === undefined ? {} : { ca: options.tls.ca }),
    ...(options.tls?.servername === undefined ? {} : { servername: options.tls.servername }),
  };
  const common = {
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    requireTLS: settings.requireTLS,
    ...(settings.auth === undefined ? {} : { auth: { user: settings.auth.user, pass: settings.auth.pass } }),
    tls,
    connectionTimeout: timeout(
      options.connectionTimeoutMs,
      DEFAULT_CONNECTION_TIMEOUT_MS,
      'connectionTimeoutMs',
    ),
    greetingTimeout: timeout(options.greetingTimeoutMs, DEFAULT_GREETING_TIMEOUT_MS, 'greetingTimeoutMs'),
    socketTimeout: timeout(options.socketTimeoutMs, DEFAULT_SOCKET_TIMEOUT_MS, 'socketTimeoutMs'),
    ...(options.name === undefined ? {} : { name: options.name }),
    // Nodemailer's own logging would print SMTP traffic, which holds the message and AUTH data.
    logger: false,
    debug: false,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  const transporter = settings.pool
    ? nodemailer.createTransport({ ...common, pool: true, ...poolLimits })
    : nodemailer.createTransport(common);

  return {
    kind: 'smtp',
    async send(message: MailMessage): Promise<void> {
      checkMessage(message);
      let rejectedCount: number;
      try {
        const info = await transporter.sendMail(toComposerOptions(message, from));
        rejectedCount = info.rejected.length;
      } catch (error) {
        throw toMailError(error);
      }
      if (rejectedCount > 0) throw new MailError('rejected');
    },
    async verify(): Promise<void> {
      try {
        await transporter.verify();
      } catch (error) {
        throw toMailError(error);
      }
    },
    async close(): Promise<void> {
      transporter.close();
    },
  };
}

function resolveSettings(options: SmtpTransportOptions): SmtpUrlSettings {
  if (options.url !== undefined) {
    const conflicting = URL_PROVIDED_OPTIONS.filter((key) => options[key] !== undefined);
    if (conflicting.length > 0) {
      throw invalidArgument(
        `SMTP options: give either "url" or ${conflicting.map((k) => `"${k}"`).join(', ')}`,
      );
    }
    return parseSmtpUrl(options.url);
  }
  const { host, secure = false, requireTLS = false, auth } = options;
  if (typeof host !== 'string' || host.trim() === '') {
    throw invalidArgument('SMTP options need "url" or "host"');
  }
  if (secure && requireTLS) {
    throw invalidArgument('SMTP options: "requireTLS" applies to STARTTLS; "secure" already uses TLS');
  }
  const port = options.port ?? (secure ? 465 : 587);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw invalidArgument('SMTP option "port" must be an integer between 1 and 65535');
  }
  if (
    auth !== undefined &&
    (typeof auth.user !== 'string' || typeof auth.pass !== 'string' || auth.user === '')
  ) {
    throw invalidArgument('SMTP option "auth" needs a user and a password');
  }
  return { host, port, secure, requireTLS, pool: Boolean(options.pool), auth };
}

function checkPoolLimits(limits: { maxConnections?: number; maxMessages?: number }): {
  maxConnections?: number;
  maxMessages?: number;
} {
  const checked: { maxConnections?: number; maxMessages?: number } = {};
  for (const key of ['maxConnections', 'maxMessages'] as const) {
    const value = limits[key];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value <= 0)
      throw invalidArgument(`SMTP option "pool.${key}" must be a positive integer`);
    checked[key] = value;
  }
  return checked;
}

function timeout(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0)
    throw invalidArgument(`SMTP option "${name}" must be a positive integer`);
  return value;
}

function warnAboutWeakSettings(settings: SmtpUrlSettings, options: SmtpTransportOptions): void {
  const { logger } = options;
  if (!logger) return;
  if (!settings.secure && !settings.requireTLS && !isLoopback(settings.host)) {
    logger.warn(
      'SMTP: TLS is not required. STARTTLS is used when the server offers it, but an attacker on the ' +
        'network path can strip the offer and read the credentials and the links in every message. ' +
        'Set requireTLS (?requireTLS=true) or use implicit TLS (smtps://).',
    );
  }
  if (options.tls?.rejectUnauthorized === false) {
    logger.warn(
      'SMTP: certificate verification is off (tls.rejectUnauthorized=false); anyone on the network ' +
        'path can impersonate the mail server. Trust the server with tls.ca instead.',
    );
  }
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

const KIND_BY_CODE: Readonly<Record<string, MailErrorKind>> = {
  ECONNECTION: 'connection',
  ESOCKET: 'connection',
  EDNS: 'connection',
  EPROXY: 'connection',
  ETIMEDOUT: 'timeout',
  EAUTH: 'auth',
  ENOAUTH: 'auth',
  ETLS: 'tls',
  EREQUIRETLS: 'tls',
  EENVELOPE: 'rejected',
  EMESSAGE: 'rejected',
  EMAXRECIPIENTS: 'rejected',
  EPROTOCOL: 'protocol',
};

const RETRYABLE_KINDS: ReadonlySet<MailErrorKind> = new Set(['connection', 'timeout']);

/**
 * Keeps only the machine-readable parts of a nodemailer error. Its message, `response`,
 * `recipient` and `rejected` fields can hold the recipient address and the server's reply, so
 * neither the error nor its text is attached as `cause`.
 */
function toMailError(error: unknown): MailError {
  const details = (typeof error === 'object' && error !== null ? error : {}) as {
    code?: unknown;
    originalCode?: unknown;
    responseCode?: unknown;
    permanent?: unknown;
  };
  const code = codeOrUndefined(details.code);
  const originalCode = codeOrUndefined(details.originalCode);
  const responseCode = typeof details.responseCode === 'number' ? details.responseCode : undefined;
  let kind: MailErrorKind = (code && KIND_BY_CODE[code]) || 'unknown';
  // A certificate that fails verification surfaces as a socket error; report it as TLS.
  if (kind === 'connection' && /CERT|SSL|TLS/.test(originalCode ?? '')) kind = 'tls';
  const retryable =
    RETRYABLE_KINDS.has(kind) ||
    (kind === 'rejected' && responseCode !== undefined && details.permanent === false);
  return new MailError(kind, {
    retryable,
    ...(originalCode || code ? { reason: originalCode ?? code } : {}),
    ...(responseCode === undefined ? {} : { responseCode }),
  });
}

function codeOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && /^[A-Z0-9_]{1,64}$/.test(value) ? value : undefined;
}
