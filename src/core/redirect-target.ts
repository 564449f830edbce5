/**
 * Where a browser may be sent after an OAuth sign-in: the `redirectTo` a client passes to
 * `/auth/oauth/{provider}/authorize`, checked before it is stored in the flow cookie, so the
 * callback can never be turned into an open redirect (OWASP "Unvalidated Redirects and
 * Forwards"; RFC 9700 §4.11).
 *
 * The check is an allow-list, never a deny-list: a value is accepted only in one of two exact
 * shapes, and is then parsed with the WHATWG URL parser (the one browsers use) and checked again
 * on what the parser made of it. Everything else is refused.
 */

/** The longest `redirectTo` accepted, before and after normalisation. */
export const MAX_REDIRECT_TARGET_LENGTH = 2048;

/** Where redirects may go. */
export interface RedirectPolicy {
  /**
   * The public URL of this server (`https://auth.example.com`): relative paths resolve against
   * it, and its origin is always allowed.
   */
  readonly baseUrl: string;
  /**
   * Further origins an absolute `redirectTo` may name, serialized as `new URL(x).origin` writes
   * them: lower-case scheme and host, no default port, no path, no trailing slash
   * (`https://app.example.com`, `http://localhost:5173`). Matched exactly: no wildcards, no
   * subdomains.
   */
  readonly allowedOrigins: readonly string[];
}

/**
 * Printable ASCII only. Controls, spaces and tabs are what parsers silently strip or fold
 * (`/\t/evil` parses as `//evil`), a backslash is a slash to browsers, and non-ASCII code points
 * invite look-alikes (`／／evil`, `〱evil`, full-width or IDN hosts that normalise to another
 * host). Clients percent-encode anything else, as `URL#href` and `encodeURIComponent` do.
 */
const PRINTABLE_ASCII = /^[\x21-\x5b\x5d-\x7e]+$/;
/** An absolute target spells `http://` or `https://` in full: never `https:evil`, `http:/evil`. */
const ABSOLUTE_PREFIX = /^https?:\/\//i;
const PERCENT_ESCAPE = /%([0-9a-f]{2})/gi;
/** Layers of percent-encoding looked through; deeper nesting is refused, not guessed at. */
const MAX_DECODE_ROUNDS = 4;
const DEFAULT_PORTS: Readonly<Record<string, string>> = { 'http:': '80', 'https:': '443' };

/**
 * Checks a client-supplied `redirectTo` and returns the absolute URL to redirect to, or `null`
 * when it is not allowed. Two shapes are accepted:
 *
 * - a path on this server: exactly one `/` followed by anything but `/` or `\` (or just `/`),
 *   e.g. `/app/home?x=1#y`, resolved against `policy.baseUrl`;
 * - an absolute `http://` or `https://` URL whose origin is the base URL's or exactly one of
 *   `policy.allowedOrigins`, without userinfo (`user@host`).
 *
 * Refused, among others: protocol-relative `//evil` and `/\evil`, `https:evil`, `http:/evil`,
 * `javascript:` / `data:` / `vbscript:` in any case, leading or embedded whitespace and control
 * characters, backslashes, non-ASCII characters, percent-encoded slashes, backslashes or
 * controls that decode into any of these (`/%2F%2Fevil`, `/%5Cevil`, `/%09/evil`, also
 * double-encoded), paths that normalise to `//…` (`/..//evil`), hosts that only look like an
 * allowed one (`allowed.example.evil.example`, `allowed.example@evil.example`, other ports,
 * trailing dots, percent-encoded hosts), empty values and values over
 * {@link MAX_REDIRECT_TARGET_LENGTH} characters.
 *
 * Relative paths come back as absolute URLs (`https://auth.example.com/app/home?x=1#y`), not as
 * paths, so that what was checked is exactly what is sent: the `Location` header carries the
 * parser's own serialization, whose origin this function compared, and neither the caller nor
 * the browser resolves anything again (a path joined to a base by string concatenation is how
 * `/.evil.example` becomes `https://auth.example.com.evil.example`).
 *
 * Throws a `TypeError` when the policy itself is invalid (a configuration error, not a refusal);
 * use {@link assertRedirectPolicy} to check it once at startup.
 *
 * @example
 * const policy = { baseUrl: 'https://auth.example.com', allowedOrigins: ['https://app.example.com'] };
 * checkRedirectTarget('/welcome?tab=1', policy); // 'https://auth.example.com/welcome?tab=1'
 * checkRedirectTarget('https://app.example.com/done', policy); // 'https://app.example.com/done'
 * checkRedirectTarget('//evil.example', policy); // null
 *
 * @see https://cheatsheetseries.owasp.org/cheatsheets/Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html
 * @see https://url.spec.whatwg.org/ — the parser this check and browsers share
 */
