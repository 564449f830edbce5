import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { AuthError } from '../../core/errors/index.ts';
import {
  commonPasswordSetBuildCount,
  createPasswordPolicy,
  DEFAULT_PASSWORD_MIN_LENGTH,
  PASSWORD_MAX_LENGTH_LIMIT,
  PASSWORD_POLICY_REASONS,
  type PasswordPolicyReason,
  passwordPolicyError,
} from './password-policy.ts';

/** The default policy (15 code points, no context words). */
const defaults = createPasswordPolicy();
/**
 * The content checks below (common list, email, variations) use 12-code-point inputs, the
 * length of most list entries; the default length has its own tests.
 */
const policy = createPasswordPolicy({ minLength: 12 });
const noEmail = {};

/**
 * A deterministic string of `length` code points with no structure the policy looks for (no
 * list entry, no repetition, no run): a linear congruential walk over a mixed alphabet.
 */
function patternless(length: number, seed = 7): string {
  const alphabet = 'aZ3kQ9mX7vB2nR8tY4wC6pL5hJ1gF0dS#eT%uK&iV*oM!yN?';
  let state = seed;
  let out = '';
  for (let index = 0; index < length; index += 1) {
    state = (state * 1103515245 + 12345) % 2147483648;
    out += alphabet[state % alphabet.length];
  }
  return out;
}

function reasons(password: string, email?: string): PasswordPolicyReason[] {
  return policy.check(password, email === undefined ? noEmail : { email });
}

describe('createPasswordPolicy', () => {
  it('createPasswordPolicy - should default to 15 (NIST SP 800-63B-4, password as the only factor) and 1024 code points', () => {
    assert.equal(defaults.minLength, DEFAULT_PASSWORD_MIN_LENGTH);
    assert.equal(defaults.minLength, 15);
    assert.equal(defaults.maxLength, PASSWORD_MAX_LENGTH_LIMIT);
    assert.equal(defaults.maxLength, 1024);
  });

  it('createPasswordPolicy - should refuse 14 code points and accept 15 by default, and 8 when lowered', () => {
    assert.deepEqual(defaults.check(patternless(14), noEmail), ['too_short']);
    assert.deepEqual(defaults.check(patternless(15), noEmail), []);
    const withMfa = createPasswordPolicy({ minLength: 8 });
    assert.deepEqual(withMfa.check(patternless(7), noEmail), ['too_short']);
    assert.deepEqual(withMfa.check(patternless(8), noEmail), []);
  });

  it('createPasswordPolicy - should honour configured lengths', () => {
    const custom = createPasswordPolicy({ minLength: 16, maxLength: 64 });
    assert.deepEqual(custom.check(patternless(15), noEmail), ['too_short']);
    assert.deepEqual(custom.check(patternless(16), noEmail), []);
    assert.deepEqual(custom.check(patternless(64), noEmail), []);
    assert.deepEqual(custom.check(patternless(65), noEmail), ['too_long']);
  });

  it('createPasswordPolicy - should throw a coded TypeError for lengths outside the hard bounds', () => {
    const invalid = [
      { minLength: 7 },
      { minLength: 12.5 },
      { minLength: Number.NaN },
      { maxLength: 1025 },
      { maxLength: Number.POSITIVE_INFINITY },
      { minLength: 20, maxLength: 19 },
    ];
    for (const options of invalid) {
      assert.throws(
        () => createPasswordPolicy(options),
        (error: unknown) =>
          error instanceof TypeError &&
          (error as TypeError & { code?: string }).code === 'ERR_INVALID_ARG_VALUE',
        JSON.stringify(options),
      );
    }
    assert.doesNotThrow(() => createPasswordPolicy({ minLength: 8, maxLength: 8 }));
  });
});

