/**
 * Threat: an enrollment that only works with our own code generator. If the secret the server
 * hands out, or the parameters in its otpauth URI, disagree with what a real authenticator
 * computes from them, users are locked out the moment they turn 2FA on — or the server is
 * accepting codes for some other reason than knowing the seed.
 *
 * Over HTTP, against the standalone server's listener: enable, hand the returned `secret` to
 * OATH Toolkit's `oathtool` (an implementation not written here) with the parameters the
 * otpauth URI announces, and confirm and sign in with the codes it prints. The secret goes to
 * oathtool on standard input (`-` as KEY), never in its argument list.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type AuthConfigInput, generateSecret } from '../../src/index.ts';
import type { MailMessage } from '../../src/mail/contract.ts';
import { type RunningServer, startServer } from '../../src/server/index.ts';
import { capturingTransport, GOOD_PASSWORD, harnessConfig, uniqueEmail } from '../fixtures/auth-harness.ts';
import { type JsonReply, jsonCall } from '../fixtures/production-server.ts';

const OATHTOOL = '/usr/bin/oathtool';

/** Fails, with what to install, when oathtool is missing: a missing tool must not pass or skip. */
async function requireOathtool(): Promise<void> {
  try {
    await access(OATHTOOL, constants.X_OK);
  } catch {
    throw new Error(
      `oathtool is required for the TOTP end-to-end test and is not executable at ${OATHTOOL} (Debian/Ubuntu package "oathtool")`,
    );
  }
}

/** What an authenticator app reads from the otpauth URI. */
interface Enrollment {
  readonly secret: string;
  readonly algorithm: string;
  readonly digits: number;
  readonly periodSeconds: number;
}

/**
 * The codes oathtool prints for the current step and the next one, computed from `secret`
 * and the URI's parameters. Runs without a shell; the secret is written to its standard input.
 */
async function oathtoolCodes(enrollment: Enrollment): Promise<[string, string]> {
  await requireOathtool();
  const args = [
    `--totp=${enrollment.algorithm}`,
    `--digits=${enrollment.digits}`,
    `--time-step-size=${enrollment.periodSeconds}s`,
    '--base32',
    '--window=1',
    '-',
  ];
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = execFile(OATHTOOL, args, { timeout: 5_000 }, (error, out, stderr) => {
      if (error) reject(new Error(`oathtool failed: ${stderr}`));
      else resolve(out);
    });
    child.stdin!.end(`${enrollment.secret}\n`);
  });
  const codes = stdout.trim().split('\n');
  assert.equal(codes.length, 2, 'oathtool prints one code per step');
  for (const code of codes) assert.match(code, new RegExp(`^\\d{${enrollment.digits}}$`));
  return codes as [string, string];
}

const servers: RunningServer[] = [];
const dataDirs: string[] = [];

