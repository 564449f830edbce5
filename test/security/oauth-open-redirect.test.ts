/**
 * Threat: open redirect through the OAuth `redirectTo` — an attacker links a victim to
 * `/auth/oauth/{provider}/authorize?redirectTo=<payload>`; after a genuine sign-in at the
 * provider, our callback would send the victim (and, for SPA flows, a fresh exchange code in
 * the URL) to a host the attacker controls, or run script in our origin (`javascript:`).
 * Payloads are the usual filter bypasses (OWASP Unvalidated Redirects and Forwards cheat sheet,
 * PayloadsAllTheThings "Open Redirect"): protocol-relative and backslash forms, scheme tricks,
 * whitespace and control characters that URL parsers strip, single, double and triple
 * percent-encoding, userinfo and fragment confusion, look-alike hosts, ports, numeric and
 * Unicode host spellings.
 * Invariant: `checkRedirectTarget` accepts only a path on our own site (exactly one leading
 * `/`) or an absolute http(s) URL whose origin is exactly ours or an allow-listed one, with no
 * userinfo, and returns the parser's serialization of it; every other value is `null`. Every
 * accepted value, parsed again, is on an allowed origin.
 * @see issue 8
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRedirectTarget, type RedirectPolicy } from '../../src/core/redirect-target.ts';

const BASE = 'https://auth.example.com';
const POLICY: RedirectPolicy = {
  baseUrl: BASE,
  allowedOrigins: ['https://allowed.example', 'http://localhost:5173'],
};
const ALLOWED_ORIGINS = new Set([BASE, ...POLICY.allowedOrigins]);

/** Payloads by family; each one becomes its own test case. */
const REFUSED: Readonly<Record<string, readonly string[]>> = {
  'protocol-relative and slash confusion': [
    '//evil.example',
    '//evil.example/',
    '///evil.example',
    '////evil.example',
    '//evil.example/%2f..',
    '//allowed.example',
    '/\\evil.example',
    '\\\\evil.example',
    '\\/\\/evil.example/',
    '/\\/evil.example/',
    '//\\/evil.example',
    '\\evil.example',
    '/..//evil.example',
    '/.//evil.example',
    '/app/../..//evil.example',
    '/%2e%2e//evil.example',
    '/%2e//evil.example',
  ],
  'scheme tricks': [
    'https:evil.example',
    'http:evil.example',
    'https:/evil.example',
    'http:/evil.example',
    'https:\\\\evil.example',
    'http:/\\/\\evil.example',
    'https:///evil.example',
    'https:///allowed.example/',
    'http:http://evil.example',
    'https://evil.example',
    'http://evil.example/',
    'ftp://allowed.example/',
    'ws://allowed.example/',
    'wss://allowed.example/',
    'file:///etc/passwd',
    'blob:https://allowed.example/0b1f',
  ],
  'script and data schemes': [
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'JAVASCRIPT:alert(1)',
    'javascript://%0aalert(1)',
    'javascript://allowed.example/%0aalert(1)',
    'javascript:/allowed.example',
    ' javascript:alert(1)',
    '\tjavascript:alert(1)',
    '\njavascript:alert(1)',
    '\r\njavascript:alert(1)',
    '\u0000javascript:alert(1)',
    '\u0001javascript:alert(1)',
    '\u001fJaVaScRiPt:alert(1)',
    '\u000b\u000cjavascript:alert(1)',
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    'java\rscript:alert(1)',
    'java%0d%0ascript%0d%0a:alert(0)',
    'data:text/html,<script>alert(1)</script>',
    'data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==',
    'DATA:text/html,x',
    'vbscript:msgbox(1)',
    'VbScRiPt:msgbox(1)',
    ' \tvbscript:msgbox(1)',
  ],
  'whitespace and control characters': [
    '\t//evil.example',
    ' //evil.example',
    '\n//evil.example',
    '/\t/evil.example',
    '/\n/evil.example',
    '/\r/evil.example',
    '/\u0000/evil.example',
    '/\u007f/evil.example',
    '\u00a0//evil.example',
    '\u3000//evil.example',
    '/app ',
    ' /app',
    '/app\r\nSet-Cookie: gh_session=planted',
    '/app\u2028',
  ],
  'percent-encoded structure': [
    '%2F%2Fevil.example',
    '%2f%2fevil.example',
    '/%2F%2Fevil.example',
    '/%2f/evil.example',
    '/%2Fevil.example',
    '/%5Cevil.example',
    '/%5cevil.example',
    '%5C%5Cevil.example',
    '/%5C%5Cevil.example',
    '%09//evil.example',
    '/%09/evil.example',
    '/%0D/evil.example',
    '/%0A/evil.example',
    '/%00/evil.example',
    '/%7F/evil.example',
    '//evil%00.example',
    '/app?next=%0D%0ALocation:%20https://evil.example',
    '/%252F%252Fevil.example',
    '/%255Cevil.example',
    '/%2509/evil.example',
    '/%25252F%25252Fevil.example',
    '/%2525252F%2525252Fevil.example',
    'https%3A%2F%2Fevil.example',
    '%68ttps://evil.example',
    'https://allowed.example/%2F%2Fevil.example',
    'https://allowed.example/%5Cevil.example',
    'https://evil.example%2F%2F.allowed.example',
    'https://evil.example%5C%5C.allowed.example',
    'https://evil.example%3F.allowed.example',
    'https://evil.example%23.allowed.example',
    'https://allowed.example%40evil.example',
    'https://allowed%2Eexample/',
    'https://%61llowed.example/',
  ],
  'userinfo, fragment and query confusion': [
    'https://allowed.example@evil.example',
    'https://allowed.example@evil.example/',
    'https://allowed.example:443@evil.example',
    'https://allowed.example%2F@evil.example',
    'https://user@allowed.example/',
    'https://user:pass@allowed.example/',
    'https://:@allowed.example/',
    'https://@allowed.example/',
    'https://evil.example#@allowed.example',
    'https://evil.example?@allowed.example',
    'https://evil.example\\@allowed.example',
    'https://evil.example/https://allowed.example',
    'https://evil.example?https://allowed.example',
    'https://evil.example#https://allowed.example',
    'allowed.example@evil.example',
    '@evil.example',
  ],
  'look-alike hosts': [
    'https://allowed.example.evil.example',
    'https://allowed.example.evil.example/',
    'https://ALLOWED.EXAMPLE.evil.example/',
    'https://allowed.example-evil.example/',
    'https://evilallowed.example/',
    'https://sub.allowed.example/',
    'https://allowed.example./',
    'https://auth.example.com.evil.example/',
    'http://localhost.evil.example:5173/',
    'http://127.0.0.1:5173/',
    'http://[::1]:5173/',
  ],
  'ports and scheme mismatches': [
    'https://allowed.example:444/',
    'https://allowed.example:8443/',
    'https://allowed.example:0443/',
    'https://allowed.example:443:444/',
    'https://allowed.example:/',
    'http://allowed.example/',
    'https://localhost:5173/',
    'http://localhost:5174/',
    'http://localhost/',
    'http://auth.example.com/',
    'https://auth.example.com:8443/',
  ],
  'numeric, IDN and Unicode host spellings': [
    'http://3627734734/',
    'http://0xd8.0x3a.0xd6.0xce/',
    'http://0330.072.0326.0316/',
    'http://216.58.214.206/',
    'http://[::ffff:d83a:d6ce]/',
    // Cyrillic "а": a different host (xn--llowed-2nf.example) that looks the same.
    'https://\u0430llowed.example/',
    'https://xn--llowed-2nf.example/',
    // Full-width letters and the ideographic full stop: the URL parser maps both to
    // allowed.example, but anything that is not printable ASCII is refused outright.
    'https://\uff41\uff4c\uff4c\uff4f\uff57\uff45\uff44.example/',
    'https://allowed\u3002example/',
    '//evil%E3%80%82example',
    '//evil\u3002example',
    '\u3031evil.example',
    '/\u3031evil.example',
    '\u3035evil.example',
    '\uff0f\uff0fevil.example',
    '/\uff0fevil.example',
    '/\u2215evil.example',
    'https://evil.c\u2100.allowed.example/',
    'http://\u24d4\u24e5\u24d8\u24db.\u24d2\u24de\u24dc/',
    '/caf\u00e9',
  ],
  'not a path or an absolute URL': [
    '',
    'evil.example',
    'evil.example/path',
    'allowed.example',
    'allowed.example/path',
    './app',
    '../app',
    '.',
    'app/home',
    '?next=/app',
    '#/app',
    'mailto:someone@allowed.example',
    'tel:+1555',
  ],
};

