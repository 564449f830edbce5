import { z } from 'zod';

/**
 * Email addresses: one normal form for storage, lookup and mail.
 *
 * The normalised form returned by {@link normalizeEmail} is what the users table stores, what
 * every lookup (registration, login, verification, reset) compares against, and the only
 * address mail is ever sent to. The address exactly as a client typed it is never kept, so an
 * attacker cannot register `Alice@Example.com` next to `alice@example.com`, nor get a reset mail
 * delivered to a look-alike spelling of someone else's address.
 *
 * What normalisation does, in order:
 * 1. Unicode NFKC, which folds compatibility forms (fullwidth `ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ`,
 *    ligatures, the Kelvin sign, non-breaking spaces) into their plain equivalents.
 * 2. Trim surrounding whitespace.
 * 3. Lower-case the whole address, local part included. RFC 5321 lets a server treat local parts
 *    case-sensitively, but no mainstream provider does, and two accounts differing only in case
 *    would be an account-confusion hazard.
 *
 * What it deliberately does not do:
 * - Internationalised domain names stay as given: `bücher.example` is not converted to
 *   `xn--bcher-kva.example` (or back). The two spellings of one domain therefore count as two
 *   addresses; converting would need a full IDNA (UTS #46) mapping that Node does not expose
 *   without `node:url` quirks, and the mail transport handles either form.
 * - Provider-specific folding (Gmail dots, `+tag` sub-addresses) is not applied: `a.b+x@…` and
 *   `ab@…` may well be the same mailbox, but only the provider knows, and stripping them would
 *   send mail to an address the user never typed.
 *
 * @module
 */

/** Longest accepted address after normalisation, in UTF-8 octets (RFC 5321 path limit minus `<>`). */
export const EMAIL_MAX_OCTETS = 254;

/** Longest accepted local part (before the `@`), in UTF-8 octets (RFC 5321 §4.5.3.1.1). */
export const EMAIL_LOCAL_MAX_OCTETS = 64;

/** Longest raw input `emailSchema` looks at, in UTF-16 code units, before normalising. */
export const EMAIL_INPUT_MAX_LENGTH = 320;

/** The one message an invalid address gets; it never echoes the input. */
export const EMAIL_INVALID_MESSAGE = 'must be an email address';

/**
 * One dot-separated word of a local part: RFC 5322 `atext` for ASCII (lower-case only, since the
 * address is lower-cased first), and for non-ASCII (RFC 6531) any character that is not a
 * control, format, surrogate, private-use or unassigned code point, nor whitespace.
 * Quoted local parts (`"a b"@x`) and comments (`a(c)@x`) are not accepted.
 */
const LOCAL_ATOM = String.raw`(?:[a-z0-9!#$%&'*+/=?^_\x60{|}~-]|[^\p{ASCII}\p{C}\p{White_Space}])+`;
const LOCAL_PART = new RegExp(String.raw`^${LOCAL_ATOM}(?:\.${LOCAL_ATOM})*$`, 'u');

/**
 * One domain label: letters, marks and digits (any script, so IDNs pass as given), with inner
 * hyphens. Underscores, other punctuation and symbols are not hostname characters.
 */
const DOMAIN_LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?$/u;
const DOMAIN_LABEL_MAX_OCTETS = 63;
const ALL_DIGITS = /^[0-9]+$/;

const utf8 = new TextEncoder();

function octets(value: string): number {
  return utf8.encode(value).length;
}

/**
 * Normalises an email address (NFKC, trim, lower-case) and checks that the result is a plausible
 * single mailbox address.
 *
 * Returns `null`, never throws, when the input is not one: no `@` or more than one, an empty
 * local part or domain, a domain that has no dot and is not `localhost`, empty or hyphen-edged
 * domain labels, an all-numeric top-level label (an IP address), a domain literal (`[…]`), more
 * than 254 octets in total or 64 in the local part, whitespace, control or invisible format
 * characters anywhere (so no header injection and no look-alike addresses differing by a
 * zero-width character), display names or angle brackets (`Alice <a@x.com>`), lists
 * (`,` or `;`), quoted local parts, or leading, trailing or doubled dots in the local part.
 *
 * The returned string is the form to store, to look up by, and to send mail to.
 *
 * @example
 * normalizeEmail('  Alice@Example.COM ') // 'alice@example.com'
 * normalizeEmail('Alice <alice@example.com>') // null
 * @see https://www.rfc-editor.org/rfc/rfc5321#section-4.5.3.1
 * @see https://www.rfc-editor.org/rfc/rfc6531
 */
export function normalizeEmail(input: string): string | null {
  if (typeof input !== 'string') return null;
  const address = input.normalize('NFKC').trim().toLowerCase();
  if (address.length === 0 || octets(address) > EMAIL_MAX_OCTETS) return null;

  const at = address.indexOf('@');
  if (at <= 0 || at !== address.lastIndexOf('@') || at === address.length - 1) return null;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);

  if (octets(local) > EMAIL_LOCAL_MAX_OCTETS || !LOCAL_PART.test(local)) return null;
  return isPlausibleDomain(domain) ? address : null;
}

function isPlausibleDomain(domain: string): boolean {
  if (domain === 'localhost') return true;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  for (const label of labels) {
    if (octets(label) > DOMAIN_LABEL_MAX_OCTETS || !DOMAIN_LABEL.test(label)) return false;
  }
  // `user@10.0.0.1` looks like a domain but is an IP address; no top-level domain is numeric.
  return !ALL_DIGITS.test(labels[labels.length - 1]!);
}

/**
 * Zod schema for an email field in a route body: a string of at most 320 characters that
 * {@link normalizeEmail} accepts, parsed to its normalised form. Every failure carries the fixed
 * message {@link EMAIL_INVALID_MESSAGE}; the input is never quoted back.
 *
 * @example
 * const body = z.strictObject({ email: emailSchema, password: z.string() });
 * body.parse({ email: ' Bob@Example.com', password: '…' }).email // 'bob@example.com'
 */
export const emailSchema: z.ZodPipe<z.ZodString, z.ZodTransform<string, string>> = z
  .string({ error: EMAIL_INVALID_MESSAGE })
  .max(EMAIL_INPUT_MAX_LENGTH, { error: EMAIL_INVALID_MESSAGE })
  .meta({ format: 'email' })
  .describe('Email address; stored and used in normalised form (NFKC, trimmed, lower-cased).')
  .transform((value, context) => {
    const normalized = normalizeEmail(value);
    if (normalized === null) {
      // `invalid_format`/`email` rather than `custom`, so the HTTP layer maps it to its own
      // fixed "must be an email address" text instead of a generic one.
      context.addIssue({ code: 'invalid_format', format: 'email', message: EMAIL_INVALID_MESSAGE });
      return z.NEVER;
    }
    return normalized;
  });
