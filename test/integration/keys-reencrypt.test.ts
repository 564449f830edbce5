/**
 * Key rotation for encrypted columns, on SQLite and a real PostgreSQL server: TOTP seed
 * envelopes written under secret A, the ring becomes [B, A], then `auth.keys.status()` and
 * `auth.keys.reencrypt()` in process, and `gatehouse keys status|reencrypt` as a real child
 * process against the same databases (a SQLite file in GATEHOUSE_DATA_DIR, and
 * GATEHOUSE_DATABASE_URL for PostgreSQL).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createKeyring } from '../../src/core/secrets/keyring.ts';
import { type Aead, createAead } from '../../src/crypto/aead.ts';
import { newId } from '../../src/crypto/ids.ts';
import {
  createKeyService,
  type EncryptedColumnStore,
  isKeyRotationError,
  type KeyRotationError,
  type ReencryptProgress,
} from '../../src/features/key-rotation/index.ts';
import { type Auth, type AuthConfigInput, createAuth, generateSecret } from '../../src/index.ts';
import { settingsFromEnv } from '../../src/server/index.ts';
import { aadFor, ENCRYPTED_COLUMNS } from '../../src/stores/sql/encrypted-columns.ts';
import { createEncryptedColumnsRepository } from '../../src/stores/sql/repositories/encrypted-columns.ts';
import { type DialectTarget, forEachDialect } from '../fixtures/databases.ts';
import { runGatehouse } from '../fixtures/spawn-server.ts';

const SECRET_A = generateSecret();
const SECRET_B = generateSecret();
const SECRET_C = generateSecret();
const T0 = 1_750_000_000_000;

const PURPOSE = 'secret-encryption';
const TABLE = 'users';
const COLUMN = 'totp_secret';

/** An AEAD over the ring `[...ids]` (first active), as createAuth builds it. */
function aeadFor(...ids: ('A' | 'B' | 'C')[]): Aead {
  const secrets = { A: SECRET_A, B: SECRET_B, C: SECRET_C };
  const keyring = createKeyring(
    ids.map((id) => ({ id, secret: secrets[id] })),
    { eagerPurposes: [] },
  );
  return createAead({ active: () => keyring.active(PURPOSE), byId: (id) => keyring.byId(PURPOSE, id) });
}

const ringA = aeadFor('A');
const ringC = aeadFor('C');
/** B only: whatever it decrypts is really under B, not readable through A. */
const ringBOnly = aeadFor('B');

const tempDirs: string[] = [];
after(async () => {
  await Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-keys-'));
  tempDirs.push(dir);
  return dir;
}

/** A Gatehouse instance over `database`, with the ring `[B, A]` unless told otherwise. */
async function open(database: AuthConfigInput['database'], secrets = 'B,A'): Promise<Auth> {
  const values: Record<string, string> = { A: SECRET_A, B: SECRET_B, C: SECRET_C };
  return createAuth({
    mode: 'development',
    dataDir: await tempDir(),
    logLevel: 'silent',
    database,
    secrets: secrets.split(',').map((id) => ({ id, secret: values[id] ?? '' })),
  });
}

/** A seed that differs per user, so a value decrypting to another user's seed is caught. */
function seedOf(index: number): string {
  return `JBSWY3DPEHPK3PXP${String(index).padStart(4, '0')}`;
}

async function setTotp(auth: Auth, userId: string, value: string | null): Promise<void> {
  await auth.database.db.updateTable('users').set({ totp_secret: value }).where('id', '=', userId).execute();
}

async function totpOf(auth: Auth, userId: string): Promise<string | null> {
  const row = await auth.database.db
    .selectFrom('users')
    .select('totp_secret')
    .where('id', '=', userId)
    .executeTakeFirstOrThrow();
  return row.totp_secret;
}

/**
 * `count` users with their seed encrypted under A (AAD from the registry), plus one user
 * without 2FA. Returns the ids of those with a seed, in the order rows are paged (by id).
 */
async function seedUsers(auth: Auth, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i <= count; i++) {
    const id = newId();
    const created = await auth.repositories.users.create({
      id,
      email: `keys-${id}@example.com`,
      passwordHash: null,
      securityStamp: newId(),
      now: T0,
    });
    assert.ok(created);
    if (i < count) ids.push(id);
  }
  ids.sort();
  for (const [index, id] of ids.entries()) {
    await setTotp(auth, id, ringA.encrypt(seedOf(index), aadFor(TABLE, COLUMN, id)));
  }
  return ids;
}