describe('PasswordPolicy.check - length', () => {
  it('check - should refuse 11 code points and accept 12 (a policy of 12)', () => {
    assert.deepEqual(reasons(patternless(11)), ['too_short']);
    assert.deepEqual(reasons(patternless(12)), []);
    assert.deepEqual(reasons(''), ['too_short']);
  });

  it('check - should accept 1024 code points and refuse 1025', () => {
    assert.deepEqual(reasons(patternless(1024)), []);
    assert.deepEqual(reasons(patternless(1025)), ['too_long']);
  });

  it('check - should count an emoji as one code point, not two UTF-16 units', () => {
    const emoji = ['🦊', '🌵', '🚲', '🎻', '🧭', '🍋', '🪁', '🐙', '🌋', '🧩', '🛶', '🎲'];
    assert.equal(emoji.join('').length, 24, 'each emoji is a surrogate pair');
    assert.deepEqual(reasons(emoji.join('')), []);
    assert.deepEqual(reasons(emoji.slice(0, 11).join('')), ['too_short']);
  });

  it('check - should count combining sequences after NFC composition', () => {
    // Twelve base letters each followed by U+0301: 24 code points typed, 12 after NFC (á é í …).
    const decomposed = [...'aeiouycnszwg'].map((letter) => `${letter}\u0301`).join('');
    assert.equal([...decomposed].length, 24);
    assert.deepEqual(reasons(decomposed), []);
    assert.deepEqual(reasons(decomposed.slice(0, 22)), ['too_short'], '11 composed letters');
    // The same letters precomposed count the same.
    assert.deepEqual(reasons(decomposed.normalize('NFC')), []);
    // No precomposed q, v, j, k, b or z with diaeresis exists, so each stays two code points.
    const uncomposable = [...'qvjkbz'].map((letter) => `${letter}\u0308`).join('');
    assert.equal([...uncomposable.normalize('NFC')].length, 12);
    assert.deepEqual(reasons(uncomposable), []);
  });

  it('check - should not impose composition rules', () => {
    for (const password of [
      'all lower case words here',
      'ALLUPPERCASEWORDS',
      '74920385617394',
      'ñandú y pingüino',
    ]) {
      assert.deepEqual(reasons(password), [], password);
    }
  });
});

describe('PasswordPolicy.check - common passwords', () => {
  it('check - should refuse 12-character entries of the common list', () => {
    for (const password of ['password1234', 'qwertyuiop12', '123456789012', '1qaz2wsx3edc']) {
      assert.deepEqual(reasons(password), ['common'], password);
    }
  });

  it('check - should compare case-insensitively and after NFKC', () => {
    assert.deepEqual(reasons('PassWord1234'), ['common']);
    assert.deepEqual(reasons('ＰＡＳＳＷＯＲＤ１２３４'), ['common'], 'fullwidth');
  });

  it('check - should refuse trivial variations of list entries', () => {
    const variants: readonly [string, string][] = [
      ['password123!', 'trailing digits and symbol'],
      ['Password2024!!', 'trailing year and symbols'],
      ['dragon123456', 'trailing digits'],
      ['2024password', 'leading digits'],
      ['!monkey2024!', 'symbols on both sides'],
      ['iloveyou12345678', 'long digit suffix on a long word'],
      ['monkeymonkey', 'repeated list entry'],
      ['password!password!', 'repeated entry with a symbol'],
      ['abcabcabcabc', 'repeated short unit'],
      ['xqzxqzxqzxqz', 'any repeated unit of three'],
      ['aaaaaaaaaaaa', 'one character repeated'],
      ['abcdefghijklmnop', 'alphabet run'],
      ['98765432109876', 'descending digits wrapping 0 → 9'],
      ['qwertyuiopasdf', 'keyboard row walk beyond list entries'],
      ['1qaz2wsx3edc4rfv', 'keyboard column walk'],
      ['azertyuiopqsdf', 'AZERTY walk'],
    ];
    for (const [password, why] of variants) assert.deepEqual(reasons(password), ['common'], why);
  });

  it('check - should accept passwords whose common part is only a small share', () => {
    const accepted = [
      'monkey83920174628391047382', // a list word, but twenty random digits carry it
      'correct horse battery staple',
      'Tr0ub4dor&3xyzzy!',
      '83920174aaaa55',
      'abc839201746', // `abc` is a run of 3 only, with nine digits
      'password is not my password, really',
    ];
    for (const password of accepted) assert.deepEqual(reasons(password), [], password);
  });
});

