import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import { describe, it, mock } from 'node:test';
import { base32Decode } from './base32.ts';
import {
  newTotpSecret,
  otpauthUri,
  TOTP_DEFAULTS,
  TOTP_MAX_WINDOW,
  timeStep,
  totpCode,
  verifyTotp,
} from './totp.ts';

/** RFC 4226 Appendix D secret; its HOTP value for counter 1 is 287082 (8 digits: 94287082). */
const RFC_SECRET = Buffer.from('12345678901234567890', 'ascii');
/** A time in the middle of a step, far from the epoch. */
const NOW = 1_700_000_015_000;
const STEP = timeStep(NOW, 30);

const codeAt = (step: number, secret: Uint8Array = RFC_SECRET): string =>
  totpCode(secret, { timeMs: step * 30_000 });

describe('TOTP_DEFAULTS', () => {
  it('should be SHA1, 6 digits, 30 s and a window of one step, and frozen', () => {
    assert.deepEqual({ ...TOTP_DEFAULTS }, { algorithm: 'SHA1', digits: 6, periodSeconds: 30, window: 1 });
    assert.ok(Object.isFrozen(TOTP_DEFAULTS));
  });
});

describe('newTotpSecret', () => {
  it('should return 20 fresh random bytes each time', () => {
    const secrets = Array.from({ length: 50 }, () => newTotpSecret());
    for (const secret of secrets) {
      assert.ok(Buffer.isBuffer(secret));
      assert.equal(secret.length, 20);
    }
    assert.equal(new Set(secrets.map((s) => s.toString('hex'))).size, secrets.length);
  });
});

describe('timeStep', () => {
  it('should count whole periods since the epoch', () => {
    assert.equal(timeStep(0, 30), 0);
    assert.equal(timeStep(29_999, 30), 0);
    assert.equal(timeStep(30_000, 30), 1);
    assert.equal(timeStep(59_999, 60), 0);
    assert.equal(timeStep(60_000, 60), 1);
    assert.equal(timeStep(20_000_000_000_000, 30), 666_666_666);
    assert.equal(timeStep(Number.MAX_SAFE_INTEGER, 1), Math.floor(Number.MAX_SAFE_INTEGER / 1000));
  });

  it('should refuse negative or non-finite times and periods that are not positive whole seconds', () => {
    for (const time of [-1, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 2, '0'])
      assert.throws(() => timeStep(time as number, 30), TypeError, String(time));
    for (const period of [0, -30, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '30'])
      assert.throws(() => timeStep(0, period as number), TypeError, String(period));
  });
});

describe('totpCode', () => {
  it('should give the last 6, 7 or 8 digits of the same truncated value', () => {
    const timeMs = 59_000;
    assert.equal(totpCode(RFC_SECRET, { timeMs, digits: 8 }), '94287082');
    assert.equal(totpCode(RFC_SECRET, { timeMs, digits: 7 }), '4287082');
    assert.equal(totpCode(RFC_SECRET, { timeMs, digits: 6 }), '287082');
  });

  it('should zero-pad codes whose value has fewer digits', () => {
    const padded = Array.from({ length: 400 }, (_, step) => codeAt(step)).filter((code) =>
      code.startsWith('0'),
    );
    assert.ok(padded.length > 0, 'about one code in ten starts with 0');
    for (const code of padded) assert.match(code, /^0[0-9]{5}$/);
  });

  it('should change with the algorithm and the period', () => {
    const sha1 = totpCode(RFC_SECRET, { timeMs: NOW, digits: 8 });
    assert.notEqual(totpCode(RFC_SECRET, { timeMs: NOW, digits: 8, algorithm: 'SHA256' }), sha1);
    assert.notEqual(totpCode(RFC_SECRET, { timeMs: NOW, digits: 8, periodSeconds: 60 }), sha1);
  });

  it('should refuse unknown algorithms, digit counts and secrets shorter than 128 bits', () => {
    const bad: Record<string, unknown>[] = [
      { algorithm: 'MD5' },
      { algorithm: 'sha1' },
      { algorithm: 'toString' },
      { digits: 5 },
      { digits: 9 },
      { digits: '6' },
      { periodSeconds: 0 },
      { periodSeconds: 0.5 },
      { timeMs: -1 },
      { timeMs: Number.NaN },
    ];
    for (const options of bad)
      assert.throws(
        () => totpCode(RFC_SECRET, { timeMs: NOW, ...options }),
        TypeError,
        JSON.stringify(options),
      );
    for (const secret of [Buffer.alloc(0), Buffer.alloc(15), 'a'.repeat(20), null])
      assert.throws(() => totpCode(secret as Uint8Array, { timeMs: NOW }), TypeError);
    assert.equal(totpCode(new Uint8Array(16), { timeMs: NOW }).length, 6);
  });
});

