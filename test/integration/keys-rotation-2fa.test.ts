/**
 * Key rotation with live 2FA users, on SQLite and a real PostgreSQL server: users enroll (over
 * the HTTP routes) while the secrets ring is [A]; the ring becomes [B, A] (a new instance on the
 * same database, as after a redeploy); `keys.status()` counts their seeds under A and 2FA logins
 * keep working; `keys.reencrypt()` moves the seeds to B; with the ring [B] alone, 2FA logins
 * still work and only B is listed. A user who enrolled on a process still running with [A]
 * after the re-encryption is left under A when A is removed: their sign-in must fail cleanly —
 * an answer that says nothing, a log line for the operator, nothing secret in either.
 *
 * The same story is then told through `gatehouse keys status|reencrypt` as child processes, with
 * GATEHOUSE_SECRETS changing between runs.
 *
 * All instances share one test clock, moved on one TOTP step before each code, so every code
 * is for a step not used before and nothing depends on the wall clock.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { isKeyRotationError, type KeyRotationError } from '../../src/features/key-rotation/index.ts';
import { type AuthConfigInput, createAuth, generateSecret } from '../../src/index.ts';
import type { MailMessage } from '../../src/mail/contract.ts';
import { settingsFromEnv } from '../../src/server/index.ts';
import {
  capturingTransport,
  FAST_ARGON2,
  GOOD_PASSWORD,
  type Harness,
  harnessAround,
  harnessConfig,
  type JsonResponse,
} from '../fixtures/auth-harness.ts';
import { type DialectTarget, forEachDialect } from '../fixtures/databases.ts';
import { runGatehouse } from '../fixtures/spawn-server.ts';
import {
  codeAt,
  createTestClock,
  enableTwoFactor,
  storedSeed,
  TOTP_STEP_MS,
  type TwoFactorUser,
} from '../fixtures/two-factor.ts';

type KeyId = 'A' | 'B';
const SECRETS: Readonly<Record<KeyId, string>> = { A: generateSecret(), B: generateSecret() };

/** The clock of every instance in this file. */
const clock = createTestClock(Date.now());
/** Moves the shared clock one TOTP step on: the code computed next is for an unused step. */
function nextStep(): void {
  clock.advance(TOTP_STEP_MS);
}

/** An instance wrapped in the harness helpers, with what it logged (JSON lines). */
interface Instance extends Harness {
  readonly logs: string[];
}

const tempDirs: string[] = [];
after(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-rotation-2fa-'));
  tempDirs.push(dir);
  return dir;
}

/** `A:<secret>,B:<secret>` in ring order (first active), as GATEHOUSE_SECRETS holds it. */
const ringEnv = (ids: readonly KeyId[]): string => ids.map((id) => `${id}:${SECRETS[id]}`).join(',');

/**
 * An instance over `config` on the shared clock, logging at info into `logs` through an
 * app-owned pino logger, its mail captured.
 */
async function instance(config: AuthConfigInput): Promise<Instance> {
  const logs: string[] = [];
  const mail: MailMessage[] = [];
  const auth = await createAuth({
    ...config,
    clock: clock.config,
    logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
    mail: { transport: capturingTransport(mail) },
  });
  return { ...harnessAround(auth, mail, () => auth.close()), logs };
}

/**
 * A verified user who signs in with the password, enables 2FA and confirms it over HTTP, the
 * clock moved one step on before the confirming code.
 */
const enroll = (h: Harness): Promise<TwoFactorUser> =>
  enableTwoFactor(h, clock, { emailLabel: 'rotation', stepsBeforeConfirm: 1, stepsAfterConfirm: 0 });

/** Password, then the second factor: a fresh TOTP code unless `code` is given. */
async function twoFactorLogin(
  h: Harness,
  user: TwoFactorUser,
  code?: string,
): Promise<{ reply: JsonResponse; pendingToken: string; code: string }> {
  const challenge = await h.post('/auth/login', { email: user.email, password: GOOD_PASSWORD });
  assert.equal(challenge.status, 200, challenge.text);
  assert.equal(challenge.body.twoFactorRequired, true, 'the password alone earns a challenge');
  const pendingToken = String(challenge.body.pendingToken);
  nextStep();
  const typed = code ?? codeAt(clock, user.seed);
  const reply = await h.post('/auth/2fa/verify', { pendingToken, code: typed });
  return { reply, pendingToken, code: typed };
}

