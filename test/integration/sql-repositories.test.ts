/**
 * The SQL repositories (users, sessions, audit events) on SQLite and on a real PostgreSQL
 * server: every method, the case-insensitive email rules, expiry and revocation in rotation,
 * and the errors a failing database turns into.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { CompiledQuery, type KyselyPlugin, type RootOperationNode, sql } from 'kysely';
import { revocationGroupOf } from '../../src/crypto/revocation-group.ts';
import { StoreError } from '../../src/stores/contract.ts';
import {
  type AuditEvent,
  EmailTakenError,
  type NewSession,
  type NewUser,
  type Repositories,
  type Session,
} from '../../src/stores/repositories.ts';
import { type Database, openDatabase } from '../../src/stores/sql/database.ts';
import { createSqlRepositories, migrateUp, SqlRepositoryError } from '../../src/stores/sql/index.ts';
import { type DialectTarget, forEachDialect } from '../fixtures/databases.ts';
import { findFreePort } from '../fixtures/free-port.ts';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** A fixed clock: every time below is relative to it. */
const T0 = 1_750_000_000_000;

let sequence = 0;
function unique(prefix: string): string {
  sequence += 1;
  return `${prefix}-${process.pid}-${sequence}`;
}

function newUser(overrides: Partial<NewUser> = {}): NewUser {
  const id = unique('user');
  return {
    id,
    email: `${id}@example.com`,
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    securityStamp: unique('stamp'),
    now: T0,
    ...overrides,
  };
}

function newSession(userId: string, overrides: Partial<NewSession> = {}): NewSession {
  return {
    id: unique('session'),
    userId,
    kind: 'bearer',
    tokenDigest: unique('digest'),
    now: T0,
    idleExpiresAt: T0 + 30 * MINUTE,
    absoluteExpiresAt: T0 + 30 * DAY,
    ipHash: 'ip-digest',
    userAgent: 'test-agent/1.0',
    authMethods: ['pwd'],
    ...overrides,
  };
}

function newEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: unique('event'),
    type: 'user.login.succeeded',
    userId: null,
    sessionId: null,
    requestId: null,
    ipHash: null,
    userAgent: null,
    data: {},
    createdAt: T0,
    ...overrides,
  };
}

interface Fixture {
  readonly database: Database;
  readonly repositories: Repositories;
}

async function migrated(target: DialectTarget): Promise<Fixture> {
  const database = await target.open();
  await migrateUp(database);
  return { database, repositories: createSqlRepositories(database) };
}

async function currentDigest(database: Database, sessionId: string): Promise<string | null | undefined> {
  const row = await database.db
    .selectFrom('sessions')
    .select('refresh_digest')
    .where('id', '=', sessionId)
    .executeTakeFirst();
  return row?.refresh_digest;
}

