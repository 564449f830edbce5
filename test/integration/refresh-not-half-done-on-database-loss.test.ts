/**
 * Threat: a refresh is half done when the database fails. If the rotation commits and the
 * database is lost before the answer is ready, the client gets a 503 while the token it holds
 * is already rotated; its retry is then taken for a stolen token's reuse and the whole session
 * is ended — a database hiccup signs people out.
 *
 * Invariant: everything a refresh reads happens before the rotation commits, so a 503 means
 * nothing changed and the same refresh token works on retry.
 *
 * The fault is real: another connection holds an exclusive lock on `users`, the refresh's read
 * of the user waits on it, and that backend is terminated (as a database restart would).
 * @see issue #12 (reliability, "nothing half-written")
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import { createHarness, type Harness } from '../fixtures/auth-harness.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';

let postgres: PostgresServer;
let url: string;
let harness: Harness;

before(async () => {
  postgres = await startPostgres();
  url = await postgres.createDatabase();
  harness = await createHarness({ config: { database: { url } } });
});

after(async () => {
  await harness?.close();
  await postgres?.stop();
});

/** Waits for a backend of the app blocked on a lock, then terminates it. */
async function terminateBlockedBackend(admin: pg.Client, lockerPid: number): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const { rows } = await admin.query<{ pid: number }>(
      `select pid from pg_stat_activity
        where wait_event_type = 'Lock' and datname = current_database() and pid <> $1`,
      [lockerPid],
    );
    if (rows[0]) {
      await admin.query('select pg_terminate_backend($1)', [rows[0].pid]);
      return;
    }
    assert.ok(Date.now() < deadline, 'the refresh never waited on the users table');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('a refresh cut by a lost database connection changes nothing: the same token refreshes on retry', async () => {
  const user = await harness.signedInUser();
  const locker = new pg.Client({ connectionString: url });
  const admin = new pg.Client({ connectionString: url });
  await Promise.all([locker.connect(), admin.connect()]);
  try {
    await locker.query('begin');
    await locker.query('lock table users in access exclusive mode');
    const lockerPid = (await locker.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]?.pid;
    assert.ok(lockerPid);

    const cut = harness.post('/auth/refresh', { refreshToken: user.refreshToken });
    await terminateBlockedBackend(admin, lockerPid);
    const refused = await cut;
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.body.code, 'SERVICE_UNAVAILABLE');
    assert.ok(refused.headers.get('retry-after'));

    await locker.query('rollback');
    const retried = await harness.post('/auth/refresh', { refreshToken: user.refreshToken });
    assert.equal(retried.status, 200, `the retry answered ${retried.status}: ${retried.text}`);
    const me = await harness.get('/users/me', { token: retried.body.accessToken });
    assert.equal(me.status, 200, 'the session is still alive');
  } finally {
    await locker.query('rollback').catch(() => {});
    await Promise.all([locker.end(), admin.end()]);
  }
});