async function assertSignsIn(h: Harness, user: TwoFactorUser, label: string, code?: string): Promise<void> {
  const { reply } = await twoFactorLogin(h, user, code);
  assert.equal(reply.status, 200, `${label}: ${reply.text}`);
  assert.equal(reply.body.user.id, user.userId);
  assert.equal((await h.get('/users/me', { token: reply.body.accessToken })).status, 200);
}

/** The stored envelope of a user's seed. */
async function envelopeOf(h: Harness, userId: string): Promise<string> {
  const envelope = await storedSeed(h, userId);
  assert.ok(envelope, 'the user has a stored seed');
  return envelope;
}

/** The key ids of an envelope (the second dot-separated part names the secret). */
const keyIdOf = (envelope: string): string => envelope.split('.')[1] ?? '';

/** The entry of the TOTP seeds column among every encrypted column's. */
function seedColumn<T extends { readonly table: string; readonly column: string }>(columns: readonly T[]): T {
  const found = columns.find((c) => c.table === 'users' && c.column === 'totp_secret');
  assert.ok(found, 'users.totp_secret is an encrypted column');
  return found;
}

/** `keys.status()` of the seeds column, as `[keyId, rows, active, inRing]` rows. */
async function seedKeys(h: Harness): Promise<[string, number, boolean, boolean][]> {
  const column = seedColumn((await h.auth.keys.status()).columns);
  return column.keys.map((key) => [key.keyId, key.rows, key.active, key.inRing]);
}

async function stoppedBy(run: Promise<unknown>): Promise<KeyRotationError> {
  try {
    await run;
  } catch (error) {
    if (isKeyRotationError(error)) return error;
    throw error;
  }
  assert.fail('reencrypt should have stopped with a KeyRotationError');
}

/** Asserts none of `secrets` appears in any of `texts`, naming only which secret leaked. */
function assertNoLeak(texts: readonly string[], secrets: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(secrets)) {
    assert.ok(value.length >= 6, `${name} is long enough to search for`);
    for (const text of texts) assert.ok(!text.includes(value), `${name} leaked`);
  }
}

/**
 * The sign-in of a user whose seed is under a secret no longer in the ring: the password
 * passes (2FA is on, the challenge is due) but the code cannot be checked. Asserts the answer
 * and the log, and that neither holds the seed, its envelope, the code or the credentials.
 */
async function assertUnreadableSeedFailsCleanly(h: Instance, user: TwoFactorUser): Promise<void> {
  const envelope = await envelopeOf(h, user.userId);
  const logsBefore = h.logs.length;
  const { reply, pendingToken, code } = await twoFactorLogin(h, user);

  // What it is: the generic 500 INTERNAL problem, nothing more specific.
  assert.equal(reply.status, 500, reply.text);
  assert.equal(reply.headers.get('content-type'), 'application/problem+json');
  assert.equal(reply.body.code, 'INTERNAL');
  assert.equal(reply.body.detail, undefined, 'no detail for the client');
  assert.equal(reply.body.accessToken, undefined);

  const logged = h.logs.slice(logsBefore).map((line) => JSON.parse(line) as Record<string, unknown>);
  const errors = logged.filter((line) => (line.level as number) >= 50);
  assert.equal(errors.length, 1, `one error line for the operator: ${JSON.stringify(logged)}`);
  const err = errors[0]?.err as { type?: string; message?: string; reason?: string } | undefined;
  assert.equal(err?.type, 'AeadError');
  assert.equal(err?.reason, 'unknown_key');
  assert.match(err?.message ?? '', /names a key that is not in the keyring/);

  // Timestamps and pids are long digit runs a six-digit code could match by chance.
  const logText = h.logs.slice(logsBefore).map((line) => line.replace(/"(time|pid)":\d+/g, ''));
  assertNoLeak([reply.text, ...logText], {
    'the base32 secret': user.secret,
    'the seed (hex)': user.seed.toString('hex'),
    'the seed (base64url)': user.seed.toString('base64url'),
    'the stored envelope': envelope,
    'the ciphertext': envelope.split('.')[3] ?? envelope,
    'the code': code,
    'the password': GOOD_PASSWORD,
    'the pending token': pendingToken,
    'a recovery code': user.recoveryCodes[0] ?? '',
  });
}