describe('verifyTotp', () => {
  it('should accept the current code and return its step', () => {
    assert.equal(verifyTotp(RFC_SECRET, codeAt(STEP), { timeMs: NOW }), STEP);
  });

  it('should accept codes one step either side within the default window and return the step each belongs to', () => {
    assert.equal(verifyTotp(RFC_SECRET, codeAt(STEP - 1), { timeMs: NOW }), STEP - 1);
    assert.equal(verifyTotp(RFC_SECRET, codeAt(STEP + 1), { timeMs: NOW }), STEP + 1);
  });

  it('should refuse codes two steps either side with the default window, and accept them with a window of 2', () => {
    for (const step of [STEP - 2, STEP + 2]) {
      const code = codeAt(step);
      // Guard against a coincidence that would make this case meaningless.
      assert.ok([STEP - 1, STEP, STEP + 1].every((s) => codeAt(s) !== code));
      assert.equal(verifyTotp(RFC_SECRET, code, { timeMs: NOW }), null);
      assert.equal(verifyTotp(RFC_SECRET, code, { timeMs: NOW, window: 2 }), step);
    }
  });

  it('should accept only the current step with a window of 0', () => {
    assert.equal(verifyTotp(RFC_SECRET, codeAt(STEP), { timeMs: NOW, window: 0 }), STEP);
    assert.equal(verifyTotp(RFC_SECRET, codeAt(STEP - 1), { timeMs: NOW, window: 0 }), null);
    assert.equal(verifyTotp(RFC_SECRET, codeAt(STEP + 1), { timeMs: NOW, window: 0 }), null);
  });

  it('should refuse the code of another secret', () => {
    assert.equal(verifyTotp(RFC_SECRET, codeAt(STEP, newTotpSecret()), { timeMs: NOW, window: 0 }), null);
  });

  it('should use the same parameters as the code (SHA512, 8 digits, 60 s)', () => {
    const parameters = { algorithm: 'SHA512', digits: 8, periodSeconds: 60 } as const;
    const code = totpCode(RFC_SECRET, { timeMs: NOW, ...parameters });
    assert.equal(verifyTotp(RFC_SECRET, code, { timeMs: NOW, ...parameters }), timeStep(NOW, 60));
    assert.equal(verifyTotp(RFC_SECRET, code, { timeMs: NOW, ...parameters, algorithm: 'SHA1' }), null);
    assert.equal(verifyTotp(RFC_SECRET, code, { timeMs: NOW, ...parameters, periodSeconds: 30 }), null);
    assert.equal(verifyTotp(RFC_SECRET, code, { timeMs: NOW, ...parameters, digits: 6 }), null);
    // The last 6 digits are the 6-digit code of the same parameters: truncation keeps the low digits.
    assert.equal(
      verifyTotp(RFC_SECRET, code.slice(2), { timeMs: NOW, ...parameters, digits: 6 }),
      timeStep(NOW, 60),
    );
  });

  it('should accept spaces inside the code, as apps display it in groups', () => {
    const code = codeAt(STEP);
    assert.equal(verifyTotp(RFC_SECRET, `${code.slice(0, 3)} ${code.slice(3)}`, { timeMs: NOW }), STEP);
    assert.equal(verifyTotp(RFC_SECRET, ` ${code} `, { timeMs: NOW }), STEP);
  });

  it('should return null, never throw, for input that is not exactly 6 ASCII digits', () => {
    const code = codeAt(STEP);
    const bad: unknown[] = [
      '',
      ' ',
      code.slice(1),
      `${code}0`,
      `0${code}`,
      `${code.slice(0, 5)}a`,
      'abcdef',
      `+${code.slice(1)}`,
      `-${code.slice(1)}`,
      `${code}\n`,
      `${code.slice(0, 3)}\t${code.slice(3)}`,
      `${code.slice(0, 3)}-${code.slice(3)}`,
      // Digits of other scripts: Arabic-Indic and full-width.
      '٠١٢٣٤٥',
      '０１２３４５',
      `${code}${' '.repeat(100)}`,
      '1'.repeat(1_000_000),
      null,
      undefined,
      Number(code),
      [code],
    ];
    for (const input of bad)
      assert.equal(
        verifyTotp(RFC_SECRET, input as string, { timeMs: NOW }),
        null,
        String(input).slice(0, 20),
      );
  });

  it('should refuse the step already used, and earlier ones, when afterStep is given (replay)', () => {
    assert.equal(verifyTotp(RFC_SECRET, codeAt(STEP), { timeMs: NOW, afterStep: STEP }), null);
    assert.equal(verifyTotp(RFC_SECRET, codeAt(STEP - 1), { timeMs: NOW, afterStep: STEP }), null);
    assert.equal(verifyTotp(RFC_SECRET, codeAt(STEP), { timeMs: NOW, afterStep: STEP - 1 }), STEP);
    assert.equal(verifyTotp(RFC_SECRET, codeAt(STEP + 1), { timeMs: NOW, afterStep: STEP }), STEP + 1);
  });

  it('should work at the epoch, where the window reaches before step 0', () => {
    assert.equal(verifyTotp(RFC_SECRET, codeAt(0), { timeMs: 0 }), 0);
    assert.equal(verifyTotp(RFC_SECRET, codeAt(1), { timeMs: 0 }), 1);
    assert.equal(verifyTotp(RFC_SECRET, codeAt(0), { timeMs: 15_000, window: TOTP_MAX_WINDOW }), 0);
  });

  it('should throw a TypeError for invalid options (they are the caller’s, not the user’s)', () => {
    const code = codeAt(STEP);
    const bad: Record<string, unknown>[] = [
      { window: -1 },
      { window: TOTP_MAX_WINDOW + 1 },
      { window: 1.5 },
      { afterStep: -2 },
      { afterStep: 1.5 },
      { digits: 10 },
      { timeMs: -1 },
    ];
    for (const options of bad)
      assert.throws(
        () => verifyTotp(RFC_SECRET, code, { timeMs: NOW, ...options }),
        TypeError,
        JSON.stringify(options),
      );
    assert.throws(() => verifyTotp(Buffer.alloc(10), code, { timeMs: NOW }), TypeError);
  });

  describe('timing (brute force through response times)', () => {
    /** Counts calls of a node:crypto function that the module under test imports by name. */
    function spyOnCrypto(name: 'timingSafeEqual' | 'createHmac'): {
      calls: () => number;
      restore: () => void;
    } {
      const spy = mock.method(crypto, name);
      // Named imports of a builtin see a replaced export only after this sync.
      syncBuiltinESMExports();
      return {
        calls: () => spy.mock.callCount(),
        restore: () => {
          spy.mock.restore();
          syncBuiltinESMExports();
        },
      };
    }

    it('should compute and compare every candidate in constant time even when the first one matches', () => {
      const compare = spyOnCrypto('timingSafeEqual');
      const hmac = spyOnCrypto('createHmac');
      try {
        for (const [code, window] of [
          [codeAt(STEP - 1), 1],
          [codeAt(STEP), 1],
          [codeAt(STEP + 2), 2],
          ['000000', 1],
          [codeAt(STEP - 3), 3],
        ] as const) {
          const before = { compare: compare.calls(), hmac: hmac.calls() };
          verifyTotp(RFC_SECRET, code, { timeMs: NOW, window });
          assert.equal(compare.calls() - before.compare, 2 * window + 1);
          assert.equal(hmac.calls() - before.hmac, 2 * window + 1);
        }
      } finally {
        hmac.restore();
        compare.restore();
      }
    });

    it('should compare nothing when the input is not a well-formed code', () => {
      const compare = spyOnCrypto('timingSafeEqual');
      try {
        verifyTotp(RFC_SECRET, 'abcdef', { timeMs: NOW });
        verifyTotp(RFC_SECRET, '1'.repeat(100), { timeMs: NOW });
        assert.equal(compare.calls(), 0);
        verifyTotp(RFC_SECRET, '123456', { timeMs: NOW });
        assert.equal(compare.calls(), 3, 'the spy sees the comparisons of a well-formed code');
      } finally {
        compare.restore();
      }
    });
  });
});