export function checkRedirectTarget(value: string, policy: RedirectPolicy): string | null {
  const { base, origins } = parsePolicy(policy);
  if (typeof value !== 'string') return null;
  if (value.length === 0 || value.length > MAX_REDIRECT_TARGET_LENGTH) return null;
  if (!PRINTABLE_ASCII.test(value)) return null;

  let target: URL | null;
  if (value.startsWith('/')) {
    // One slash, then anything but a second one; backslashes never got past PRINTABLE_ASCII.
    if (value.length > 1 && value[1] === '/') return null;
    target = URL.parse(value, base.href);
  } else if (ABSOLUTE_PREFIX.test(value)) {
    target = URL.parse(value);
    if (target !== null && !authorityIsLiteral(value, target)) return null;
  } else {
    return null;
  }
  if (target === null) return null;

  if (target.protocol !== 'http:' && target.protocol !== 'https:') return null;
  if (target.username !== '' || target.password !== '') return null;
  if (target.origin !== base.origin && !origins.has(target.origin)) return null;
  // `/..//evil` and `/.//evil` normalise to the path `//evil`, which a later relative redirect
  // (ours or the target app's) would read as another host.
  if (target.pathname.startsWith('//')) return null;
  if (hidesStructure(target.href, target.pathname)) return null;
  const href = target.href;
  return href.length > MAX_REDIRECT_TARGET_LENGTH ? null : href;
}

/**
 * Throws a `TypeError` unless `policy` is usable: `baseUrl` an `http:` or `https:` URL, and every
 * entry of `allowedOrigins` a serialized `http:`/`https:` origin (see {@link RedirectPolicy}).
 * The message names the field, never the value.
 */
export function assertRedirectPolicy(policy: RedirectPolicy): void {
  parsePolicy(policy);
}

function parsePolicy(policy: RedirectPolicy): { base: URL; origins: ReadonlySet<string> } {
  const base = typeof policy?.baseUrl === 'string' ? URL.parse(policy.baseUrl) : null;
  if (base === null || (base.protocol !== 'http:' && base.protocol !== 'https:')) {
    throw new TypeError('redirect policy: baseUrl must be an http: or https: URL');
  }
  if (!Array.isArray(policy.allowedOrigins)) {
    throw new TypeError('redirect policy: allowedOrigins must be an array of origins');
  }
  for (const origin of policy.allowedOrigins) {
    const parsed = typeof origin === 'string' ? URL.parse(origin) : null;
    const isHttp = parsed !== null && (parsed.protocol === 'http:' || parsed.protocol === 'https:');
    // Only the canonical spelling: an entry that would never equal a parsed URL's `origin` is
    // a configuration mistake that would silently allow nothing, so say so instead. The same
    // goes for `*`, which the parser takes as a literal host character, never as a wildcard.
    if (!isHttp || parsed.origin !== origin || parsed.hostname.includes('*')) {
      throw new TypeError(
        'redirect policy: allowedOrigins entries must be serialized http(s) origins without wildcards, like https://app.example.com',
      );
    }
  }
  return { base, origins: new Set(policy.allowedOrigins) };
}

/**
 * Whether the authority the value spells is the host the parser found, up to letter case and
 * an explicit default port. Refuses what the parser rewrites on the way: percent-encoded or
 * empty hosts, extra slashes (`https:///evil`), `@`, trailing dots, numeric IPv4 spellings.
 */
function authorityIsLiteral(value: string, parsed: URL): boolean {
  const afterScheme = value.slice(value.indexOf('//') + 2);
  const end = afterScheme.search(/[/?#]/);
  const authority = (end === -1 ? afterScheme : afterScheme.slice(0, end)).toLowerCase();
  if (authority.length === 0 || authority.includes('@')) return false;
  if (authority === parsed.host) return true;
  const defaultPort = DEFAULT_PORTS[parsed.protocol];
  return parsed.port === '' && authority === `${parsed.hostname}:${defaultPort}`;
}

/**
 * Whether percent-decoding (up to {@link MAX_DECODE_ROUNDS} times, for servers that decode
 * twice) reveals a control character or backslash anywhere, or a path that starts with `//`.
 * Bytes are decoded one by one, so invalid UTF-8 cannot make decoding fail or hide a byte.
 */
function hidesStructure(href: string, pathname: string): boolean {
  let whole = href;
  let path = pathname;
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const decodedWhole = decodeBytes(whole);
    const decodedPath = decodeBytes(path);
    if (decodedWhole === whole) return false;
    if (hasControlOrBackslash(decodedWhole) || decodedPath.startsWith('//')) return true;
    whole = decodedWhole;
    path = decodedPath;
  }
  // Still changing after that many rounds: no real link nests encodings this deep.
  return decodeBytes(whole) !== whole;
}

/** What a percent-decoded layer must not contain: C0 controls, DEL, backslash. */
function hasControlOrBackslash(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f || code === 0x5c) return true;
  }
  return false;
}

function decodeBytes(text: string): string {
  return text.replace(PERCENT_ESCAPE, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}