describe('PasswordPolicy.check - email', () => {
  it('check - should refuse a password containing the email local part, in any case', () => {
    assert.deepEqual(reasons('my secret alice box', 'alice@example.com'), ['contains_email']);
    assert.deepEqual(reasons('MY SECRET ALICE BOX', 'Alice@Example.com'), ['contains_email']);
  });

  it('check - should also match the local part without its +tag and without separators', () => {
    const email = 'John.Smith+news@example.com';
    assert.deepEqual(reasons('my john.smith+news key', email), ['contains_email'], 'as given');
    assert.deepEqual(reasons('john.smith rules the world', email), ['contains_email'], 'untagged');
    assert.deepEqual(reasons('JohnSmith-rules-the-world', email), ['contains_email'], 'no dots');
    assert.deepEqual(reasons('John_Smith rules the world', email), ['contains_email'], 'other separator');
    assert.deepEqual(reasons('john and the smiths rule', email), [], 'parts apart are fine');
  });

  it('check - should skip local parts shorter than 3 code points and ignore the domain', () => {
    assert.deepEqual(reasons('al is my best friend ever', 'al@example.com'), []);
    assert.deepEqual(reasons('example.com is my password', 'zed@example.com'), []);
    assert.deepEqual(reasons('zed is my best friend ever', 'zed@example.com'), ['contains_email']);
  });

  it('check - should use the normalised local part of a fullwidth or untrimmed email', () => {
    assert.deepEqual(reasons('the carol password tree', '  ｃａｒｏｌ＠example.com '), ['contains_email']);
  });

  it('check - should not refuse when no email is given', () => {
    assert.deepEqual(reasons('my secret alice box'), []);
  });
});

describe('PasswordPolicy.check - context words', () => {
  const context = createPasswordPolicy({ contextWords: ['Gatehouse', 'Blue Lagoon', 'ab', '  ＡＣＭＥ  '] });

  it('check - should refuse a password containing the app name or a configured word, in any case', () => {
    assert.deepEqual(context.check('my gatehouse password here', noEmail), ['contains_context']);
    assert.deepEqual(context.check('MY GATEHOUSE PASSWORD HERE', noEmail), ['contains_context']);
    assert.deepEqual(
      context.check('the acme rocket sled of doom', noEmail),
      ['contains_context'],
      'fullwidth, trimmed',
    );
  });

  it('check - should match a word with or without its separators, either way round', () => {
    assert.deepEqual(context.check('swimming in blue lagoon today', noEmail), ['contains_context']);
    assert.deepEqual(context.check('swimming-in-bluelagoon-today', noEmail), ['contains_context']);
    assert.deepEqual(context.check('gate.house keeps the castle', noEmail), ['contains_context']);
    assert.deepEqual(context.check('blue skies over a lagoon', noEmail), [], 'parts apart are fine');
  });

  it('check - should ignore words shorter than 3 code points and refuse no password without words', () => {
    assert.deepEqual(context.check('abababab kettle orbit', noEmail), []);
    assert.deepEqual(defaults.check('my gatehouse password here', noEmail), []);
  });

  it('createPasswordPolicy - should throw a coded TypeError for context words that are not strings', () => {
    assert.throws(
      () => createPasswordPolicy({ contextWords: [42 as unknown as string] }),
      (error: unknown) => (error as { code?: string }).code === 'ERR_INVALID_ARG_VALUE',
    );
  });
});

