/**
 * Threat: a view of the user cached in a worker's memory (so `GET /users/me` answers without
 * SQL) outlives a change made through another worker — a removed role still shown, a
 * deactivated or deleted account still answered, a new name or address not seen.
 *
 * Invariant: after any change to a user is answered, the next request on every worker sees it:
 * a role change, a deactivation and a deletion (their credentials refused, and a new sign-in
 * showing the new roles wherever the old view was cached), and a profile change that ends no
 * session (bearer and cookie). With Redis, the user's version is read in the revocation
 * check's one round trip: a steady-state bearer request is still exactly one Redis command.
 *
 * @see issue #12
 * @see issue #18
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { type AuthConfigInput, createAuth, generateSecret } from '../../src/index.ts';
import { createApiKey } from '../fixtures/api-keys.ts';
import {
  assertInvalidToken,
  capturingTransport,
  GOOD_PASSWORD,
  type Harness,
  harnessAround,
  harnessConfig,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import { cookieHeaders, OWN_PAGE, signInWithCookie } from '../fixtures/cookie-session.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';

interface Setup {
  readonly name: string;
  /** The workers (one process with memory stores; two sharing PostgreSQL and Redis). */
  start(): Promise<Harness[]>;
  readonly redisUrl?: () => string;
  stop(): Promise<void>;
}

let dataDir: string;
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-stale-view-'));
});
after(() => rm(dataDir, { recursive: true, force: true }));

async function instance(secret: string, extra: AuthConfigInput): Promise<Harness> {
  const auth = await createAuth({
    ...harnessConfig({ secret, dataDir }),
    mail: { transport: capturingTransport([]) },
    ...extra,
  });
  return harnessAround(auth, [], () => auth.close());
}