describe('otpauthUri', () => {
  it('should build the Key Uri Format URI with every parameter written out', () => {
    const uri = otpauthUri({ issuer: 'Gatehouse', accountName: 'alice@example.com', secret: RFC_SECRET });
    assert.equal(
      uri,
      'otpauth://totp/Gatehouse:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('should parse back with new URL to the same secret, label and parameters', () => {
    const secret = newTotpSecret();
    const issuer = 'ACME Co & Sons/EU #1?';
    const accountName = 'alice+2fa@example.com';
    const uri = otpauthUri({
      issuer,
      accountName,
      secret,
      algorithm: 'SHA256',
      digits: 8,
      periodSeconds: 60,
    });
    assert.doesNotMatch(uri, /\+/, 'spaces are %20 and + is %2B, never a bare +');
    const url = new URL(uri);
    assert.equal(url.protocol, 'otpauth:');
    assert.equal(url.host, 'totp');
    assert.equal(decodeURIComponent(url.pathname), `/${issuer}:${accountName}`);
    const [labelIssuer, labelAccount, ...rest] = url.pathname.slice(1).split(':');
    assert.equal(rest.length, 0, 'exactly one unencoded colon separates issuer and account');
    assert.equal(decodeURIComponent(labelIssuer!), issuer);
    assert.equal(decodeURIComponent(labelAccount!), accountName);
    assert.deepEqual([...url.searchParams.keys()], ['secret', 'issuer', 'algorithm', 'digits', 'period']);
    assert.deepEqual(base32Decode(url.searchParams.get('secret')!), secret);
    assert.equal(url.searchParams.get('issuer'), issuer);
    assert.equal(url.searchParams.get('algorithm'), 'SHA256');
    assert.equal(url.searchParams.get('digits'), '8');
    assert.equal(url.searchParams.get('period'), '60');
  });

  it('should give an app that reads the URI the same codes as the server', () => {
    const secret = newTotpSecret();
    const url = new URL(
      otpauthUri({ issuer: 'I', accountName: 'a', secret, algorithm: 'SHA512', digits: 7 }),
    );
    const appSecret = base32Decode(url.searchParams.get('secret')!);
    const appOptions = {
      timeMs: NOW,
      algorithm: url.searchParams.get('algorithm') as 'SHA512',
      digits: Number(url.searchParams.get('digits')) as 7,
      periodSeconds: Number(url.searchParams.get('period')),
    };
    const appCode = totpCode(appSecret, appOptions);
    assert.equal(verifyTotp(secret, appCode, { ...appOptions, algorithm: 'SHA512', digits: 7 }), STEP);
  });

  it('should refuse empty names, colons, malformed Unicode and short secrets without echoing them', () => {
    const secret = newTotpSecret();
    for (const [issuer, accountName] of [
      ['', 'alice'],
      ['Gatehouse', ''],
      ['Secret:Issuer', 'alice'],
      ['Gatehouse', 'secret:alice'],
      ['Gatehouse', 'secret\ud800alice'],
    ])
      assert.throws(
        () => otpauthUri({ issuer: issuer!, accountName: accountName!, secret }),
        (error: unknown) => error instanceof TypeError && !/secret|Issuer|alice/.test(error.message),
      );
    assert.throws(() => otpauthUri({ issuer: 'I', accountName: 'a', secret: Buffer.alloc(10) }), TypeError);
    assert.throws(() => otpauthUri({ issuer: 'I', accountName: 'a', secret, digits: 4 as 6 }), TypeError);
  });
});