describe('PasswordPolicy.check - several reasons', () => {
  it('check - should report every applicable reason, in a fixed order', () => {
    assert.deepEqual(reasons('password', 'password@example.com'), ['too_short', 'common', 'contains_email']);
    const branded = createPasswordPolicy({ minLength: 12, contextWords: ['Zqxjv'] });
    assert.deepEqual(branded.check('zqxjv', { email: 'zqxjv@example.com' }), [
      'too_short',
      'contains_email',
      'contains_context',
    ]);
    assert.deepEqual(reasons('qwerty'), ['too_short', 'common']);
    assert.deepEqual(reasons('a'.repeat(1025)), ['too_long', 'common']);
    assert.deepEqual(reasons('zqxjv', 'zqxjv@example.com'), ['too_short', 'contains_email']);
    assert.deepEqual(PASSWORD_POLICY_REASONS, [
      'too_short',
      'too_long',
      'common',
      'contains_email',
      'contains_context',
      'breached',
    ]);
  });

  it('check - should never throw for hostile strings', () => {
    const hostile = [
      '\ud800',
      '\udc00\ud800'.repeat(20),
      '\u0000'.repeat(12),
      '\ufdfa'.repeat(2000),
      'x'.repeat(100_000),
    ];
    for (const password of hostile) assert.ok(Array.isArray(reasons(password, '\ud800@@')));
  });

  it('check - should throw a TypeError for a non-string password (a programming error)', () => {
    assert.throws(() => policy.check(undefined as unknown as string, noEmail), TypeError);
  });
});

describe('passwordPolicyError', () => {
  it('passwordPolicyError - should build the 422 PASSWORD_POLICY error with machine-readable reasons', () => {
    const error = passwordPolicyError(['too_short', 'common']);
    assert.ok(error instanceof AuthError);
    assert.equal(error.code, 'PASSWORD_POLICY');
    assert.equal(error.status, 422);
    assert.equal(error.message, 'The password does not meet the policy.');
    assert.deepEqual(error.errors, [
      { path: 'password', message: 'too_short' },
      { path: 'password', message: 'common' },
    ]);
    assert.deepEqual(error.extensions, { reasons: ['too_short', 'common'] });
  });

  it('passwordPolicyError - should list a repeated reason once', () => {
    assert.deepEqual(passwordPolicyError(['common', 'common']).extensions, { reasons: ['common'] });
  });

  it('passwordPolicyError - should refuse an empty reason list', () => {
    assert.throws(() => passwordPolicyError([]), TypeError);
  });
});

describe('common-password set', () => {
  it('check - should finish 10 000 checks well within a second', () => {
    const started = performance.now();
    for (let index = 0; index < 10_000; index += 1) {
      policy.check(`candidate passphrase ${index} here`, { email: 'alice@example.com' });
    }
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 1000, `10 000 checks took ${Math.round(elapsed)} ms`);
  });

  it('check - should build the set once per process and share it between policies', () => {
    const other = createPasswordPolicy({ minLength: 20 });
    policy.check('password1234', noEmail);
    other.check('password1234', noEmail);
    for (let index = 0; index < 100; index += 1) other.check(`another one ${index}`, noEmail);
    assert.equal(commonPasswordSetBuildCount(), 1);
  });

  it('check - should not build the set until the first check', () => {
    const moduleUrl = new URL('./password-policy.ts', import.meta.url).href;
    const script = `
      const m = await import(${JSON.stringify(moduleUrl)});
      const before = m.commonPasswordSetBuildCount();
      const policy = m.createPasswordPolicy();
      const afterCreate = m.commonPasswordSetBuildCount();
      policy.check('password1234', {});
      policy.check('letmein12345', {});
      console.log(JSON.stringify([before, afterCreate, m.commonPasswordSetBuildCount()]));
    `;
    const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    assert.deepEqual(JSON.parse(output), [0, 0, 1]);
  });
});
