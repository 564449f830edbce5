/**
 * Our TOTP code against an implementation written elsewhere: OATH Toolkit's `oathtool`. A code
 * generator that disagrees with authenticator apps locks users out; a verifier that only agrees
 * with itself may accept what it should not. Self-made vectors cannot catch either.
 *
 * Secrets reach oathtool on standard input (`-` as KEY), never in its argument list, where
 * other local users could read them.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { base32Encode } from '../../src/crypto/base32.ts';
import { newTotpSecret, type TotpParameters, timeStep, totpCode, verifyTotp } from '../../src/crypto/totp.ts';

const OATHTOOL = '/usr/bin/oathtool';

interface OathResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Fails, with what to install, when oathtool is missing: a missing tool must not pass or skip. */
async function requireOathtool(): Promise<void> {
  try {
    await access(OATHTOOL, constants.X_OK);
  } catch {
    throw new Error(
      `oathtool is required for the TOTP interoperability tests and is not executable at ${OATHTOOL} (Debian/Ubuntu package "oathtool")`,
    );
  }
}

/** Runs oathtool without a shell, the base32 secret written to its standard input. */
async function oathtool(args: readonly string[], secret: Uint8Array): Promise<OathResult> {
  await requireOathtool();
  return new Promise((resolve, reject) => {
    const child = execFile(OATHTOOL, args, { timeout: 5_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ exitCode: error ? (error.code as number) : 0, stdout, stderr });
    });
    child.stdin!.end(`${base32Encode(secret)}\n`);
  });
}

/** oathtool's `--now` form: `YYYY-MM-DD HH:MM:SS UTC`. */
function utc(timeMs: number): string {
  return `${new Date(timeMs).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** oathtool flags for one set of parameters; the defaults pass none, to compare defaults too. */
function modeFlags(parameters: TotpParameters | null): string[] {
  if (!parameters) return ['--totp'];
  return [
    `--totp=${parameters.algorithm}`,
    `--digits=${parameters.digits}`,
    `--time-step-size=${parameters.periodSeconds}s`,
  ];
}

/** Codes oathtool prints for `timeMs` and the `window` steps after it, one per line. */
async function oathCodes(
  secret: Uint8Array,
  parameters: TotpParameters | null,
  timeMs: number,
  window = 0,
): Promise<string[]> {
  const args = [...modeFlags(parameters), '--base32', `--now=${utc(timeMs)}`, `--window=${window}`, '-'];
  const result = await oathtool(args, secret);
  assert.equal(result.exitCode, 0, `oathtool failed: ${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  assert.equal(lines.length, window + 1, 'oathtool prints one code per step');
  return lines;
}

/** Whole seconds only (oathtool's clock has no milliseconds): now, boundaries, and far times. */
function sampleTimes(periodSeconds: number): number[] {
  const period = periodSeconds * 1000;
  const now = Math.floor(Date.now() / 1000) * 1000;
  const boundary = Math.floor(now / period) * period + 7 * period;
  const randomSecond = (from: number, to: number) => (from + Math.floor(Math.random() * (to - from))) * 1000;
  return [
    now,
    boundary,
    boundary - 1000,
    randomSecond(1_000_000_000, 2_000_000_000),
    // After 2038 (32-bit time_t), then past 2^32 steps of 30 s (year 6053).
    randomSecond(2_200_000_000, 4_000_000_000),
    randomSecond(130_000_000_000, 200_000_000_000),
  ];
}

const MODES: readonly { readonly name: string; readonly parameters: TotpParameters | null }[] = [
  { name: 'SHA1, 6 digits, 30 s (the defaults of both)', parameters: null },
  { name: 'SHA256, 8 digits, 60 s', parameters: { algorithm: 'SHA256', digits: 8, periodSeconds: 60 } },
  { name: 'SHA512, 8 digits, 60 s', parameters: { algorithm: 'SHA512', digits: 8, periodSeconds: 60 } },
];

describe('TOTP codes that disagree with an independent implementation (oathtool)', () => {
  it('oathtool - should be installed, since these tests never skip', async () => {
    await requireOathtool();
  });

  it('base32Encode - should write secrets oathtool decodes to the same bytes', async () => {
    for (let i = 0; i < 3; i++) {
      const secret = newTotpSecret();
      const result = await oathtool(['--totp', '--base32', '--verbose', '-'], secret);
      assert.equal(result.exitCode, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`^Hex secret: ${secret.toString('hex')}$`, 'm'));
    }
  });

  for (const { name, parameters } of MODES) {
    const options = parameters ?? {};
    const periodSeconds = parameters?.periodSeconds ?? 30;

    describe(name, () => {
      it('totpCode - should print exactly the code oathtool prints, for fresh secrets at several times', async () => {
        for (let i = 0; i < 4; i++) {
          const secret = newTotpSecret();
          for (const timeMs of sampleTimes(periodSeconds)) {
            const [theirs] = await oathCodes(secret, parameters, timeMs);
            assert.equal(totpCode(secret, { timeMs, ...options }), theirs, `at ${utc(timeMs)}`);
          }
        }
      });

      it('verifyTotp - should accept the codes oathtool prints within the window, at their step, and refuse the others', async () => {
        const secret = newTotpSecret();
        for (const timeMs of sampleTimes(periodSeconds)) {
          const step = timeStep(timeMs, periodSeconds);
          const [current, next, afterNext] = await oathCodes(secret, parameters, timeMs, 2);
          const [previous] = await oathCodes(secret, parameters, timeMs - periodSeconds * 1000);
          // oathtool's codes by step, from step - 1 to step + 2.
          const codes = [previous!, current!, next!, afterNext!];
          /** The latest step within `window` whose oathtool code is `code` (codes may coincide). */
          const expected = (code: string, window: number): number | null => {
            let found: number | null = null;
            codes.forEach((c, i) => {
              const candidate = step - 1 + i;
              if (c === code && Math.abs(candidate - step) <= window) found = candidate;
            });
            return found;
          };
          for (const window of [1, 2])
            for (const code of codes) {
              const result = verifyTotp(secret, code, { timeMs, window, ...options });
              assert.equal(result, expected(code, window), `window ${window} at ${utc(timeMs)}`);
            }
          assert.equal(verifyTotp(secret, current!, { timeMs, ...options }), expected(current!, 1));
          assert.equal(expected(previous!, 1), step - 1);
          assert.equal(expected(afterNext!, 2), step + 2);
        }
      });

      it('oathtool - should validate the codes totpCode gives, at the step they belong to', async () => {
        const secret = newTotpSecret();
        for (const timeMs of sampleTimes(periodSeconds)) {
          const ours = totpCode(secret, { timeMs, ...options });
          const args = [
            ...modeFlags(parameters),
            '--base32',
            `--now=${utc(timeMs)}`,
            '--window=0',
            '-',
            ours,
          ];
          const result = await oathtool(args, secret);
          // On success oathtool exits 0 and prints the matching step's offset from now.
          assert.equal(result.exitCode, 0, `oathtool refused our code at ${utc(timeMs)}: ${result.stderr}`);
          assert.equal(result.stdout.trim(), '0');
        }
      });
    });
  }
});
