import { fileURLToPath } from 'node:url';
import { invalidArgument } from './message.ts';

/**
 * Parsing of mail URLs (`GATEHOUSE_MAIL_URL`). Errors explain what is wrong without echoing
 * the URL or any part of it: the URL may hold an SMTP password, and error messages end up in
 * logs and crash reports.
 */

export interface SmtpUrlSettings {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS (`smtps://`). */
  readonly secure: boolean;
  /** Refuse to continue unless the server upgrades with STARTTLS (`?requireTLS=true`). */
  readonly requireTLS: boolean;
  /** Keep a pool of connections open (`?pool=true`). */
  readonly pool: boolean;
  readonly auth: { readonly user: string; readonly pass: string } | undefined;
}

export type MailUrlSettings =
  | { readonly scheme: 'console' }
  | { readonly scheme: 'file'; readonly directory: string }
  | ({ readonly scheme: 'smtp' } & SmtpUrlSettings);

const SUPPORTED = 'use "console", "file:///absolute/dir", "smtp://[user:pass@]host[:port]" or "smtps://…"';
const SMTP_PARAMETERS = new Set(['requireTLS', 'pool']);

/** Parses any supported mail URL; throws a `TypeError` that never contains the URL. */
export function parseMailUrl(url: string): MailUrlSettings {
  if (typeof url !== 'string' || url.trim() === '') throw invalidUrl(`it is empty; ${SUPPORTED}`);
  const value = url.trim();
  if (value === 'console' || value === 'console:') return { scheme: 'console' };
  const parsed = tryParse(value);
  switch (parsed.protocol) {
    case 'file:':
      return { scheme: 'file', directory: parseFileUrl(value, parsed) };
    case 'smtp:':
    case 'smtps:':
      return { scheme: 'smtp', ...smtpSettingsFromUrl(parsed) };
    default:
      throw invalidUrl(`the scheme is not supported; ${SUPPORTED}`);
  }
}

/** Parses an `smtp://` or `smtps://` URL. */
export function parseSmtpUrl(url: string): SmtpUrlSettings {
  const parsed = tryParse(typeof url === 'string' ? url.trim() : '');
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw invalidUrl('an SMTP URL must start with smtp:// or smtps://');
  }
  return smtpSettingsFromUrl(parsed);
}

function tryParse(value: string): URL {
  // URL parse errors carry the input (`error.input`), so the original error is not kept.
  const parsed = URL.parse(value);
  if (parsed === null) throw invalidUrl(`it is not a valid URL; ${SUPPORTED}`);
  return parsed;
}

function parseFileUrl(raw: string, parsed: URL): string {
  // WHATWG URL parsing turns `file:relative/dir` into `file:///relative/dir`, so the raw text
  // is checked: only `file:///…` (or `file://localhost/…`) names an absolute directory.
  if (!/^file:\/\/(localhost)?\//i.test(raw)) {
    throw invalidUrl('a file URL must name an absolute directory, e.g. file:///var/spool/gatehouse-mail');
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw invalidUrl('a file URL takes no query or fragment');
  }
  const directory = fileURLToPath(parsed);
  if (directory === '/' || directory === '')
    throw invalidUrl('a file URL must name a directory below the root');
  return directory.length > 1 ? directory.replace(/\/+$/, '') : directory;
}

function smtpSettingsFromUrl(parsed: URL): SmtpUrlSettings {
  const secure = parsed.protocol === 'smtps:';
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (host === '') throw invalidUrl('an SMTP URL needs a host, e.g. smtp://mail.example.com:587');
  if (parsed.pathname !== '' && parsed.pathname !== '/') throw invalidUrl('an SMTP URL takes no path');
  if (parsed.hash !== '') throw invalidUrl('an SMTP URL takes no fragment');
  if (parsed.port === '0') throw invalidUrl('the SMTP port must be between 1 and 65535');

  const flags = { requireTLS: false, pool: false };
  for (const [name, value] of parsed.searchParams) {
    if (!SMTP_PARAMETERS.has(name)) {
      throw invalidUrl('an SMTP URL accepts only the query parameters requireTLS and pool');
    }
    if (value !== 'true' && value !== 'false')
      throw invalidUrl(`the ${name} parameter must be true or false`);
    flags[name as keyof typeof flags] = value === 'true';
  }
  if (secure && flags.requireTLS) {
    throw invalidUrl('requireTLS applies to smtp:// (STARTTLS); smtps:// always uses TLS');
  }

  const user = decodeComponent(parsed.username);
  const pass = decodeComponent(parsed.password);
  if ((user === '') !== (pass === '')) {
    throw invalidUrl('SMTP credentials need both a user and a password (smtp://user:pass@host)');
  }

  return {
    host,
    port: parsed.port === '' ? (secure ? 465 : 587) : Number(parsed.port),
    secure,
    requireTLS: flags.requireTLS,
    pool: flags.pool,
    auth: user === '' ? undefined : { user, pass },
  };
}

function decodeComponent(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw invalidUrl('the user or password is not valid percent-encoding');
  }
}

function invalidUrl(reason: string): TypeError {
  return invalidArgument(`Invalid mail URL: ${reason}`);
}