async function assertAllUnderB(auth: Auth, ids: readonly string[]): Promise<void> {
  for (const [index, id] of ids.entries()) {
    const stored = await totpOf(auth, id);
    assert.ok(stored);
    assert.equal(ringBOnly.keyIdOf(stored), 'B');
    assert.equal(ringBOnly.decrypt(stored, aadFor(TABLE, COLUMN, id)).toString('utf8'), seedOf(index));
  }
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

forEachDialect((target: DialectTarget) => {
  /** A fresh, migrated database behind an instance with the ring [B, A], and 5 seeds under A. */
  async function rotated(count = 5): Promise<{ auth: Auth; ids: string[]; url: string }> {
    const url = await target.freshUrl();
    const auth = await open({ url });
    await auth.migrate();
    const ids = await seedUsers(auth, count);
    return { auth, ids, url };
  }

  describe('auth.keys', () => {
    it('registry - should list every encrypted column with AAD gatehouse:<table>.<column>:<rowId>', () => {
      assert.deepEqual(
        ENCRYPTED_COLUMNS.map((c) => ({ ...c })),
        [
          { table: 'users', column: 'totp_secret', idColumn: 'id' },
          { table: 'oauth_accounts', column: 'access_token', idColumn: 'id' },
          { table: 'oauth_accounts', column: 'refresh_token', idColumn: 'id' },
          { table: 'api_keys', column: 'signing_secret', idColumn: 'id' },
        ],
      );
      assert.equal(aadFor('users', 'totp_secret', 'u1'), 'gatehouse:users.totp_secret:u1');
    });

    it('status - should count rows per key id, mark B active, and count what is pending', async () => {
      const { auth, ids } = await rotated();
      try {
        const status = await auth.keys.status();
        assert.equal(status.activeKeyId, 'B');
        assert.equal(status.pending, ids.length);
        const empty = (column: string, table = 'oauth_accounts') => ({
          table,
          column,
          keys: [{ keyId: 'B', rows: 0, active: true, inRing: true }],
          malformed: 0,
          total: 0,
        });
        assert.deepEqual(status.columns, [
          {
            table: 'users',
            column: 'totp_secret',
            keys: [
              { keyId: 'B', rows: 0, active: true, inRing: true },
              { keyId: 'A', rows: 5, active: false, inRing: true },
            ],
            malformed: 0,
            total: 5,
          },
          empty('access_token'),
          empty('refresh_token'),
          empty('signing_secret', 'api_keys'),
        ]);
      } finally {
        await auth.close();
      }
    });

    it('reencrypt - should move every row to B in batches of 2, reporting progress, seeds unchanged', async () => {
      const { auth, ids } = await rotated();
      try {
        const progress: ReencryptProgress[] = [];
        const result = await auth.keys.reencrypt({ batchSize: 2, onProgress: (p) => progress.push(p) });
        assert.deepEqual(
          progress.map(({ done, remaining }) => [done, remaining]),
          [
            [2, 3],
            [4, 1],
            [5, 0],
          ],
        );
        assert.ok(progress.every((p) => p.table === 'users' && p.column === 'totp_secret'));
        assert.deepEqual(result, {
          activeKeyId: 'B',
          columns: [
            { table: 'users', column: 'totp_secret', reencrypted: 5, alreadyActive: 0, changedMeanwhile: 0 },
            {
              table: 'oauth_accounts',
              column: 'access_token',
              reencrypted: 0,
              alreadyActive: 0,
              changedMeanwhile: 0,
            },
            {
              table: 'oauth_accounts',
              column: 'refresh_token',
              reencrypted: 0,
              alreadyActive: 0,
              changedMeanwhile: 0,
            },
            {
              table: 'api_keys',
              column: 'signing_secret',
              reencrypted: 0,
              alreadyActive: 0,
              changedMeanwhile: 0,
            },
          ],
        });
        await assertAllUnderB(auth, ids);
        const status = await auth.keys.status();
        assert.equal(status.pending, 0);
        assert.deepEqual(status.columns[0]?.keys, [{ keyId: 'B', rows: 5, active: true, inRing: true }]);

        // Nothing left to do: a second run rewrites nothing.
        const again = await auth.keys.reencrypt({ batchSize: 2 });
        assert.equal(again.columns[0]?.reencrypted, 0);
        assert.equal(again.columns[0]?.alreadyActive, 5);
      } finally {
        await auth.close();
      }
    });

    it('reencrypt - should leave alone a row whose value changed between the read and the write', async () => {
      const { auth, ids } = await rotated(4);
      try {
        const victim = ids[1] ?? '';
        // The user re-enrolls (new seed, under B) while the batch holding their row is in flight.
        const concurrent = ringBOnly.encrypt('NEWSEEDNEWSEEDNEWSEED', aadFor(TABLE, COLUMN, victim));
        const repository = createEncryptedColumnsRepository(auth.database.db);
        const racing: EncryptedColumnStore = {
          columns: repository.columns,
          countByKeyId: () => repository.countByKeyId(),
          async page(table, column, options) {
            const rows = await repository.page(table, column, options);
            if (rows.some((row) => row.id === victim)) await setTotp(auth, victim, concurrent);
            return rows;
          },
          replace: (...args) => repository.replace(...args),
        };
        const service = createKeyService({ aead: aeadFor('B', 'A'), columns: racing, activeKeyId: 'B' });
        const result = await service.reencrypt({ batchSize: 2 });
        assert.equal(result.columns[0]?.reencrypted, 3);
        assert.equal(result.columns[0]?.changedMeanwhile, 1);
        assert.equal(await totpOf(auth, victim), concurrent, 'the concurrent write must survive');
        // 2FA disabled meanwhile: the conditional replace writes nothing either.
        const stale = await totpOf(auth, ids[0] ?? '');
        assert.ok(stale);
        await setTotp(auth, ids[0] ?? '', null);
        assert.equal(await repository.replace(TABLE, COLUMN, ids[0] ?? '', stale, 'v1.B.x.y'), false);
        assert.equal(await totpOf(auth, ids[0] ?? ''), null);
      } finally {
        await auth.close();
      }
    });

    it('reencrypt - should stop at a malformed value naming the row (not the value), keep earlier batches, and resume once fixed', async () => {
      const { auth, ids } = await rotated(6);
      try {
        const bad = ids[3] ?? '';
        const garbage = 'not-an-envelope-SENSITIVE';
        await setTotp(auth, bad, garbage);
        const progress: ReencryptProgress[] = [];
        const error = await stoppedBy(
          auth.keys.reencrypt({ batchSize: 2, onProgress: (p) => progress.push(p) }),
        );
        assert.equal(error.reason, 'malformed');
        assert.equal(error.table, 'users');
        assert.equal(error.column, 'totp_secret');
        assert.equal(error.rowId, bad);
        assert.ok(error.message.includes(`users.totp_secret row ${bad}`));
        assert.ok(!error.message.includes(garbage));
        assert.equal(error.completed[0]?.reencrypted, 3);
        assert.deepEqual(
          progress.map((p) => p.done),
          [2],
          'one full batch was reported before the stop',
        );
        // The first batch and the row before the bad one are done; the rest still under A.
        await assertAllUnderB(auth, ids.slice(0, 3));
        for (const id of ids.slice(4)) assert.equal(ringA.keyIdOf((await totpOf(auth, id)) ?? ''), 'A');
        const status = await auth.keys.status();
        assert.equal(status.columns[0]?.malformed, 1);
        assert.equal(status.pending, 3);

        // The operator fixes the row (here: restores its seed under A); the re-run resumes.
        await setTotp(auth, bad, ringA.encrypt(seedOf(3), aadFor(TABLE, COLUMN, bad)));
        const resumed = await auth.keys.reencrypt({ batchSize: 2 });
        assert.deepEqual(resumed.columns[0], {
          table: 'users',
          column: 'totp_secret',
          reencrypted: 3,
          alreadyActive: 3,
          changedMeanwhile: 0,
        });
        await assertAllUnderB(auth, ids);
      } finally {
        await auth.close();
      }
    });

    it('reencrypt - should stop at a value under a key id not in the ring, naming the row and the key id', async () => {
      const { auth, ids, url } = await rotated(5);
      const orphan = ids[2] ?? '';
      try {
        const underC = ringC.encrypt(seedOf(2), aadFor(TABLE, COLUMN, orphan));
        await setTotp(auth, orphan, underC);
        const status = await auth.keys.status();
        assert.deepEqual(
          status.columns[0]?.keys.find((key) => key.keyId === 'C'),
          {
            keyId: 'C',
            rows: 1,
            active: false,
            inRing: false,
          },
        );
        const error = await stoppedBy(auth.keys.reencrypt({ batchSize: 2 }));
        assert.equal(error.reason, 'unknown_key');
        assert.equal(error.rowId, orphan);
        assert.equal(error.keyId, 'C');
        assert.match(error.message, new RegExp(`users\\.totp_secret row ${orphan} .*key id C`));
        assert.ok(!error.message.includes(underC.split('.')[3] ?? '??'));
        await assertAllUnderB(auth, ids.slice(0, 2));
        assert.equal(await totpOf(auth, orphan), underC, 'the unreadable row is never touched');
      } finally {
        await auth.close();
      }

      // The operator puts C back in the ring: the re-run finishes the job.
      const withC = await open({ url }, 'B,A,C');
      try {
        const resumed = await withC.keys.reencrypt({ batchSize: 2 });
        assert.equal(resumed.columns[0]?.reencrypted, 3);
        assert.equal(resumed.columns[0]?.alreadyActive, 2);
        assert.equal((await withC.keys.status()).pending, 0);
        const stored = await totpOf(withC, orphan);
        assert.equal(
          ringBOnly.decrypt(stored ?? '', aadFor(TABLE, COLUMN, orphan)).toString('utf8'),
          seedOf(2),
        );
      } finally {
        await withC.close();
      }
    });

    it('reencrypt - should refuse a batch size out of range', async () => {
      const { auth } = await rotated(1);
      try {
        await assert.rejects(auth.keys.reencrypt({ batchSize: 0 }), RangeError);
        await assert.rejects(auth.keys.reencrypt({ batchSize: 1.5 }), RangeError);
      } finally {
        await auth.close();
      }
    });

    it('repository - should refuse tables and columns that are not registered', async () => {
      const { auth } = await rotated(1);
      try {
        const repository = createEncryptedColumnsRepository(auth.database.db);
        assert.throws(
          () => repository.page('users', 'password_hash', { afterId: null, limit: 1 }),
          TypeError,
        );
        assert.throws(() => repository.replace('sessions', 'totp_secret', 'x', 'a', 'b'), TypeError);
      } finally {
        await auth.close();
      }
    });
  });

  describe('gatehouse keys (child process)', () => {
    it('status and reencrypt --batch-size 2 - should report, move every row to B, and exit 0; bad rows exit 1; bad flags exit 2', async () => {
      const dataDir = await tempDir();
      const place: Record<string, string> =
        target.dialect === 'sqlite'
          ? { GATEHOUSE_DATA_DIR: dataDir }
          : { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_DATABASE_URL: await target.freshUrl() };
      const envA = { ...place, GATEHOUSE_SECRETS: `A:${SECRET_A}`, GATEHOUSE_LOG_LEVEL: 'silent' };
      const envBA = { ...envA, GATEHOUSE_SECRETS: `B:${SECRET_B},A:${SECRET_A}` };

      const setup = await createAuth({ ...settingsFromEnv(envA).config, logLevel: 'silent' });
      let ids: string[];
      try {
        if (target.dialect === 'sqlite') assert.match(setup.posture.database, /gatehouse-keys-/);
        await setup.migrate();
        ids = await seedUsers(setup, 5);
      } finally {
        await setup.close();
      }

      const [status, badFlag, badValue, badAction, extra] = await Promise.all([
        runGatehouse(['keys', 'status'], { env: envBA }),
        runGatehouse(['keys', 'reencrypt', '--batch-size', '0'], { env: envBA }),
        runGatehouse(['keys', 'reencrypt', '--batch-size', 'lots'], { env: envBA }),
        runGatehouse(['keys', 'rotate'], { env: envBA }),
        runGatehouse(['keys', 'status', '--batch-size', '2'], { env: envBA }),
      ]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /^active key: B \(ring: B, A\)$/m);
      assert.match(status.stdout, /^users\.totp_secret\s+B\s+0\s+active$/m);
      assert.match(status.stdout, /^users\.totp_secret\s+A\s+5$/m);
      assert.match(status.stdout, /5 rows are not under the active key B/);
      for (const run of [badFlag, badValue, badAction, extra]) {
        assert.equal(run.code, 2, run.stderr);
        assert.match(run.stderr, /Usage: gatehouse <command>/);
        assert.ok(!run.stderr.includes('lots'), 'a usage error never echoes the argument');
      }

      const reencrypt = await runGatehouse(['keys', 'reencrypt', '--batch-size', '2'], { env: envBA });
      assert.equal(reencrypt.code, 0, reencrypt.stderr);
      assert.deepEqual(
        reencrypt.stdout.split('\n').filter((line) => line.includes('remaining')),
        [
          'users.totp_secret: 2 re-encrypted, 3 remaining',
          'users.totp_secret: 4 re-encrypted, 1 remaining',
          'users.totp_secret: 5 re-encrypted, 0 remaining',
        ],
      );
      assert.match(reencrypt.stdout, /^done: re-encryption under the active key B finished$/m);
      assert.match(
        reencrypt.stdout,
        /^users\.totp_secret: 5 re-encrypted, 0 already under the active key, 0 changed meanwhile/m,
      );

      const check = await createAuth({ ...settingsFromEnv(envBA).config, logLevel: 'silent' });
      try {
        await assertAllUnderB(check, ids);
        const after = await runGatehouse(['keys', 'status'], { env: envBA });
        assert.equal(after.code, 0, after.stderr);
        assert.match(after.stdout, /^users\.totp_secret\s+B\s+5\s+active$/m);
        assert.doesNotMatch(after.stdout, /^users\.totp_secret\s+A\s/m);
        assert.match(after.stdout, /every encrypted value is under the active key B/);

        // A malformed row, then a row under the old key: exit 1, the row named, the value not.
        const bad = ids[4] ?? '';
        const garbage = 'garbage-SENSITIVE-value';
        await setTotp(check, bad, garbage);
        await setTotp(check, ids[0] ?? '', ringA.encrypt(seedOf(0), aadFor(TABLE, COLUMN, ids[0] ?? '')));
        const stopped = await runGatehouse(['keys', 'reencrypt', '--batch-size', '2'], { env: envBA });
        assert.equal(stopped.code, 1, stopped.stdout + stopped.stderr);
        assert.match(
          stopped.stderr,
          new RegExp(`stopped: users\\.totp_secret row ${bad} is not a well-formed`),
        );
        assert.match(stopped.stderr, /users\.totp_secret: 1 re-encrypted/);
        assert.ok(!(stopped.stdout + stopped.stderr).includes(garbage));
        assert.equal(
          ringBOnly.keyIdOf((await totpOf(check, ids[0] ?? '')) ?? ''),
          'B',
          'rows before the bad one stay done',
        );
        const report = await runGatehouse(['keys', 'status'], { env: envBA });
        assert.equal(report.code, 0, report.stderr);
        assert.match(report.stdout, /^users\.totp_secret\s+B\s+4\s+active$/m);
        assert.match(report.stdout, /^users\.totp_secret\s+\(malformed\)\s+1\s+not an envelope$/m);
        assert.match(report.stdout, /1 values are not encrypted envelopes/);
        assert.ok(!report.stdout.includes(garbage));
      } finally {
        await check.close();
      }
    });
  });
});
