import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { fieldProblemsFromIssues } from '../../http/validation.ts';
import {
  EMAIL_INPUT_MAX_LENGTH,
  EMAIL_INVALID_MESSAGE,
  EMAIL_LOCAL_MAX_OCTETS,
  EMAIL_MAX_OCTETS,
  emailSchema,
  normalizeEmail,
} from './email.ts';

/** `local@domain` where the whole address is exactly `totalOctets` ASCII octets long. */
function addressOfLength(totalOctets: number, localLength = EMAIL_LOCAL_MAX_OCTETS): string {
  const local = 'a'.repeat(localLength);
  let remaining = totalOctets - local.length - 1 - '.com'.length;
  const labels: string[] = [];
  while (remaining > 0) {
    const size = Math.min(63, remaining);
    labels.push('b'.repeat(size));
    remaining -= size + 1; // the dot before the next label
  }
  const address = `${local}@${labels.join('.')}.com`;
  assert.equal(address.length, totalOctets, 'test helper built the wrong length');
  return address;
}

describe('normalizeEmail', () => {
  it('normalizeEmail - should collapse case and surrounding whitespace variants to one address', () => {
    const variants = [
      'alice@example.com',
      'Alice@Example.com',
      'ALICE@EXAMPLE.COM',
      '  alice@example.com',
      'alice@example.com \n',
      '\talice@EXAMPLE.com\u00a0', // NBSP becomes a space under NFKC, then is trimmed
      '\u3000Alice@example.com', // ideographic space
    ];
    for (const variant of variants) {
      assert.equal(normalizeEmail(variant), 'alice@example.com', JSON.stringify(variant));
    }
  });

  it('normalizeEmail - should fold fullwidth and other compatibility forms (NFKC) into the plain address', () => {
    assert.equal(normalizeEmail('ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ'), 'alice@example.com');
    assert.equal(normalizeEmail('Ａｌｉｃｅ@example.com'), 'alice@example.com');
    // U+212A KELVIN SIGN and U+FB01 LATIN SMALL LIGATURE FI.
    assert.equal(normalizeEmail('\u212Aate@\uFB01rm.example'), 'kate@firm.example');
  });

  it('normalizeEmail - should keep an internationalised domain as given, without punycode conversion', () => {
    assert.equal(normalizeEmail('user@Bücher.example'), 'user@bücher.example');
    assert.equal(normalizeEmail('user@xn--bcher-kva.example'), 'user@xn--bcher-kva.example');
    // Documented limitation: the two spellings of one domain are two different addresses.
    assert.notEqual(normalizeEmail('user@bücher.example'), normalizeEmail('user@xn--bcher-kva.example'));
    assert.equal(normalizeEmail('почта@пример.рф'), 'почта@пример.рф');
  });

  it('normalizeEmail - should compose a decomposed accent so both spellings are one address', () => {
    assert.equal(normalizeEmail('jose\u0301@example.com'), normalizeEmail('jos\u00e9@example.com'));
  });

  it('normalizeEmail - should be idempotent', () => {
    const inputs = [
      'İstanbul@Example.com',
      'ẞtraße@example.de',
      'ａｌｉｃｅ＠ｅｘａｍｐｌｅ．ｃｏｍ',
      'Ω@x.example',
    ];
    for (const input of inputs) {
      const once = normalizeEmail(input);
      assert.ok(once !== null, JSON.stringify(input));
      assert.equal(normalizeEmail(once), once, JSON.stringify(input));
    }
  });

  it('normalizeEmail - should accept plausible single addresses', () => {
    const accepted: readonly [string, string][] = [
      ['a@b.co', 'a@b.co'],
      ['first.last+tag@sub.example.co.uk', 'first.last+tag@sub.example.co.uk'],
      ["o'brien@example.ie", "o'brien@example.ie"],
      ['user_name-1@my-host.example', 'user_name-1@my-host.example'],
      ['root@localhost', 'root@localhost'],
      ['Ünïcødé@example.com', 'ünïcødé@example.com'],
      ['x@123.example', 'x@123.example'],
    ];
    for (const [input, expected] of accepted) assert.equal(normalizeEmail(input), expected, input);
  });

  it('normalizeEmail - should reject shapes that are not one plausible address', () => {
    const rejected: readonly [string, string][] = [
      ['', 'empty'],
      ['   ', 'only whitespace'],
      ['alice', 'no @'],
      ['alice@@example.com', 'two @ in a row'],
      ['a@b@example.com', 'two @'],
      ['@example.com', 'empty local part'],
      ['alice@', 'empty domain'],
      ['alice@example', 'domain without a dot'],
      ['alice@.example.com', 'empty leading domain label'],
      ['alice@example..com', 'empty inner domain label'],
      ['alice@example.com.', 'trailing dot'],
      ['alice@-example.com', 'label starting with a hyphen'],
      ['alice@example-.com', 'label ending with a hyphen'],
      ['alice@exa_mple.com', 'underscore in the domain'],
      ['alice@10.0.0.1', 'IP address as domain'],
      ['alice@[127.0.0.1]', 'domain literal'],
      ['.alice@example.com', 'leading dot in local part'],
      ['alice.@example.com', 'trailing dot in local part'],
      ['al..ice@example.com', 'doubled dot in local part'],
      ['"alice"@example.com', 'quoted local part'],
      ['alice(comment)@example.com', 'comment'],
      ['Alice <alice@example.com>', 'display name with angle brackets'],
      ['<alice@example.com>', 'angle brackets'],
      ['"Alice" alice@example.com', 'display name'],
      ['alice@example.com, bob@example.com', 'comma-separated list'],
      ['alice@example.com;bob@example.com', 'semicolon-separated list'],
      ['alice@example.com,bob@example.com', 'comma without space'],
      ['al ice@example.com', 'inner space'],
      ['alice@exam ple.com', 'space in domain'],
      ['alice\t@example.com', 'tab inside'],
      ['alice@example.com\r\nBcc: eve@example.com', 'header injection'],
      ['alice@example.com\u0000', 'NUL'],
      ['al\u200bice@example.com', 'zero-width space'],
      ['alice\u202e@example.com', 'bidi override'],
      ['\ud800alice@example.com', 'lone surrogate'],
      ['mailto:alice@example.com', 'URI scheme'],
      ['alice@exam\\ple.com', 'backslash'],
      ['alice@example.c\u3002om', 'ideographic full stop in a label'],
    ];
    for (const [input, why] of rejected) assert.equal(normalizeEmail(input), null, why);
  });

  it('normalizeEmail - should enforce 254 octets in total and 64 in the local part', () => {
    assert.equal(normalizeEmail(addressOfLength(EMAIL_MAX_OCTETS)), addressOfLength(EMAIL_MAX_OCTETS));
    assert.equal(normalizeEmail(addressOfLength(EMAIL_MAX_OCTETS + 1)), null);
    const longestLocal = `${'a'.repeat(EMAIL_LOCAL_MAX_OCTETS)}@example.com`;
    assert.equal(normalizeEmail(longestLocal), longestLocal);
    assert.equal(normalizeEmail(`${'a'.repeat(EMAIL_LOCAL_MAX_OCTETS + 1)}@example.com`), null);
  });

  it('normalizeEmail - should count length in UTF-8 octets, not characters', () => {
    // `é` is two octets: 32 of them fill the 64-octet local part exactly; 33 overflow it.
    assert.equal(normalizeEmail(`${'é'.repeat(32)}@example.com`), `${'é'.repeat(32)}@example.com`);
    assert.equal(normalizeEmail(`${'é'.repeat(33)}@example.com`), null);
  });

  it('normalizeEmail - should return null for a non-string instead of throwing', () => {
    for (const value of [undefined, null, 42, {}, ['a@b.co']]) {
      assert.equal(normalizeEmail(value as unknown as string), null);
    }
  });
});