/** Accepted values and the exact URL the callback will redirect to. */
const ACCEPTED: readonly (readonly [string, string])[] = [
  ['/', `${BASE}/`],
  ['/app/home?x=1#y', `${BASE}/app/home?x=1#y`],
  ['/app/../settings', `${BASE}/settings`],
  ['/search?q=a%20b&next=%2Fhome', `${BASE}/search?q=a%20b&next=%2Fhome`],
  // These only look dangerous: resolved by the URL parser, they stay on our own host.
  ['/.evil.example', `${BASE}/.evil.example`],
  ['/@evil.example', `${BASE}/@evil.example`],
  ['/https://evil.example', `${BASE}/https://evil.example`],
  ['/app?next=//evil.example', `${BASE}/app?next=//evil.example`],
  ['https://allowed.example', 'https://allowed.example/'],
  ['https://allowed.example/done?x=1#y', 'https://allowed.example/done?x=1#y'],
  ['HTTPS://ALLOWED.EXAMPLE/done', 'https://allowed.example/done'],
  ['https://allowed.example:443/done', 'https://allowed.example/done'],
  ['http://localhost:5173/oauth/done', 'http://localhost:5173/oauth/done'],
  [`${BASE}/account`, `${BASE}/account`],
];

describe('open redirect through OAuth redirectTo', () => {
  for (const [family, payloads] of Object.entries(REFUSED)) {
    describe(`refuses ${family}`, () => {
      for (const payload of payloads) {
        it(`checkRedirectTarget - should refuse ${JSON.stringify(payload)}`, () => {
          assert.equal(checkRedirectTarget(payload, POLICY), null);
        });
      }
    });
  }

  describe('refuses over-long values', () => {
    it('checkRedirectTarget - should refuse a path of 2049 characters', () => {
      assert.equal(checkRedirectTarget(`/${'a'.repeat(2048)}`, POLICY), null);
    });
    it('checkRedirectTarget - should refuse a 100 KB value without hanging', () => {
      const started = performance.now();
      assert.equal(checkRedirectTarget(`/${'%25'.repeat(33_000)}`, POLICY), null);
      assert.equal(checkRedirectTarget(`https://allowed.example/${'a'.repeat(100_000)}`, POLICY), null);
      assert.ok(performance.now() - started < 500);
    });
  });

  describe('accepts own paths and allow-listed origins', () => {
    for (const [value, expected] of ACCEPTED) {
      it(`checkRedirectTarget - should accept ${JSON.stringify(value)} as ${expected}`, () => {
        const target = checkRedirectTarget(value, POLICY);
        assert.equal(target, expected);
        assert.ok(ALLOWED_ORIGINS.has(new URL(target ?? '').origin));
      });
    }
  });

  it('checkRedirectTarget - should only ever return URLs on an allowed origin', () => {
    const returned = [...Object.values(REFUSED).flat(), ...ACCEPTED.map(([value]) => value)]
      .map((value) => checkRedirectTarget(value, POLICY))
      .filter((target) => target !== null);
    assert.equal(returned.length, ACCEPTED.length);
    for (const target of returned) {
      const url = new URL(target);
      assert.ok(ALLOWED_ORIGINS.has(url.origin));
      assert.equal(url.username, '');
      assert.equal(url.password, '');
      assert.ok(!url.pathname.startsWith('//'));
    }
  });

  it('checkRedirectTarget - should allow no origin when none is listed beyond our own', () => {
    const ownOnly: RedirectPolicy = { baseUrl: BASE, allowedOrigins: [] };
    assert.equal(checkRedirectTarget('https://allowed.example/done', ownOnly), null);
    assert.equal(checkRedirectTarget('/done', ownOnly), `${BASE}/done`);
  });
});
