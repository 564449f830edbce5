import { type ConsoleOutput, createConsoleTransport } from './console.ts';
import type { MailLogger, MailTransport } from './contract.ts';
import { createFileTransport } from './file.ts';
import { createSmtpTransport, type SmtpTlsOptions } from './smtp.ts';
import { parseMailUrl } from './url.ts';

export interface MailTransportFromUrlOptions {
  /** Sender address, e.g. `Example <no-reply@example.com>`. */
  from: string;
  /** Receives a warning for each weakened setting (console transport, plaintext SMTP, …). */
  logger?: MailLogger;
  /** Where the console transport writes. Default: `process.stdout`. */
  consoleOutput?: ConsoleOutput;
  /** TLS settings for `smtp://` and `smtps://` (a private CA, for instance). */
  tls?: SmtpTlsOptions;
  /** SMTP connection timeout. Default 10 s. */
  connectionTimeoutMs?: number;
}

/**
 * Builds a transport from a mail URL, the form `GATEHOUSE_MAIL_URL` takes:
 *
 * - `console`: print messages (development only: they contain reset and verification links);
 * - `file:///absolute/dir`: one `.eml` file per message in that folder;
 * - `smtp://[user:pass@]host[:port]`: SMTP, STARTTLS when offered; add `?requireTLS=true` to
 *   refuse plaintext, `?pool=true` to reuse connections. Default port 587;
 * - `smtps://[user:pass@]host[:port]`: SMTP over implicit TLS. Default port 465.
 *
 * User and password are percent-decoded (`%40` for `@`). A URL that cannot be used throws a
 * `TypeError` saying why, without repeating the URL (it may hold the SMTP password).
 */
export function createMailTransportFromUrl(url: string, options: MailTransportFromUrlOptions): MailTransport {
  const settings = parseMailUrl(url);
  switch (settings.scheme) {
    case 'console':
      options.logger?.warn(
        'Mail: the console transport prints every message, including password-reset and verification ' +
          'links, to the output. Use it for development only.',
      );
      return createConsoleTransport({
        from: options.from,
        ...(options.consoleOutput === undefined ? {} : { output: options.consoleOutput }),
      });
    case 'file':
      return createFileTransport({ directory: settings.directory, from: options.from });
    case 'smtp': {
      const { scheme: _scheme, ...connection } = settings;
      return createSmtpTransport({
        ...connection,
        ...(connection.auth === undefined ? {} : { auth: { ...connection.auth } }),
        from: options.from,
        ...(options.logger === undefined ? {} : { logger: options.logger }),
        ...(options.tls === undefined ? {} : { tls: options.tls }),
        ...(options.connectionTimeoutMs === undefined
          ? {}
          : { connectionTimeoutMs: options.connectionTimeoutMs }),
      });
    }
  }
}