forEachDialect((target: DialectTarget) => {
  describe('auth.keys with live 2FA users', () => {
    it('ring [A] → [B, A] → reencrypt → [B] - should count seeds per key and keep 2FA logins working at every stage', async () => {
      const url = await target.freshUrl();
      const dataDir = await tempDir();
      const open = (ids: readonly KeyId[]) =>
        instance({
          ...harnessConfig({ secret: SECRETS.A, dataDir }),
          database: { url },
          secrets: ids.map((id) => ({ id, secret: SECRETS[id] })),
        });

      // A process that stays on [A] throughout, as one a rolling deploy has not reached.
      const stale = await open(['A']);
      let rotated: Instance | undefined;
      let onlyB: Instance | undefined;
      try {
        await stale.auth.migrate();
        const users = [await enroll(stale), await enroll(stale)];
        const [first, second] = users as [TwoFactorUser, TwoFactorUser];
        for (const user of users) assert.equal(keyIdOf(await envelopeOf(stale, user.userId)), 'A');

        rotated = await open(['B', 'A']);
        assert.deepEqual(await seedKeys(rotated), [
          ['B', 0, true, true],
          ['A', 2, false, true],
        ]);
        assert.equal((await rotated.auth.keys.status()).pending, 2);
        await assertSignsIn(rotated, first, 'TOTP under A with the ring [B, A]');
        await assertSignsIn(
          rotated,
          second,
          'a recovery code from [A] with the ring [B, A]',
          second.recoveryCodes[0],
        );

        const result = await rotated.auth.keys.reencrypt();
        assert.equal(result.activeKeyId, 'B');
        assert.deepEqual(seedColumn(result.columns), {
          table: 'users',
          column: 'totp_secret',
          reencrypted: 2,
          alreadyActive: 0,
          changedMeanwhile: 0,
        });
        assert.deepEqual(await seedKeys(rotated), [['B', 2, true, true]]);
        for (const user of users) assert.equal(keyIdOf(await envelopeOf(rotated, user.userId)), 'B');
        await assertSignsIn(rotated, second, 'TOTP under B with the ring [B, A]');

        onlyB = await open(['B']);
        assert.deepEqual(await seedKeys(onlyB), [['B', 2, true, true]]);
        assert.equal((await onlyB.auth.keys.status()).pending, 0);
        for (const user of users) await assertSignsIn(onlyB, user, 'TOTP with the ring [B]');
        // Documented: recovery codes are keyed digests that cannot be re-keyed; those issued
        // under A stop matching once A leaves the ring (users regenerate them).
        const { reply: recovery } = await twoFactorLogin(onlyB, first, first.recoveryCodes[1]);
        assert.equal(recovery.status, 400, recovery.text);
        assert.equal(recovery.body.code, 'TWO_FACTOR_CODE_INVALID');
      } finally {
        await Promise.all([stale.close(), rotated?.close(), onlyB?.close()]);
      }
    });

    it('a seed left under A when A leaves the ring - sign-in should fail with a logged 500 INTERNAL that leaks nothing, status and reencrypt should name it', async () => {
      const url = await target.freshUrl();
      const dataDir = await tempDir();
      const open = (ids: readonly KeyId[]) =>
        instance({
          ...harnessConfig({ secret: SECRETS.A, dataDir }),
          database: { url },
          secrets: ids.map((id) => ({ id, secret: SECRETS[id] })),
        });

      const stale = await open(['A']);
      let onlyB: Instance | undefined;
      try {
        await stale.auth.migrate();
        const moved = await enroll(stale);
        const rotated = await open(['B', 'A']);
        try {
          assert.equal(seedColumn((await rotated.auth.keys.reencrypt()).columns).reencrypted, 1);
        } finally {
          await rotated.close();
        }
        // Enrolled on the process still on [A] after the re-encryption ran: never re-encrypted.
        const leftBehind = await enroll(stale);
        assert.equal(keyIdOf(await envelopeOf(stale, leftBehind.userId)), 'A');

        onlyB = await open(['B']);
        assert.deepEqual(await seedKeys(onlyB), [
          ['B', 1, true, true],
          ['A', 1, false, false],
        ]);
        assert.equal((await onlyB.auth.keys.status()).pending, 1);
        await assertSignsIn(onlyB, moved, 'a re-encrypted user with the ring [B]');
        await assertUnreadableSeedFailsCleanly(onlyB, leftBehind);

        const envelope = await envelopeOf(onlyB, leftBehind.userId);
        const error = await stoppedBy(onlyB.auth.keys.reencrypt());
        assert.equal(error.reason, 'unknown_key');
        assert.equal(error.rowId, leftBehind.userId);
        assert.equal(error.keyId, 'A');
        assert.ok(!error.message.includes(envelope));
        assert.equal(
          await envelopeOf(onlyB, leftBehind.userId),
          envelope,
          'the unreadable row is left as it was',
        );
      } finally {
        await Promise.all([stale.close(), onlyB?.close()]);
      }
    });
  });

  describe('gatehouse keys (child process) with live 2FA users', () => {
    it('status and reencrypt as GATEHOUSE_SECRETS goes [A] → [B, A] → [B] - should count, move and flag the seeds while 2FA logins keep working', async () => {
      const dataDir = await tempDir();
      const databaseUrl = await target.freshUrl();
      const envFor = (ids: readonly KeyId[]): Record<string, string> => ({
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_DATABASE_URL: databaseUrl,
        GATEHOUSE_SECRETS: ringEnv(ids),
        GATEHOUSE_LOG_LEVEL: 'silent',
      });
      /** An instance configured from the same environment the commands read. */
      const open = (ids: readonly KeyId[]) =>
        instance({
          ...settingsFromEnv(envFor(ids)).config,
          passwords: { argon2: FAST_ARGON2 },
        });
      const keys = (args: readonly string[], ids: readonly KeyId[]) =>
        runGatehouse(['keys', ...args], { env: envFor(ids) });

      const stale = await open(['A']);
      const opened: Instance[] = [stale];
      try {
        await stale.auth.migrate();
        const users = [await enroll(stale), await enroll(stale)];

        // The report and the new instance read the same database independently: side by side.
        const [before, rotated] = await Promise.all([keys(['status'], ['B', 'A']), open(['B', 'A'])]);
        opened.push(rotated);
        assert.equal(before.code, 0, before.stderr);
        assert.match(before.stdout, /^active key: B \(ring: B, A\)$/m);
        assert.match(before.stdout, /^users\.totp_secret\s+B\s+0\s+active$/m);
        assert.match(before.stdout, /^users\.totp_secret\s+A\s+2$/m);
        assert.match(before.stdout, /2 rows are not under the active key B/);

        await assertSignsIn(rotated, users[0] as TwoFactorUser, 'TOTP under A with GATEHOUSE_SECRETS=B,A');

        const reencrypt = await keys(['reencrypt'], ['B', 'A']);
        assert.equal(reencrypt.code, 0, reencrypt.stderr);
        assert.match(
          reencrypt.stdout,
          /^users\.totp_secret: 2 re-encrypted, 0 already under the active key, 0 changed meanwhile/m,
        );

        const [onlyBStatus, onlyB] = await Promise.all([keys(['status'], ['B']), open(['B'])]);
        opened.push(onlyB);
        assert.equal(onlyBStatus.code, 0, onlyBStatus.stderr);
        assert.match(onlyBStatus.stdout, /^active key: B \(ring: B\)$/m);
        assert.match(onlyBStatus.stdout, /^users\.totp_secret\s+B\s+2\s+active$/m);
        assert.doesNotMatch(onlyBStatus.stdout, /^users\.totp_secret\s+A\s/m);
        assert.match(onlyBStatus.stdout, /every encrypted value is under the active key B/);

        for (const user of users) await assertSignsIn(onlyB, user, 'TOTP with GATEHOUSE_SECRETS=B');

        // A user enrolls on the process still on [A], after the re-encryption.
        const leftBehind = await enroll(stale);
        const envelope = await envelopeOf(stale, leftBehind.userId);
        const [flagged, stopped] = await Promise.all([keys(['status'], ['B']), keys(['reencrypt'], ['B'])]);
        assert.equal(flagged.code, 0, flagged.stderr);
        assert.match(
          flagged.stdout,
          /^users\.totp_secret\s+A\s+1\s+not in the keyring: cannot be decrypted$/m,
        );
        assert.match(flagged.stdout, /1 rows are not under the active key B/);
        assert.equal(stopped.code, 1, stopped.stdout + stopped.stderr);
        assert.match(
          stopped.stderr,
          new RegExp(
            `stopped: users\\.totp_secret row ${leftBehind.userId} is encrypted under a key id that is not in the keyring \\(key id A\\)`,
          ),
        );
        assertNoLeak([flagged.stdout, flagged.stderr, stopped.stdout, stopped.stderr], {
          'the stored envelope': envelope,
          'the base32 secret': leftBehind.secret,
          'secret A': SECRETS.A,
          'secret B': SECRETS.B,
        });
        assert.equal(
          await envelopeOf(onlyB, leftBehind.userId),
          envelope,
          'the unreadable row is left as it was',
        );
        await assertUnreadableSeedFailsCleanly(onlyB, leftBehind);
      } finally {
        await Promise.all(opened.map((h) => h.close()));
      }
    });
  });
});