/** Resolves with what `promise` rejected with; fails the test when it resolves. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => assert.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

forEachDialect((target) => {
  // Most cases share one migrated database (ids and emails are unique per case); the few that
  // count or list everything open their own.
  let shared: Promise<Fixture> | undefined;
  const fixture = (): Promise<Fixture> => {
    shared ??= migrated(target);
    return shared;
  };

  // ---------------------------------------------------------------------------------------
  // users
  // ---------------------------------------------------------------------------------------

  it('users.create - should store every field and apply the defaults', async () => {
    const { repositories } = await fixture();
    const input = newUser({ name: null });
    const created = await repositories.users.create(input);
    assert.deepEqual(created, {
      id: input.id,
      email: input.email,
      emailVerifiedAt: null,
      passwordHash: input.passwordHash,
      name: null,
      isActive: true,
      roles: [],
      securityStamp: input.securityStamp,
      totpSecret: null,
      createdAt: T0,
      updatedAt: T0,
    });
    assert.deepEqual(await repositories.users.findById(input.id), created);

    const full = newUser({
      name: 'Ada',
      emailVerifiedAt: T0 - 5,
      isActive: false,
      roles: ['admin', 'auditor'],
    });
    const stored = await repositories.users.create(full);
    assert.equal(stored?.name, 'Ada');
    assert.equal(stored?.emailVerifiedAt, T0 - 5);
    assert.equal(stored?.isActive, false);
    assert.deepEqual(stored?.roles, ['admin', 'auditor']);
    assert.deepEqual(await repositories.users.findById(full.id), stored);
  });

  it('users.create - should store a user without a password', async () => {
    const { repositories } = await fixture();
    const input = newUser({ passwordHash: null });
    assert.equal((await repositories.users.create(input))?.passwordHash, null);
    assert.equal((await repositories.users.findById(input.id))?.passwordHash, null);
  });

  it('users.create - should return null when the email is taken in another case, writing nothing', async () => {
    const { repositories } = await migrated(target);
    const first = newUser({ email: 'alice@example.com', name: 'first' });
    await repositories.users.create(first);
    const clash = newUser({ email: 'ALICE@Example.COM', name: 'second' });
    assert.equal(await repositories.users.create(clash), null);
    assert.equal(await repositories.users.create(newUser({ email: 'alice@example.com' })), null);
    assert.equal(await repositories.users.count(), 1);
    assert.equal(await repositories.users.findById(clash.id), null);
    assert.equal((await repositories.users.findByEmail('alice@example.com'))?.name, 'first');
  });

  it('users.create - should reject a duplicate id as a failure, not as a taken email', async () => {
    const { repositories } = await fixture();
    const input = newUser();
    await repositories.users.create(input);
    const error = await rejection(
      repositories.users.create({ ...input, email: `${unique('other')}@example.com` }),
    );
    assert.ok(error instanceof SqlRepositoryError, 'a duplicate id is a bug, not "email taken"');
    assert.equal(error.code, 'ERR_GATEHOUSE_SQL_STATEMENT');
    assert.ok(!error.message.includes(input.id), 'the message never echoes the id');
  });

  it('users.findByEmail - should find the user case-insensitively and null for an unknown email', async () => {
    const { repositories } = await fixture();
    const input = newUser({ email: `${unique('bob')}@example.com` });
    await repositories.users.create(input);
    assert.equal((await repositories.users.findByEmail(input.email))?.id, input.id);
    assert.equal((await repositories.users.findByEmail(input.email.toUpperCase()))?.id, input.id);
    assert.equal(await repositories.users.findByEmail('nobody@example.com'), null);
    assert.equal(await repositories.users.findById('no-such-user'), null);
  });

  it('users.findByEmail - should answer from the lower(email) unique index', async () => {
    const { database } = await fixture();
    // Capture the statement the repository builds, then ask the planner about it.
    const captured: RootOperationNode[] = [];
    const capture: KyselyPlugin = {
      transformQuery: (args) => {
        captured.push(args.node);
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const spied = createSqlRepositories({ ...database, db: database.db.withPlugin(capture) });
    await spied.users.findByEmail('carol@example.com');
    const node = captured.at(-1);
    assert.ok(node, 'the lookup ran a statement');
    const compiled = database.db.getExecutor().compileQuery(node, { queryId: 'explain' });
    const plan = await database.db.connection().execute(async (connection) => {
      if (target.dialect === 'sqlite') {
        const result = await connection.executeQuery(
          CompiledQuery.raw(`explain query plan ${compiled.sql}`, [...compiled.parameters]),
        );
        return JSON.stringify(result.rows);
      }
      // A small table may be scanned anyway; make the planner show it can use the index.
      await sql`set enable_seqscan = off`.execute(connection);
      try {
        const result = await connection.executeQuery(
          CompiledQuery.raw(`explain ${compiled.sql}`, [...compiled.parameters]),
        );
        return JSON.stringify(result.rows);
      } finally {
        await sql`reset enable_seqscan`.execute(connection);
      }
    });
    assert.match(plan, /users_email_lower_uq/);
  });

  it('users.update - should change only the given fields and bump updatedAt', async () => {
    const { repositories } = await fixture();
    const input = newUser({ name: 'Before', roles: ['member'] });
    const created = await repositories.users.create(input);
    assert.ok(created);
    const newEmail = `${unique('renamed')}@example.com`;
    const updated = await repositories.users.update(
      input.id,
      { email: newEmail, name: null, isActive: false, roles: ['admin'], emailVerifiedAt: T0 + 1 },
      T0 + 10,
    );
    assert.deepEqual(updated, {
      ...created,
      email: newEmail,
      name: null,
      isActive: false,
      roles: ['admin'],
      emailVerifiedAt: T0 + 1,
      updatedAt: T0 + 10,
    });
    assert.deepEqual(await repositories.users.findById(input.id), updated);
    assert.equal(
      await repositories.users.findByEmail(input.email),
      null,
      'the old address no longer finds it',
    );

    const restamped = await repositories.users.update(
      input.id,
      { securityStamp: 'new-stamp', passwordHash: null },
      T0 + 20,
    );
    assert.equal(restamped?.securityStamp, 'new-stamp');
    assert.equal(restamped?.passwordHash, null);
    assert.equal(restamped?.email, newEmail, 'absent fields are left as they are');
    assert.deepEqual(restamped?.roles, ['admin']);
  });

  it('users.update - should return null for an unknown user', async () => {
    const { repositories } = await fixture();
    assert.equal(await repositories.users.update('no-such-user', { name: 'x' }, T0), null);
  });

  it('users.update - should throw EmailTakenError for another account’s email in any case, changing nothing', async () => {
    const { repositories } = await fixture();
    const owner = newUser();
    const other = newUser({ name: 'unchanged' });
    await repositories.users.create(owner);
    const before = await repositories.users.create(other);
    await assert.rejects(
      repositories.users.update(other.id, { email: owner.email.toUpperCase(), name: 'changed' }, T0 + 5),
      EmailTakenError,
    );
    assert.deepEqual(await repositories.users.findById(other.id), before);
    // Keeping one's own address is no clash.
    assert.equal(
      (await repositories.users.update(other.id, { email: other.email }, T0 + 6))?.email,
      other.email,
    );
  });

  it('users.replacePasswordHash - should replace the hash only while it is the expected one', async () => {
    const { repositories } = await fixture();
    const input = newUser({ passwordHash: 'hash-v1' });
    await repositories.users.create(input);
    assert.equal(await repositories.users.replacePasswordHash(input.id, 'hash-v1', 'hash-v2', T0 + 1), true);
    const afterRehash = await repositories.users.findById(input.id);
    assert.equal(afterRehash?.passwordHash, 'hash-v2');
    assert.equal(afterRehash?.updatedAt, T0 + 1);

    // A rehash computed from the old hash must not undo a password change made meanwhile.
    assert.equal(
      await repositories.users.replacePasswordHash(input.id, 'hash-v1', 'stale-rehash', T0 + 2),
      false,
    );
    assert.equal((await repositories.users.findById(input.id))?.passwordHash, 'hash-v2');
    assert.equal(await repositories.users.replacePasswordHash('no-such-user', 'hash-v2', 'x', T0), false);

    const passwordless = newUser({ passwordHash: null });
    await repositories.users.create(passwordless);
    assert.equal(await repositories.users.replacePasswordHash(passwordless.id, 'hash-v1', 'x', T0), false);
    assert.equal((await repositories.users.findById(passwordless.id))?.passwordHash, null);
  });

  /** The stored TOTP high-water mark, read straight from the row. */
  async function totpLastStep(database: Database, userId: string): Promise<number | null> {
    const row = await database.db
      .selectFrom('users')
      .select('totp_last_step')
      .where('id', '=', userId)
      .executeTakeFirstOrThrow();
    return row.totp_last_step === null ? null : Number(row.totp_last_step);
  }

  it('users.advanceTotpStep - should accept only a step later than the mark, for the current seed', async () => {
    const { database, repositories } = await fixture();
    const input = newUser();
    await repositories.users.create(input);
    const stamp = { securityStamp: 's2', now: T0 + 1 };
    // Enrollment: the confirming step starts the mark.
    assert.equal(
      await repositories.users.replaceTotpSecret(input.id, null, 'seed-a', { ...stamp, lastTotpStep: 100 }),
      true,
    );
    assert.equal(await totpLastStep(database, input.id), 100);
    assert.equal(
      await repositories.users.advanceTotpStep(input.id, 'seed-a', 100),
      false,
      'the confirming step again',
    );
    assert.equal(await repositories.users.advanceTotpStep(input.id, 'seed-a', 99), false, 'an older step');
    assert.equal(await repositories.users.advanceTotpStep(input.id, 'seed-a', 102), true);
    assert.equal(
      await repositories.users.advanceTotpStep(input.id, 'seed-a', 101),
      false,
      'unused, but older than a used one',
    );
    assert.equal(await repositories.users.advanceTotpStep(input.id, 'seed-a', 102), false, 'a replay');
    assert.equal(
      await repositories.users.advanceTotpStep(input.id, 'seed-other', 103),
      false,
      'another seed',
    );
    assert.equal(await repositories.users.advanceTotpStep('no-such-user', 'seed-a', 103), false);
    assert.equal(await totpLastStep(database, input.id), 102);

    // 2FA off (either way) forgets the mark with the seed; a new enrollment starts its own.
    assert.equal(await repositories.users.replaceTotpSecret(input.id, 'seed-a', null, stamp), true);
    assert.equal(await totpLastStep(database, input.id), null);
    assert.equal(
      await repositories.users.advanceTotpStep(input.id, 'seed-a', 103),
      false,
      'no seed, no code',
    );
    await repositories.users.replaceTotpSecret(input.id, null, 'seed-b', { ...stamp, lastTotpStep: 50 });
    assert.equal(await repositories.users.advanceTotpStep(input.id, 'seed-b', 51), true);
    await repositories.users.update(input.id, { totpSecret: null }, T0 + 2);
    assert.equal(await totpLastStep(database, input.id), null);
  });

  it('users.advanceTotpStep - of 20 concurrent uses of one step exactly one should win; racing steps leave the latest', async () => {
    const { database, repositories } = await fixture();
    const input = newUser();
    await repositories.users.create(input);
    await repositories.users.replaceTotpSecret(input.id, null, 'seed', {
      securityStamp: 's',
      now: T0,
      lastTotpStep: 10,
    });
    const same = await Promise.all(
      Array.from({ length: 20 }, () => repositories.users.advanceTotpStep(input.id, 'seed', 11)),
    );
    assert.equal(same.filter(Boolean).length, 1);
    const steps = Array.from({ length: 10 }, (_, i) => 20 + i);
    await Promise.all(steps.map((step) => repositories.users.advanceTotpStep(input.id, 'seed', step)));
    assert.equal(await totpLastStep(database, input.id), 29);
    assert.equal(await repositories.users.advanceTotpStep(input.id, 'seed', 29), false);
  });

  it('users.delete - should delete the user with their sessions and consumed digests', async () => {
    const { database, repositories } = await fixture();
    const doomed = newUser();
    const kept = newUser();
    await repositories.users.create(doomed);
    await repositories.users.create(kept);
    const doomedSession = newSession(doomed.id);
    const keptSession = newSession(kept.id);
    await repositories.sessions.create(doomedSession);
    await repositories.sessions.create(keptSession);
    await repositories.sessions.rotate(doomedSession.id, doomedSession.tokenDigest, unique('next'), {
      now: T0 + 1,
      idleExpiresAt: T0 + 31 * MINUTE,
    });

    assert.equal(await repositories.users.delete(doomed.id), true);
    assert.equal(await repositories.users.findById(doomed.id), null);
    assert.equal(await repositories.sessions.findById(doomedSession.id), null);
    const orphans = await database.db
      .selectFrom('session_consumed_digests')
      .select('digest')
      .where('session_id', '=', doomedSession.id)
      .execute();
    assert.deepEqual(orphans, []);
    assert.equal(await repositories.users.delete(doomed.id), false, 'nothing left to delete');
    assert.equal((await repositories.sessions.findById(keptSession.id))?.id, keptSession.id);
    assert.equal((await repositories.users.findById(kept.id))?.id, kept.id);
  });

  it('users.count - should count every user', async () => {
    const { repositories } = await migrated(target);
    assert.equal(await repositories.users.count(), 0);
    await repositories.users.create(newUser());
    await repositories.users.create(newUser());
    assert.equal(await repositories.users.count(), 2);
  });

  it('users - should fail loudly on a stored role list that is not JSON, never read it as no roles', async () => {
    const { database, repositories } = await fixture();
    const input = newUser();
    await repositories.users.create(input);
    await database.db.updateTable('users').set({ roles: '{not json' }).where('id', '=', input.id).execute();
    const error = await rejection(repositories.users.findById(input.id));
    assert.ok(error instanceof SqlRepositoryError);
    assert.equal(error.code, 'ERR_GATEHOUSE_SQL_ROW');
  });

  // ---------------------------------------------------------------------------------------
  // sessions
  // ---------------------------------------------------------------------------------------

  async function userWithSession(
    repositories: Repositories,
    overrides: Partial<NewSession> = {},
  ): Promise<{ userId: string; session: NewSession }> {
    const user = newUser();
    await repositories.users.create(user);
    const session = newSession(user.id, overrides);
    await repositories.sessions.create(session);
    return { userId: user.id, session };
  }

  it('sessions.create - should store the session with the token digest as its current digest', async () => {
    const { database, repositories } = await fixture();
    const user = newUser();
    await repositories.users.create(user);
    const input = newSession(user.id, { kind: 'cookie', authMethods: ['pwd', 'otp'] });
    const created = await repositories.sessions.create(input);
    const expected: Session = {
      id: input.id,
      userId: user.id,
      kind: 'cookie',
      createdAt: T0,
      lastUsedAt: T0,
      idleExpiresAt: input.idleExpiresAt,
      absoluteExpiresAt: input.absoluteExpiresAt,
      revokedAt: null,
      revokedReason: null,
      ipHash: 'ip-digest',
      userAgent: 'test-agent/1.0',
      authMethods: ['pwd', 'otp'],
      secondFactorAt: null,
    };
    assert.deepEqual(created, expected);
    assert.deepEqual(await repositories.sessions.findById(input.id), expected);
    assert.equal(await currentDigest(database, input.id), input.tokenDigest);
    assert.equal(await repositories.sessions.findById('no-such-session'), null);
  });

  it('sessions.create - should never store an idle expiry past the absolute one', async () => {
    const { repositories } = await fixture();
    const { session } = await userWithSession(repositories, {
      idleExpiresAt: T0 + 10 * DAY,
      absoluteExpiresAt: T0 + DAY,
    });
    assert.equal((await repositories.sessions.findById(session.id))?.idleExpiresAt, T0 + DAY);
  });

  it('sessions.rotate - should swap the digest, slide the idle expiry and mark the old digest used', async () => {
    const { database, repositories } = await fixture();
    const { session } = await userWithSession(repositories);
    const next = unique('next');
    const result = await repositories.sessions.rotate(session.id, session.tokenDigest, next, {
      now: T0 + 5 * MINUTE,
      idleExpiresAt: T0 + 35 * MINUTE,
    });
    assert.equal(result.outcome, 'rotated');
    assert.ok(result.outcome === 'rotated');
    assert.equal(result.session.id, session.id);
    assert.equal(result.session.lastUsedAt, T0 + 5 * MINUTE);
    assert.equal(result.session.idleExpiresAt, T0 + 35 * MINUTE);
    assert.equal(result.session.createdAt, T0);
    assert.equal(await currentDigest(database, session.id), next);
    assert.deepEqual(await repositories.sessions.findById(session.id), result.session);

    // The new digest rotates in turn; the old one is now a replay.
    const third = unique('third');
    const again = await repositories.sessions.rotate(session.id, next, third, {
      now: T0 + 6 * MINUTE,
      idleExpiresAt: T0 + 36 * MINUTE,
    });
    assert.equal(again.outcome, 'rotated');
    const replay = await repositories.sessions.rotate(session.id, session.tokenDigest, unique('x'), {
      now: T0 + 7 * MINUTE,
      idleExpiresAt: T0 + 37 * MINUTE,
    });
    assert.equal(replay.outcome, 'reused');
    assert.ok(replay.outcome === 'reused');
    assert.equal(replay.session.id, session.id);
    assert.equal(await currentDigest(database, session.id), third, 'a replay changes nothing');
  });

  it('sessions.rotate - should slide the idle expiry no further than the absolute expiry', async () => {
    const { repositories } = await fixture();
    const { session } = await userWithSession(repositories, {
      idleExpiresAt: T0 + 30 * MINUTE,
      absoluteExpiresAt: T0 + 40 * MINUTE,
    });
    const result = await repositories.sessions.rotate(session.id, session.tokenDigest, unique('next'), {
      now: T0 + 20 * MINUTE,
      idleExpiresAt: T0 + 50 * MINUTE,
    });
    assert.ok(result.outcome === 'rotated');
    assert.equal(result.session.idleExpiresAt, T0 + 40 * MINUTE);
    assert.equal(result.session.absoluteExpiresAt, T0 + 40 * MINUTE);
  });

  it('sessions.rotate - should answer invalid for an unknown digest or session, changing nothing', async () => {
    const { database, repositories } = await fixture();
    const { session } = await userWithSession(repositories);
    const options = { now: T0 + MINUTE, idleExpiresAt: T0 + 31 * MINUTE };
    assert.deepEqual(await repositories.sessions.rotate(session.id, 'never-issued', unique('n'), options), {
      outcome: 'invalid',
    });
    assert.deepEqual(
      await repositories.sessions.rotate('no-such-session', session.tokenDigest, unique('n'), options),
      {
        outcome: 'invalid',
      },
    );
    assert.equal(await currentDigest(database, session.id), session.tokenDigest);
    assert.equal((await repositories.sessions.findById(session.id))?.lastUsedAt, T0);
  });

  it('sessions.rotate - should not let one session’s digests, current or consumed, act on another', async () => {
    const { database, repositories } = await fixture();
    const a = await userWithSession(repositories);
    const b = await userWithSession(repositories);
    const options = { now: T0 + MINUTE, idleExpiresAt: T0 + 31 * MINUTE };
    // b's current digest presented for a.
    assert.equal(
      (await repositories.sessions.rotate(a.session.id, b.session.tokenDigest, unique('n'), options)).outcome,
      'invalid',
    );
    // b's consumed digest presented for a: not a replay of a's tokens.
    await repositories.sessions.rotate(b.session.id, b.session.tokenDigest, unique('n'), options);
    assert.equal(
      (await repositories.sessions.rotate(a.session.id, b.session.tokenDigest, unique('n'), options)).outcome,
      'invalid',
    );
    assert.equal(await currentDigest(database, a.session.id), a.session.tokenDigest);
  });

  it('sessions.rotate - should answer invalid once the idle expiry has passed', async () => {
    const { database, repositories } = await fixture();
    const { session } = await userWithSession(repositories, { idleExpiresAt: T0 + 30 * MINUTE });
    const result = await repositories.sessions.rotate(session.id, session.tokenDigest, unique('n'), {
      now: T0 + 30 * MINUTE,
      idleExpiresAt: T0 + 60 * MINUTE,
    });
    assert.deepEqual(result, { outcome: 'invalid' });
    assert.equal(await currentDigest(database, session.id), session.tokenDigest);
    // A moment earlier it was still live.
    const live = await repositories.sessions.rotate(session.id, session.tokenDigest, unique('n'), {
      now: T0 + 30 * MINUTE - 1,
      idleExpiresAt: T0 + 60 * MINUTE,
    });
    assert.equal(live.outcome, 'rotated');
  });

  it('sessions.rotate - should answer invalid once the absolute expiry has passed, however recent the use', async () => {
    const { repositories } = await fixture();
    const { session } = await userWithSession(repositories, {
      idleExpiresAt: T0 + 30 * MINUTE,
      absoluteExpiresAt: T0 + 30 * MINUTE,
    });
    const result = await repositories.sessions.rotate(session.id, session.tokenDigest, unique('n'), {
      now: T0 + 30 * MINUTE + 1,
      idleExpiresAt: T0 + 60 * MINUTE,
    });
    assert.deepEqual(result, { outcome: 'invalid' });
  });

  it('sessions.rotate - should answer invalid for the current digest of a revoked session', async () => {
    const { repositories } = await fixture();
    const { userId, session } = await userWithSession(repositories);
    await repositories.sessions.revoke(userId, session.id, 'logout', T0 + MINUTE);
    const result = await repositories.sessions.rotate(session.id, session.tokenDigest, unique('n'), {
      now: T0 + 2 * MINUTE,
      idleExpiresAt: T0 + 32 * MINUTE,
    });
    assert.deepEqual(result, { outcome: 'invalid' });
  });

  it('sessions.rotate - should still report a replayed digest as reused after the session was revoked or expired', async () => {
    const { repositories } = await fixture();
    const { userId, session } = await userWithSession(repositories, { idleExpiresAt: T0 + 30 * MINUTE });
    await repositories.sessions.rotate(session.id, session.tokenDigest, unique('n'), {
      now: T0 + MINUTE,
      idleExpiresAt: T0 + 10 * MINUTE,
    });
    // Expired (idle) but not revoked.
    const expired = await repositories.sessions.rotate(session.id, session.tokenDigest, unique('n'), {
      now: T0 + 20 * MINUTE,
      idleExpiresAt: T0 + 50 * MINUTE,
    });
    assert.equal(expired.outcome, 'reused');
    await repositories.sessions.revoke(userId, session.id, 'reuse_detected', T0 + 21 * MINUTE);
    const revoked = await repositories.sessions.rotate(session.id, session.tokenDigest, unique('n'), {
      now: T0 + 22 * MINUTE,
      idleExpiresAt: T0 + 52 * MINUTE,
    });
    assert.ok(revoked.outcome === 'reused');
    assert.equal(revoked.session.revokedReason, 'reuse_detected');
  });

  it('sessions.rotate - should refuse a next digest equal to the presented one', async () => {
    const { database, repositories } = await fixture();
    const { session } = await userWithSession(repositories);
    await assert.rejects(
      repositories.sessions.rotate(session.id, session.tokenDigest, session.tokenDigest, {
        now: T0 + MINUTE,
        idleExpiresAt: T0 + 31 * MINUTE,
      }),
      (error: unknown) =>
        error instanceof TypeError && (error as { code?: string }).code === 'ERR_INVALID_ARG_VALUE',
    );
    assert.equal(await currentDigest(database, session.id), session.tokenDigest);
  });

  it('sessions.listActive - should list only the user’s live sessions, newest first', async () => {
    const { repositories } = await fixture();
    const user = newUser();
    const stranger = newUser();
    await repositories.users.create(user);
    await repositories.users.create(stranger);
    const now = T0 + 10 * MINUTE;
    const older = newSession(user.id, { now: T0 + 1 });
    const newer = newSession(user.id, { now: T0 + 2 });
    const revoked = newSession(user.id, { now: T0 + 3 });
    const idleExpired = newSession(user.id, { now: T0 + 4, idleExpiresAt: now });
    const absoluteExpired = newSession(user.id, {
      now: T0 + 5,
      absoluteExpiresAt: now - 1,
      idleExpiresAt: now - 1,
    });
    const strangers = newSession(stranger.id, { now: T0 + 6 });
    for (const session of [older, newer, revoked, idleExpired, absoluteExpired, strangers]) {
      await repositories.sessions.create(session);
    }
    await repositories.sessions.revoke(user.id, revoked.id, 'logout', T0 + 7);

    const active = await repositories.sessions.listActive(user.id, now);
    assert.deepEqual(
      active.map((session) => session.id),
      [newer.id, older.id],
    );
    assert.equal(active[0]?.userId, user.id);
    assert.deepEqual(await repositories.sessions.listActive('no-such-user', now), []);
  });

  it('sessions.revoke - should mark the user’s own session revoked with time and reason', async () => {
    const { database, repositories } = await fixture();
    const { userId, session } = await userWithSession(repositories);
    const revoked = await repositories.sessions.revoke(userId, session.id, 'logout', T0 + MINUTE);
    assert.equal(revoked?.id, session.id);
    assert.equal(revoked?.revokedAt, T0 + MINUTE);
    assert.equal(revoked?.revokedReason, 'logout');
    assert.equal(await currentDigest(database, session.id), null, 'no credential left to match');
    assert.deepEqual(await repositories.sessions.findById(session.id), revoked);

    // Revoking again answers the session as it is, with the first revocation kept.
    const again = await repositories.sessions.revoke(userId, session.id, 'admin', T0 + 2 * MINUTE);
    assert.deepEqual(again, revoked);
  });

  it('sessions.revoke - should answer null for another user’s session and leave it live', async () => {
    const { database, repositories } = await fixture();
    const victim = await userWithSession(repositories);
    const attacker = await userWithSession(repositories);
    assert.equal(
      await repositories.sessions.revoke(attacker.userId, victim.session.id, 'logout', T0 + 1),
      null,
    );
    const untouched = await repositories.sessions.findById(victim.session.id);
    assert.equal(untouched?.revokedAt, null);
    assert.equal(await currentDigest(database, victim.session.id), victim.session.tokenDigest);
    assert.equal(
      await repositories.sessions.revoke(attacker.userId, 'no-such-session', 'logout', T0 + 1),
      null,
    );
  });

  it('sessions.revokeAllForUser - should revoke every other session of the user and return their ids', async () => {
    const { repositories } = await fixture();
    const user = newUser();
    await repositories.users.create(user);
    const current = newSession(user.id);
    const second = newSession(user.id);
    const third = newSession(user.id);
    const alreadyRevoked = newSession(user.id);
    const other = await userWithSession(repositories);
    for (const session of [current, second, third, alreadyRevoked])
      await repositories.sessions.create(session);
    await repositories.sessions.revoke(user.id, alreadyRevoked.id, 'logout', T0 + 1);

    const ids = await repositories.sessions.revokeAllForUser(user.id, 'password_changed', T0 + 2, {
      exceptId: current.id,
    });
    assert.deepEqual([...ids].sort(), [second.id, third.id].sort());
    assert.equal((await repositories.sessions.findById(second.id))?.revokedReason, 'password_changed');
    assert.equal((await repositories.sessions.findById(alreadyRevoked.id))?.revokedReason, 'logout');
    assert.equal((await repositories.sessions.findById(current.id))?.revokedAt, null);
    assert.equal((await repositories.sessions.findById(other.session.id))?.revokedAt, null);
    assert.deepEqual(
      (await repositories.sessions.listActive(user.id, T0 + 3)).map((session) => session.id),
      [current.id],
    );

    // Without an exception the current one goes too; a second call finds nothing left.
    assert.deepEqual(await repositories.sessions.revokeAllForUser(user.id, 'admin', T0 + 4), [current.id]);
    assert.deepEqual(await repositories.sessions.revokeAllForUser(user.id, 'admin', T0 + 5), []);
  });

  it('sessions.listRevokedSince - should list sessions revoked after the time, deleted ones included, and forget older tombstones', async () => {
    const { repositories } = await migrated(target);
    const user = newUser();
    await repositories.users.create(user);
    const [old, recent, live] = [newSession(user.id), newSession(user.id), newSession(user.id)];
    for (const session of [old, recent, live]) await repositories.sessions.create(session);
    await repositories.sessions.revoke(user.id, old.id, 'logout', T0 + MINUTE);
    await repositories.sessions.revoke(user.id, recent.id, 'logout', T0 + 20 * MINUTE);
    assert.deepEqual(await repositories.sessions.listRevokedSince(T0 + 10 * MINUTE), [
      { id: recent.id, userId: user.id, revocationGroup: null, revokedAt: T0 + 20 * MINUTE },
    ]);

    // A deleted user's revoked sessions leave tombstones (keeping its revocation group, not the
    // user), so their tokens stay revocable.
    const gone = newUser();
    await repositories.users.create(gone);
    const [goneOld, goneRecent] = [newSession(gone.id), newSession(gone.id)];
    for (const session of [goneOld, goneRecent]) await repositories.sessions.create(session);
    await repositories.sessions.revoke(gone.id, goneOld.id, 'logout', T0 + 2 * MINUTE);
    await repositories.sessions.revoke(gone.id, goneRecent.id, 'user_deleted', T0 + 30 * MINUTE);
    assert.equal(await repositories.users.delete(gone.id), true);
    assert.equal(await repositories.sessions.findById(goneRecent.id), null);
    const byTime = <T extends { readonly revokedAt: number }>(list: readonly T[]) =>
      [...list].sort((x, y) => x.revokedAt - y.revokedAt);
    assert.deepEqual(byTime(await repositories.sessions.listRevokedSince(T0)), [
      { id: old.id, userId: user.id, revocationGroup: null, revokedAt: T0 + MINUTE },
      {
        id: goneOld.id,
        userId: null,
        revocationGroup: revocationGroupOf(gone.id),
        revokedAt: T0 + 2 * MINUTE,
      },
      { id: recent.id, userId: user.id, revocationGroup: null, revokedAt: T0 + 20 * MINUTE },
      {
        id: goneRecent.id,
        userId: null,
        revocationGroup: revocationGroupOf(gone.id),
        revokedAt: T0 + 30 * MINUTE,
      },
    ]);
    // That call forgot nothing (every tombstone was newer); this one forgets the older one.
    assert.deepEqual(byTime(await repositories.sessions.listRevokedSince(T0 + 10 * MINUTE)), [
      { id: recent.id, userId: user.id, revocationGroup: null, revokedAt: T0 + 20 * MINUTE },
      {
        id: goneRecent.id,
        userId: null,
        revocationGroup: revocationGroupOf(gone.id),
        revokedAt: T0 + 30 * MINUTE,
      },
    ]);
    assert.deepEqual(byTime(await repositories.sessions.listRevokedSince(T0)), [
      { id: old.id, userId: user.id, revocationGroup: null, revokedAt: T0 + MINUTE },
      { id: recent.id, userId: user.id, revocationGroup: null, revokedAt: T0 + 20 * MINUTE },
      {
        id: goneRecent.id,
        userId: null,
        revocationGroup: revocationGroupOf(gone.id),
        revokedAt: T0 + 30 * MINUTE,
      },
    ]);
  });

  it('sessions.touch - should update lastUsedAt and never move it backwards', async () => {
    const { repositories } = await fixture();
    const { session } = await userWithSession(repositories);
    await repositories.sessions.touch(session.id, T0 + 5 * MINUTE);
    assert.equal((await repositories.sessions.findById(session.id))?.lastUsedAt, T0 + 5 * MINUTE);
    await repositories.sessions.touch(session.id, T0 + 2 * MINUTE);
    assert.equal((await repositories.sessions.findById(session.id))?.lastUsedAt, T0 + 5 * MINUTE);
    await repositories.sessions.touch('no-such-session', T0);
  });

  // ---------------------------------------------------------------------------------------
  // audit
  // ---------------------------------------------------------------------------------------

  it('audit.record - should store the event with its data and read it back', async () => {
    const { repositories } = await fixture();
    const event = newEvent({
      type: unique('user.registered'),
      userId: 'u-1',
      sessionId: 's-1',
      requestId: 'r-1',
      ipHash: 'ip',
      userAgent: 'agent',
      data: { method: 'pwd', attempts: 2, nested: { ok: true }, list: [1, 'two'] },
    });
    await repositories.audit.record(event);
    assert.deepEqual(await repositories.audit.list({ type: event.type, limit: 10 }), [event]);
  });

  it('audit.list - should list newest first, filtered by user and type, within the limit', async () => {
    const { repositories } = await migrated(target);
    const events = [
      newEvent({ type: 'user.login.succeeded', userId: 'alice', createdAt: T0 + 1 }),
      newEvent({ type: 'user.login.failed', userId: 'alice', createdAt: T0 + 2 }),
      newEvent({ type: 'user.login.succeeded', userId: 'bob', createdAt: T0 + 3 }),
      newEvent({ type: 'user.login.failed', userId: null, data: { identifier: 'hmac' }, createdAt: T0 + 4 }),
      newEvent({ type: 'user.login.succeeded', userId: 'alice', createdAt: T0 + 5 }),
    ];
    // Recorded out of order: the order comes from the times, not from insertion.
    for (const index of [3, 0, 4, 2, 1]) await repositories.audit.record(events[index] as AuditEvent);
    const ids = (list: AuditEvent[]) => list.map((event) => event.id);
    const [e0, e1, e2, e3, e4] = events as [AuditEvent, AuditEvent, AuditEvent, AuditEvent, AuditEvent];

    assert.deepEqual(ids(await repositories.audit.list({ limit: 100 })), [e4.id, e3.id, e2.id, e1.id, e0.id]);
    assert.deepEqual(ids(await repositories.audit.list({ userId: 'alice', limit: 100 })), [
      e4.id,
      e1.id,
      e0.id,
    ]);
    assert.deepEqual(ids(await repositories.audit.list({ type: 'user.login.failed', limit: 100 })), [
      e3.id,
      e1.id,
    ]);
    assert.deepEqual(
      ids(await repositories.audit.list({ userId: 'alice', type: 'user.login.succeeded', limit: 100 })),
      [e4.id, e0.id],
    );
    assert.deepEqual(ids(await repositories.audit.list({ limit: 2 })), [e4.id, e3.id]);
    assert.deepEqual(await repositories.audit.list({ userId: 'nobody', limit: 10 }), []);
  });

  it('audit.list - should refuse a limit outside 1 to 1000', async () => {
    const { repositories } = await fixture();
    for (const limit of [0, -1, 1.5, 1001, Number.NaN]) {
      await assert.rejects(repositories.audit.list({ limit }), TypeError, `limit ${limit}`);
    }
    assert.ok(Array.isArray(await repositories.audit.list({ limit: 1000 })));
  });

  // ---------------------------------------------------------------------------------------
  // failures
  // ---------------------------------------------------------------------------------------

  it('repositories - should reject with StoreError unavailable once the database is closed', async () => {
    const database = await target.open();
    await migrateUp(database);
    const repositories = createSqlRepositories(database);
    await database.close();
    const secretEmail = 'secret-person@example.com';
    const calls: Promise<unknown>[] = [
      repositories.users.findByEmail(secretEmail),
      repositories.users.create(newUser({ email: secretEmail })),
      repositories.sessions.rotate('s', 'presented-digest', 'next-digest', {
        now: T0,
        idleExpiresAt: T0 + 1,
      }),
      repositories.sessions.listActive('u', T0),
      repositories.audit.record(newEvent()),
    ];
    for (const call of calls) {
      const error = await rejection(call);
      assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
      assert.equal(error.kind, 'unavailable');
      for (const value of [secretEmail, 'presented-digest', 'next-digest', 'select', 'insert', 'update']) {
        assert.ok(!error.message.toLowerCase().includes(value), 'the message holds neither SQL nor values');
      }
    }
  });

  it('repositories - should report a refused statement without echoing the values in it', async () => {
    const { repositories } = await fixture();
    const orphan = newSession('user-that-does-not-exist', { tokenDigest: 'orphan-digest-value' });
    const error = await rejection(repositories.sessions.create(orphan));
    assert.ok(error instanceof SqlRepositoryError, `expected a SqlRepositoryError, got ${String(error)}`);
    assert.equal(error.cause, undefined, 'the driver error (which may quote values) is not carried');
    for (const value of ['user-that-does-not-exist', 'orphan-digest-value', orphan.id, 'insert']) {
      assert.ok(!error.message.toLowerCase().includes(value), 'the message never echoes a value or SQL');
    }
  });

  if (target.dialect === 'postgres') {
    it('repositories - should reject with StoreError unavailable when PostgreSQL cannot be reached', async () => {
      const port = await findFreePort();
      const database = await openDatabase({
        url: `postgres://postgres@127.0.0.1:${port}/nowhere`,
        connectTimeoutMs: 1000,
      });
      try {
        const repositories = createSqlRepositories(database);
        const error = await rejection(repositories.users.findByEmail('secret-person@example.com'));
        assert.ok(error instanceof StoreError, `expected a StoreError, got ${String(error)}`);
        assert.equal(error.kind, 'unavailable');
        assert.ok(!error.message.includes('secret-person'));
      } finally {
        await database.close();
      }
    });
  }

  // ---------------------------------------------------------------------------------------
  // session credentials: opaque access digests, sliding expiry
  // ---------------------------------------------------------------------------------------

  it('sessions.findCredentials - should return the session with its refresh and access digests', async () => {
    const { repositories } = await fixture();
    const accessDigest = unique('access-digest');
    const { session } = await userWithSession(repositories, {
      accessDigest,
      accessExpiresAt: T0 + 15 * MINUTE,
    });
    const found = await repositories.sessions.findCredentials(session.id);
    assert.deepEqual(found, {
      session: await repositories.sessions.findById(session.id),
      tokenDigest: session.tokenDigest,
      accessDigest,
      accessExpiresAt: T0 + 15 * MINUTE,
    });
    assert.equal(typeof found?.accessExpiresAt, 'number', 'a bigint column is read back as a number');
  });

  it('sessions.findCredentials - should answer null digests for a session without an access token, and null for an unknown id', async () => {
    const { repositories } = await fixture();
    const { session } = await userWithSession(repositories, { kind: 'cookie' });
    const found = await repositories.sessions.findCredentials(session.id);
    assert.equal(found?.session.kind, 'cookie');
    assert.equal(found?.tokenDigest, session.tokenDigest);
    assert.equal(found?.accessDigest, null);
    assert.equal(found?.accessExpiresAt, null);
    assert.equal(await repositories.sessions.findCredentials('no-such-session'), null);
  });

  it('sessions.findCredentials - should answer an expired session as it is (the caller judges it)', async () => {
    const { repositories } = await fixture();
    const { session } = await userWithSession(repositories, {
      idleExpiresAt: T0 + MINUTE,
      absoluteExpiresAt: T0 + 2 * MINUTE,
    });
    const found = await repositories.sessions.findCredentials(session.id);
    assert.equal(found?.session.id, session.id);
    assert.equal(found?.session.idleExpiresAt, T0 + MINUTE);
    assert.equal(found?.tokenDigest, session.tokenDigest);
  });

  it('sessions.rotate - should replace the access digest and its expiry together with the refresh digest', async () => {
    const { repositories } = await fixture();
    const { session } = await userWithSession(repositories, {
      accessDigest: unique('first-access'),
      accessExpiresAt: T0 + 15 * MINUTE,
    });
    const nextAccess = unique('next-access');
    const next = unique('next');
    const result = await repositories.sessions.rotate(session.id, session.tokenDigest, next, {
      now: T0 + 5 * MINUTE,
      idleExpiresAt: T0 + 35 * MINUTE,
      accessDigest: nextAccess,
      accessExpiresAt: T0 + 20 * MINUTE,
    });
    assert.equal(result.outcome, 'rotated');
    const found = await repositories.sessions.findCredentials(session.id);
    assert.equal(found?.tokenDigest, next);
    assert.equal(found?.accessDigest, nextAccess);
    assert.equal(found?.accessExpiresAt, T0 + 20 * MINUTE);

    // A replay changes neither digest.
    const replay = await repositories.sessions.rotate(session.id, session.tokenDigest, unique('x'), {
      now: T0 + 6 * MINUTE,
      idleExpiresAt: T0 + 36 * MINUTE,
      accessDigest: unique('replayed-access'),
      accessExpiresAt: T0 + 21 * MINUTE,
    });
    assert.equal(replay.outcome, 'reused');
    assert.equal((await repositories.sessions.findCredentials(session.id))?.accessDigest, nextAccess);
  });

  it('sessions.slide - should mark the session used and move its idle expiry forward', async () => {
    const { repositories } = await fixture();
    const { session } = await userWithSession(repositories);
    assert.equal(
      await repositories.sessions.slide(session.id, {
        now: T0 + 10 * MINUTE,
        idleExpiresAt: T0 + 40 * MINUTE,
      }),
      true,
    );
    const slid = await repositories.sessions.findById(session.id);
    assert.equal(slid?.lastUsedAt, T0 + 10 * MINUTE);
    assert.equal(slid?.idleExpiresAt, T0 + 40 * MINUTE);
    assert.equal(slid?.absoluteExpiresAt, session.absoluteExpiresAt, 'the absolute expiry never moves');
    assert.equal(slid?.revokedAt, null);
  });

  it('sessions.slide - should never move the idle expiry past the absolute expiry', async () => {
    const { repositories } = await fixture();
    const { session } = await userWithSession(repositories, { absoluteExpiresAt: T0 + 45 * MINUTE });
    assert.equal(
      await repositories.sessions.slide(session.id, {
        now: T0 + 20 * MINUTE,
        idleExpiresAt: T0 + 50 * MINUTE,
      }),
      true,
    );
    const slid = await repositories.sessions.findById(session.id);
    assert.equal(slid?.idleExpiresAt, T0 + 45 * MINUTE);
    assert.equal(slid?.absoluteExpiresAt, T0 + 45 * MINUTE);
  });

  it('sessions.slide - should never move the session backwards when an older request lands last', async () => {
    const { repositories } = await fixture();
    const { session } = await userWithSession(repositories);
    // Two requests of one session race; the later one's write happens to land first.
    assert.equal(
      await repositories.sessions.slide(session.id, {
        now: T0 + 12 * MINUTE,
        idleExpiresAt: T0 + 42 * MINUTE,
      }),
      true,
    );
    assert.equal(
      await repositories.sessions.slide(session.id, {
        now: T0 + 11 * MINUTE,
        idleExpiresAt: T0 + 41 * MINUTE,
      }),
      false,
    );
    const slid = await repositories.sessions.findById(session.id);
    assert.equal(slid?.lastUsedAt, T0 + 12 * MINUTE);
    assert.equal(slid?.idleExpiresAt, T0 + 42 * MINUTE);
  });

  it('sessions.slide - should answer false and change nothing for a revoked, expired or unknown session', async () => {
    const { repositories } = await fixture();
    const revoked = await userWithSession(repositories);
    await repositories.sessions.revoke(revoked.userId, revoked.session.id, 'logout', T0 + MINUTE);
    const idleExpired = await userWithSession(repositories, { idleExpiresAt: T0 + 5 * MINUTE });
    const absoluteExpired = await userWithSession(repositories, {
      idleExpiresAt: T0 + 5 * MINUTE,
      absoluteExpiresAt: T0 + 5 * MINUTE,
    });
    const before = new Map<string, Session | null>();
    for (const { session } of [revoked, idleExpired, absoluteExpired]) {
      before.set(session.id, await repositories.sessions.findById(session.id));
    }

    const later = { now: T0 + 10 * MINUTE, idleExpiresAt: T0 + 40 * MINUTE };
    assert.equal(await repositories.sessions.slide(revoked.session.id, later), false, 'revoked');
    assert.equal(await repositories.sessions.slide(idleExpired.session.id, later), false, 'idle expired');
    assert.equal(
      await repositories.sessions.slide(idleExpired.session.id, {
        now: T0 + 5 * MINUTE,
        idleExpiresAt: T0 + 35 * MINUTE,
      }),
      false,
      'idle expiry reached exactly',
    );
    assert.equal(
      await repositories.sessions.slide(absoluteExpired.session.id, later),
      false,
      'absolute expired',
    );
    assert.equal(await repositories.sessions.slide('no-such-session', later), false, 'unknown');
    for (const [id, session] of before) {
      assert.deepEqual(await repositories.sessions.findById(id), session, 'nothing changed');
    }
  });

  it('sessions.revoke - should clear the access digest and its expiry with the refresh digest', async () => {
    const { repositories } = await fixture();
    const { userId, session } = await userWithSession(repositories, {
      accessDigest: unique('access-digest'),
      accessExpiresAt: T0 + 15 * MINUTE,
    });
    await repositories.sessions.revoke(userId, session.id, 'logout', T0 + MINUTE);
    const found = await repositories.sessions.findCredentials(session.id);
    assert.equal(found?.session.revokedAt, T0 + MINUTE);
    assert.equal(found?.tokenDigest, null);
    assert.equal(found?.accessDigest, null);
    assert.equal(found?.accessExpiresAt, null);
  });

  it('sessions.revokeAllForUser - should clear the access digests of the revoked sessions only', async () => {
    const { repositories } = await fixture();
    const user = newUser();
    await repositories.users.create(user);
    const keptDigest = unique('kept-access');
    const kept = newSession(user.id, { accessDigest: keptDigest, accessExpiresAt: T0 + 15 * MINUTE });
    const revoked = [1, 2].map(() =>
      newSession(user.id, { accessDigest: unique('access'), accessExpiresAt: T0 + 15 * MINUTE }),
    );
    const other = await userWithSession(repositories, {
      accessDigest: unique('other-access'),
      accessExpiresAt: T0 + 15 * MINUTE,
    });
    for (const session of [kept, ...revoked]) await repositories.sessions.create(session);

    const ids = await repositories.sessions.revokeAllForUser(user.id, 'password_changed', T0 + MINUTE, {
      exceptId: kept.id,
    });
    assert.deepEqual([...ids].sort(), revoked.map((session) => session.id).sort());
    for (const session of revoked) {
      const found = await repositories.sessions.findCredentials(session.id);
      assert.equal(found?.tokenDigest, null);
      assert.equal(found?.accessDigest, null);
      assert.equal(found?.accessExpiresAt, null);
    }
    const survivor = await repositories.sessions.findCredentials(kept.id);
    assert.equal(survivor?.accessDigest, keptDigest);
    assert.equal(survivor?.accessExpiresAt, T0 + 15 * MINUTE);
    assert.equal(
      (await repositories.sessions.findCredentials(other.session.id))?.accessDigest,
      other.session.accessDigest,
    );
  });
});