let postgres: PostgresServer | undefined;
let redis: RedisServer | undefined;
const setups: Setup[] = [
  {
    name: 'SQLite + memory stores, one process',
    async start() {
      const only = await instance(generateSecret(), {});
      await only.auth.migrate();
      return [only];
    },
    async stop() {},
  },
  {
    name: 'PostgreSQL + Redis, two workers',
    async start() {
      [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
      const secret = generateSecret();
      const shared: AuthConfigInput = {
        database: { url: await postgres.createDatabase() },
        stores: { backend: 'redis', url: redis.url },
        workers: 2,
      };
      const a = await instance(secret, shared);
      await a.auth.migrate();
      return [a, await instance(secret, shared)];
    },
    redisUrl: () => (redis as RedisServer).url,
    async stop() {
      await Promise.all([postgres?.stop(), redis?.stop()]);
    },
  },
];

for (const setup of setups) {
  describe(setup.name, () => {
    let workers: Harness[];
    before(async () => {
      workers = await setup.start();
    });
    after(async () => {
      for (const worker of workers ?? []) await worker.close();
      await setup.stop();
    });

    const first = (): Harness => workers[0] as Harness;
    const last = (): Harness => workers.at(-1) as Harness;

    /** Signs in on every worker, bearer and cookie, and reads /users/me once with each (cached). */
    async function warmEverywhere(email: string) {
      const held = [];
      for (const worker of workers) {
        const bearer = await worker.login(email);
        const cookie = await signInWithCookie(worker, email);
        for (const reader of workers) {
          assert.equal((await reader.get('/users/me', { token: bearer.accessToken })).status, 200);
          assert.equal((await reader.get('/users/me', { headers: cookieHeaders(cookie) })).status, 200);
        }
        held.push({ bearer, cookie });
      }
      return held;
    }

    test('a profile change (no session ends) is seen by the next request on every worker, bearer and cookie', async () => {
      const email = uniqueEmail('renamed');
      await first().auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
      const held = await warmEverywhere(email);
      const cookie = held[0]?.cookie as Awaited<ReturnType<typeof signInWithCookie>>;
      const renamed = await first().request('PATCH', '/users/me', {
        body: { name: 'Renamed Once' },
        headers: cookieHeaders(cookie, OWN_PAGE),
      });
      assert.equal(renamed.status, 200, renamed.text);
      for (const reader of workers) {
        for (const { bearer, cookie: each } of held) {
          const viaBearer = await reader.get('/users/me', { token: bearer.accessToken });
          const viaCookie = await reader.get('/users/me', { headers: cookieHeaders(each) });
          assert.equal(viaBearer.body.user.name, 'Renamed Once');
          assert.equal(viaCookie.body.user.name, 'Renamed Once');
        }
      }
      // A change through the server-side API of the other worker, and back.
      await last().auth.api.users.update(cookie.userId, { name: 'Renamed Twice', emailVerified: false });
      for (const reader of workers) {
        for (const { bearer, cookie: each } of held) {
          for (const answer of [
            await reader.get('/users/me', { token: bearer.accessToken }),
            await reader.get('/users/me', { headers: cookieHeaders(each) }),
          ]) {
            assert.equal(answer.body.user.name, 'Renamed Twice');
            assert.equal(answer.body.user.emailVerified, false);
          }
        }
      }
    });

    test('a rename by an operator (auth.api.admin) is seen by the next request on every worker', async () => {
      const email = uniqueEmail('admin-edited');
      const { id } = await first().auth.api.users.create({
        email,
        password: GOOD_PASSWORD,
        emailVerified: true,
      });
      const held = await warmEverywhere(email);
      await last().auth.api.admin.users.update(id, { name: 'Named By Admin' });
      for (const reader of workers) {
        for (const { bearer, cookie } of held) {
          assert.equal(
            (await reader.get('/users/me', { token: bearer.accessToken })).body.user.name,
            'Named By Admin',
          );
          assert.equal(
            (await reader.get('/users/me', { headers: cookieHeaders(cookie) })).body.user.name,
            'Named By Admin',
          );
        }
      }
    });

    test('a role change: old credentials refused everywhere, and a new sign-in shows the new roles on every worker', async () => {
      const email = uniqueEmail('promoted');
      const { id } = await first().auth.api.users.create({
        email,
        password: GOOD_PASSWORD,
        emailVerified: true,
      });
      const held = await warmEverywhere(email);
      await last().auth.api.users.update(id, { roles: ['admin'] });
      for (const reader of workers) {
        for (const { bearer, cookie } of held) {
          assertInvalidToken(await reader.get('/users/me', { token: bearer.accessToken }));
          assertInvalidToken(await reader.get('/users/me', { headers: cookieHeaders(cookie) }));
        }
      }
      for (const signer of workers) {
        const bearer = await signer.login(email);
        const cookie = await signInWithCookie(signer, email);
        for (const reader of workers) {
          assert.deepEqual((await reader.get('/users/me', { token: bearer.accessToken })).body.user.roles, [
            'admin',
          ]);
          assert.deepEqual(
            (await reader.get('/users/me', { headers: cookieHeaders(cookie) })).body.user.roles,
            ['admin'],
          );
        }
      }
    });

    test('a deactivation and a deletion: the next request on every worker is refused', async () => {
      const deactivated = uniqueEmail('deactivated');
      const deleted = uniqueEmail('deleted');
      const d1 = await first().auth.api.users.create({
        email: deactivated,
        password: GOOD_PASSWORD,
        emailVerified: true,
      });
      const d2 = await first().auth.api.users.create({
        email: deleted,
        password: GOOD_PASSWORD,
        emailVerified: true,
      });
      const heldDeactivated = await warmEverywhere(deactivated);
      const heldDeleted = await warmEverywhere(deleted);
      await last().auth.api.users.update(d1.id, { isActive: false });
      await first().auth.api.users.delete(d2.id);
      for (const reader of workers) {
        for (const { bearer, cookie } of [...heldDeactivated, ...heldDeleted]) {
          assertInvalidToken(await reader.get('/users/me', { token: bearer.accessToken }));
          assertInvalidToken(await reader.get('/users/me', { headers: cookieHeaders(cookie) }));
        }
      }
    });

    if (setup.redisUrl) {
      test('a steady-state bearer GET /users/me sends one Redis command (the version rides in the revocation MGET)', async () => {
        const email = uniqueEmail('one-trip');
        await first().auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
        const bearer = await first().login(email);
        assert.equal((await first().get('/users/me', { token: bearer.accessToken })).status, 200);
        const client = new Redis((setup.redisUrl as () => string)(), { lazyConnect: true });
        await client.connect();
        const monitor = await client.monitor();
        const seen: string[] = [];
        monitor.on('monitor', (_time: string, args: string[], source: string) => {
          if (source !== 'lua') seen.push(String(args[0]).toUpperCase());
        });
        try {
          for (let i = 0; i < 5; i++) {
            assert.equal((await first().get('/users/me', { token: bearer.accessToken })).status, 200);
          }
          await new Promise((resolve) => setTimeout(resolve, 200));
        } finally {
          monitor.disconnect();
          client.disconnect();
        }
        assert.deepEqual(seen, ['MGET', 'MGET', 'MGET', 'MGET', 'MGET']);
      });
    }
  });
}

test('opaque access tokens: a profile change is seen by the next request (their cached credential carries the version)', async () => {
  const worker = await instance(generateSecret(), { tokens: { access: 'opaque' } });
  try {
    await worker.auth.migrate();
    const email = uniqueEmail('opaque');
    const { id } = await worker.auth.api.users.create({
      email,
      password: GOOD_PASSWORD,
      emailVerified: true,
    });
    const holder = await worker.login(email);
    for (let i = 0; i < 2; i++)
      assert.equal((await worker.get('/users/me', { token: holder.accessToken })).body.user.name, null);
    await worker.auth.api.users.update(id, { name: 'Opaque Renamed' });
    assert.equal(
      (await worker.get('/users/me', { token: holder.accessToken })).body.user.name,
      'Opaque Renamed',
    );
    await worker.auth.api.users.update(id, { isActive: false });
    assertInvalidToken(await worker.get('/users/me', { token: holder.accessToken }));
  } finally {
    await worker.close();
  }
});

test('API keys: a profile change is seen by the next request made with a key (the cached key carries the owner version)', async () => {
  const worker = await instance(generateSecret(), {});
  try {
    await worker.auth.migrate();
    const email = uniqueEmail('api-key-owner');
    const { id } = await worker.auth.api.users.create({
      email,
      password: GOOD_PASSWORD,
      emailVerified: true,
    });
    const owner = await worker.login(email);
    const { apiKey: key } = await createApiKey(worker, owner.accessToken, { name: 'reader', scopes: [] });
    for (let i = 0; i < 2; i++)
      assert.equal((await worker.get('/users/me', { token: key })).body.user.name, null);
    await worker.auth.api.users.update(id, { name: 'Key Owner Renamed' });
    assert.equal((await worker.get('/users/me', { token: key })).body.user.name, 'Key Owner Renamed');
  } finally {
    await worker.close();
  }
});