describe('emailSchema', () => {
  const body = z.strictObject({ email: emailSchema });

  it('emailSchema - should parse to the normalised address', () => {
    assert.deepEqual(body.parse({ email: ' Bob@Example.COM ' }), { email: 'bob@example.com' });
    assert.deepEqual(body.parse({ email: 'ｂｏｂ＠ｅｘａｍｐｌｅ．ｃｏｍ' }), { email: 'bob@example.com' });
  });

  it('emailSchema - should fail with the fixed message and never echo the input', () => {
    const marker = 'gh-marker-77a1';
    const inputs: unknown[] = [
      `${marker} <${marker}@example.com>`,
      `${marker}@nowhere`,
      `${marker}@example.com`.padStart(EMAIL_INPUT_MAX_LENGTH + 1, 'x'),
      42,
      null,
    ];
    for (const email of inputs) {
      const result = body.safeParse({ email });
      assert.equal(result.success, false, String(email));
      assert.ok(result.error.issues.length > 0);
      for (const issue of result.error.issues) {
        assert.equal(issue.message, EMAIL_INVALID_MESSAGE);
        assert.deepEqual(issue.path, ['email']);
      }
      assert.ok(!JSON.stringify(result.error.issues).includes(marker), 'input echoed in issues');
    }
  });

  it('emailSchema - should map to a fixed email-format problem in the HTTP layer', () => {
    const result = body.safeParse({ email: 'Alice <alice@example.com>' });
    assert.equal(result.success, false);
    assert.deepEqual(fieldProblemsFromIssues(result.error.issues), [
      { path: 'email', message: 'Must be an email address' },
    ]);
  });

  it('emailSchema - should reject input over 320 characters before normalising it', () => {
    // Valid once trimmed, but the raw input is over the cap: refused without doing the work.
    const padded = `${' '.repeat(EMAIL_INPUT_MAX_LENGTH)}a@b.co`;
    assert.equal(body.safeParse({ email: padded }).success, false);
    assert.equal(body.safeParse({ email: `${' '.repeat(10)}a@b.co` }).success, true);
  });
});
