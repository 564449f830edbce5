import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { type TotpAlgorithm, timeStep, totpCode, verifyTotp } from '../../src/crypto/totp.ts';

interface TotpVectors {
  totp: {
    periodSeconds: number;
    digits: 8;
    seeds: Record<TotpAlgorithm, string>;
    cases: { timeSeconds: number; utc: string; T: string; totp: string; mode: TotpAlgorithm }[];
  };
  hotp: {
    secret: string;
    algorithm: 'SHA1';
    digits: 6;
    cases: { counter: number; hotp: string }[];
  };
}

const vectors = JSON.parse(
  readFileSync(new URL('./rfc6238-totp.json', import.meta.url), 'utf8'),
) as TotpVectors;
const { totp, hotp } = vectors;

describe('RFC 6238 Appendix B', () => {
  it('vectors - should hold all 18 rows: six times for each of SHA1, SHA256 and SHA512', () => {
    assert.equal(totp.cases.length, 18);
    for (const mode of ['SHA1', 'SHA256', 'SHA512'] as const) {
      assert.deepEqual(
        totp.cases.filter((c) => c.mode === mode).map((c) => c.timeSeconds),
        [59, 1111111109, 1111111111, 1234567890, 2000000000, 20000000000],
      );
    }
    assert.equal(Buffer.from(totp.seeds.SHA1).length, 20);
    assert.equal(Buffer.from(totp.seeds.SHA256).length, 32);
    assert.equal(Buffer.from(totp.seeds.SHA512).length, 64);
  });

  it('timeStep - should give the T column for every row and the UTC column should be the same instant', () => {
    for (const row of totp.cases) {
      assert.equal(timeStep(row.timeSeconds * 1000, totp.periodSeconds), Number.parseInt(row.T, 16), row.utc);
      assert.equal(Date.parse(row.utc), row.timeSeconds * 1000, row.utc);
    }
  });

  it('totpCode - should reproduce every 8-digit code of the table', () => {
    for (const row of totp.cases) {
      const code = totpCode(Buffer.from(totp.seeds[row.mode], 'ascii'), {
        timeMs: row.timeSeconds * 1000,
        algorithm: row.mode,
        digits: totp.digits,
        periodSeconds: totp.periodSeconds,
      });
      assert.equal(code, row.totp, `${row.mode} at ${row.timeSeconds}`);
    }
  });

  it('verifyTotp - should accept every code of the table at its time, as its own step, with no window', () => {
    for (const row of totp.cases) {
      const step = verifyTotp(Buffer.from(totp.seeds[row.mode], 'ascii'), row.totp, {
        timeMs: row.timeSeconds * 1000,
        algorithm: row.mode,
        digits: totp.digits,
        window: 0,
      });
      assert.equal(step, Number.parseInt(row.T, 16), `${row.mode} at ${row.timeSeconds}`);
    }
  });

  it('totpCode - should give a different code when the seed is not the one of its mode (the seeds matter)', () => {
    const row = totp.cases.find((c) => c.mode === 'SHA256')!;
    const code = totpCode(Buffer.from(totp.seeds.SHA1, 'ascii'), {
      timeMs: row.timeSeconds * 1000,
      algorithm: 'SHA256',
      digits: 8,
    });
    assert.notEqual(code, row.totp);
  });
});

describe('RFC 4226 Appendix D', () => {
  it('totpCode - should give the ten HOTP values when time = counter × 30 s (SHA1, 6 digits)', () => {
    assert.equal(hotp.cases.length, 10);
    const secret = Buffer.from(hotp.secret, 'ascii');
    for (const { counter, hotp: expected } of hotp.cases) {
      const timeMs = counter * 30 * 1000;
      assert.equal(totpCode(secret, { timeMs, algorithm: hotp.algorithm, digits: hotp.digits }), expected);
      // The last millisecond of the step still belongs to it.
      assert.equal(totpCode(secret, { timeMs: timeMs + 29_999 }), expected, `counter ${counter}`);
    }
  });

  it('totpCode - should use the defaults (SHA1, 6 digits, 30 s) when no parameters are given', () => {
    const secret = Buffer.from(hotp.secret, 'ascii');
    for (const { counter, hotp: expected } of hotp.cases)
      assert.equal(totpCode(secret, { timeMs: counter * 30_000 }), expected);
  });
});