after(async () => {
  await Promise.all(servers.map((server) => server.stop()));
  await Promise.all(dataDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** The standalone server (in this process), on a free loopback port, with limits on. */
async function serve(config: AuthConfigInput): Promise<RunningServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-oathtool-'));
  dataDirs.push(dataDir);
  const mail: MailMessage[] = [];
  const server = await startServer(
    {
      config: {
        ...harnessConfig(
          { secret: generateSecret(), dataDir },
          { config: { ...config, rateLimits: { enabled: true }, lockout: { enabled: true } } },
        ),
        mail: { transport: capturingTransport(mail) },
      },
      listen: { port: 0, host: '127.0.0.1' },
    },
    { migrate: true, shutdownGraceMs: 1_000 },
  );
  servers.push(server);
  return server;
}

function expectOk(reply: JsonReply, label: string): Record<string, unknown> {
  assert.equal(reply.status, 200, `${label}: ${JSON.stringify(reply.body)}`);
  return reply.body ?? {};
}

/** Reads the URI an app would scan, checking it names the same secret the body holds. */
function parseOtpauthUri(uri: string, secret: string): Enrollment {
  const url = new URL(uri);
  assert.equal(url.protocol, 'otpauth:');
  assert.equal(url.host, 'totp');
  assert.equal(url.searchParams.get('secret'), secret, 'the URI and the body hold one secret');
  return {
    secret,
    algorithm: url.searchParams.get('algorithm') ?? '',
    digits: Number(url.searchParams.get('digits')),
    periodSeconds: Number(url.searchParams.get('period')),
  };
}

const CASES: readonly {
  readonly name: string;
  readonly totp: NonNullable<AuthConfigInput['twoFactor']>['totp'] | undefined;
  readonly expected: Omit<Enrollment, 'secret'>;
}[] = [
  {
    name: 'defaults (SHA1, 6 digits, 30 s)',
    totp: undefined,
    expected: { algorithm: 'SHA1', digits: 6, periodSeconds: 30 },
  },
  {
    name: 'SHA256, 8 digits, 60 s',
    totp: { algorithm: 'SHA256', digits: 8, periodSeconds: 60 },
    expected: { algorithm: 'SHA256', digits: 8, periodSeconds: 60 },
  },
];

describe('TOTP enrollment and login with codes from oathtool, over HTTP', () => {
  it('oathtool - should be installed, since this test never skips', async () => {
    await requireOathtool();
  });

  for (const { name, totp, expected } of CASES) {
    it(`${name} - confirm should accept oathtool's code for the returned secret, and /auth/2fa/verify a later one`, async () => {
      const server = await serve(totp ? { twoFactor: { totp } } : {});
      const email = uniqueEmail('oathtool');
      await server.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
      const credentials = { email, password: GOOD_PASSWORD };

      const signedIn = expectOk(
        await jsonCall(server.url, 'POST', '/auth/login', { body: credentials }),
        'login before 2FA',
      );
      const token = String(signedIn.accessToken);
      const started = expectOk(
        await jsonCall(server.url, 'POST', '/auth/2fa/enable', {
          token,
          body: { currentPassword: GOOD_PASSWORD },
        }),
        'enable',
      );
      const secret = String(started.secret);
      assert.match(secret, /^[A-Z2-7]{32}$/, '160 bits in unpadded base32');
      const enrollment = parseOtpauthUri(String(started.otpauthUri), secret);
      assert.deepEqual({ ...enrollment, secret: undefined }, { ...expected, secret: undefined });

      const [enrollCode] = await oathtoolCodes(enrollment);
      const confirmed = expectOk(
        await jsonCall(server.url, 'POST', '/auth/2fa/enable/confirm', {
          token,
          body: { enrollmentToken: started.enrollmentToken, code: enrollCode },
        }),
        "confirm with oathtool's code",
      );
      assert.equal((confirmed.recoveryCodes as string[]).length, 10);
      const me = expectOk(await jsonCall(server.url, 'GET', '/users/me', { token }), 'profile');
      assert.equal((me.user as { twoFactorEnabled: boolean }).twoFactorEnabled, true);

      // A later login. The confirming step counts as used, so take oathtool's code for the next
      // step (what the app shows next; inside the server's window of one step).
      const challenge = expectOk(
        await jsonCall(server.url, 'POST', '/auth/login', { body: credentials }),
        'login with 2FA',
      );
      assert.equal(challenge.twoFactorRequired, true);
      assert.equal(challenge.accessToken, undefined);
      const [, loginCode] = await oathtoolCodes(enrollment);
      const verified = expectOk(
        await jsonCall(server.url, 'POST', '/auth/2fa/verify', {
          body: { pendingToken: challenge.pendingToken, code: loginCode },
        }),
        "verify with oathtool's code",
      );
      assert.equal((verified.user as { email: string }).email, email);
      const after = expectOk(
        await jsonCall(server.url, 'GET', '/users/me', { token: String(verified.accessToken) }),
        'profile with the new token',
      );
      assert.equal((after.user as { email: string }).email, email);

      // The server checked the code rather than waving it through: the same code, once more, is a replay.
      const again = expectOk(
        await jsonCall(server.url, 'POST', '/auth/login', { body: credentials }),
        'another login',
      );
      const replay = await jsonCall(server.url, 'POST', '/auth/2fa/verify', {
        body: { pendingToken: again.pendingToken, code: loginCode },
      });
      assert.equal(replay.status, 400, JSON.stringify(replay.body));
      assert.equal(replay.code, 'TWO_FACTOR_CODE_INVALID');
    });
  }
});
