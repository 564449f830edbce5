/**
 * API keys over HTTP: creation (the raw key once, scopes no wider than the owner may grant,
 * expiry within the allowed lifetime, a per-user cap that concurrent creations cannot pass),
 * what is kept at rest, listing, reading, renaming and rescoping, soft and idempotent
 * revocation, other users' keys, the admin routes, `lastUsedAt` and the `requireScopes` guard.
 *
 * Runs on SQLite with memory stores and on PostgreSQL with Redis: the cap and the background
 * `lastUsedAt` write are database work, and the race on the cap only means something where
 * writers really run side by side.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Hono } from 'hono';
import type { GuardEnv } from '../../src/http/index.ts';
import {
  type ApiKeyView,
  apiKeyRepositoryOf,
  apiKeyRow,
  type CreatedApiKey,
  createApiKey,
  createKeyOwner,
  type KeyOwner,
  parseApiKey,
  postApiKey,
} from '../fixtures/api-keys.ts';
import { assertProblem, createHarness, type Harness } from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';

const SECOND = 1000;
const DAY = 24 * 3600 * SECOND;
/** What a keyed digest made by the harness keyring (`k1`) looks like at rest. */
const DIGEST_AT_REST = /^k1\.[A-Za-z0-9_-]{43}$/;
const GRANTABLE = ['read', 'write'];
const CAP = 3;
const LAST_USED_INTERVAL_SECONDS = 60;

/** The instances' clock; it only moves forward. */
let t = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

async function readKey(h: Harness, owner: KeyOwner, keyId: string): Promise<ApiKeyView> {
  const response = await h.get(`/users/me/api-keys/${keyId}`, { token: owner.token });
  assert.equal(response.status, 200, response.text);
  return response.body.key as ApiKeyView;
}

/** Waits for the background `lastUsedAt` write to show `expected`; fails after a second. */
async function waitForLastUsed(h: Harness, owner: KeyOwner, keyId: string, expected: string): Promise<void> {
  const deadline = Date.now() + 1_000;
  for (;;) {
    const seen = (await readKey(h, owner, keyId)).lastUsedAt;
    if (seen === expected) return;
    if (Date.now() > deadline) assert.fail(`lastUsedAt stayed ${seen}, expected ${expected}`);
    await sleep(10);
  }
}

for (const backend of backends())
  describe(`API keys (${backend.name})`, () => {
    let h: Harness;

    before(async () => {
      const overrides = await backend.config();
      h = await createHarness({
        config: {
          ...overrides,
          clock: { now: () => t },
          apiKeys: {
            scopes: GRANTABLE,
            maxActivePerUser: CAP,
            lastUsedIntervalSeconds: LAST_USED_INTERVAL_SECONDS,
          },
        },
      });
    });
    after(async () => {
      await h?.close();
      await backend.stop();
    });

    describe('creation', () => {
      it('create - should answer 201 with the raw key (gh_live_<22>.<43>) and its metadata', async () => {
        const owner = await createKeyOwner(h);
        const response = await postApiKey(h, owner.token, { name: 'deploy bot', scopes: ['read'] });
        assert.equal(response.status, 201, response.text);
        assert.deepEqual(Object.keys(response.body).sort(), ['apiKey', 'key']);
        const raw = parseApiKey(response.body.apiKey, { env: 'live' });
        const key = response.body.key as ApiKeyView;
        assert.equal(key.id, raw.keyId);
        assert.equal(key.prefix, `gh_live_${key.id}`);
        assert.ok(response.body.apiKey.startsWith(`${key.prefix}.`));
        assert.deepEqual(
          { ...key },
          {
            id: key.id,
            prefix: key.prefix,
            name: 'deploy bot',
            scopes: ['read'],
            signing: false,
            createdAt: iso(t),
            expiresAt: iso(t + 365 * DAY),
            revokedAt: null,
            lastUsedAt: null,
          },
        );
      });

      it('raw key shown once - list and get should carry the prefix only, never the secret', async () => {
        const owner = await createKeyOwner(h);
        const created = await createApiKey(h, owner.token, { name: 'once' });
        const { secret } = parseApiKey(created.apiKey, { env: 'live' });
        const list = await h.get('/users/me/api-keys', { token: owner.token });
        const one = await h.get(`/users/me/api-keys/${created.key.id}`, { token: owner.token });
        for (const response of [list, one]) {
          assert.equal(response.status, 200, response.text);
          assert.ok(!response.text.includes(secret), 'the secret is never answered again');
          assert.ok(!response.text.includes(created.apiKey));
          assert.ok(!('apiKey' in response.body));
        }
        assert.deepEqual(list.body.keys, [created.key]);
        assert.deepEqual(one.body.key, created.key);
      });

      it('at rest - a plain key should keep only a keyed digest of its secret, never the secret', async () => {
        const owner = await createKeyOwner(h);
        const created = await createApiKey(h, owner.token, { name: 'digest only' });
        const { secret } = parseApiKey(created.apiKey, { env: 'live' });
        const row = await apiKeyRow(h, created.key.id);
        assert.match(row.secret_digest ?? '', DIGEST_AT_REST, 'the digest names its keyring key');
        assert.equal(row.signing_secret, null);
        const stored = JSON.stringify(row);
        const secretBytes = Buffer.from(secret, 'base64url');
        for (const form of [secret, secretBytes.toString('hex'), secretBytes.toString('base64')]) {
          assert.ok(!stored.includes(form), 'the secret is not stored in any encoding');
        }
        // Keyed: a plain hash of the secret (what a stolen table could be checked against) differs.
        const digest = (row.secret_digest ?? '').slice('k1.'.length);
        assert.notEqual(digest, createHash('sha256').update(secret).digest('base64url'));
        assert.notEqual(digest, createHash('sha256').update(secretBytes).digest('base64url'));
        assert.notEqual(digest, createHmac('sha256', '').update(secret).digest('base64url'));
      });

      it('at rest - a signing key should keep its secret in a keyring envelope (v1.…), no digest', async () => {
        const owner = await createKeyOwner(h);
        const created = await createApiKey(h, owner.token, { name: 'signer', signing: true });
        assert.equal(created.key.signing, true);
        const { secret } = parseApiKey(created.apiKey, { env: 'live' });
        assert.ok(secret, 'a signing key has the same shape');
        const row = await apiKeyRow(h, created.key.id);
        assert.equal(row.secret_digest, null);
        assert.match(row.signing_secret ?? '', /^v1\.k1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
        const stored = JSON.stringify(row);
        const secretBytes = Buffer.from(secret, 'base64url');
        for (const form of [secret, secretBytes.toString('hex'), secretBytes.toString('base64')]) {
          assert.ok(!stored.includes(form), 'the signing secret is not stored in the clear');
        }
      });

      it('expiry - should default to 365 days and accept an expiresAt within the maximum', async () => {
        const owner = await createKeyOwner(h);
        const byDefault = await createApiKey(h, owner.token, { name: 'default' });
        assert.equal(Date.parse(byDefault.key.expiresAt) - Date.parse(byDefault.key.createdAt), 365 * DAY);
        const chosen = iso(t + 30 * DAY);
        const explicit = await createApiKey(h, owner.token, { name: 'thirty days', expiresAt: chosen });
        assert.equal(explicit.key.expiresAt, chosen);
      });

      it('expiry - an expiresAt beyond the maximum, in the past or malformed should be 422 and create nothing', async () => {
        const owner = await createKeyOwner(h);
        for (const expiresAt of [iso(t + 365 * DAY + SECOND), iso(t - SECOND), iso(t), 'next year']) {
          const response = await postApiKey(h, owner.token, { name: 'bad expiry', expiresAt });
          assertProblem(response, 422, 'VALIDATION_FAILED');
        }
        const list = await h.get('/users/me/api-keys', { token: owner.token });
        assert.deepEqual(list.body.keys, []);
      });

      it('scopes - should accept configured scopes and the owner’s own roles', async () => {
        const admin = await createKeyOwner(h, { roles: ['admin'] });
        const created = await createApiKey(h, admin.token, {
          name: 'ops',
          scopes: ['admin', 'read', 'write'],
        });
        assert.deepEqual([...created.key.scopes].sort(), ['admin', 'read', 'write']);
      });

      it('scope escalation - a scope outside apiKeys.scopes and the owner’s roles should be 400 API_KEY_SCOPE_DENIED', async () => {
        const owner = await createKeyOwner(h);
        for (const scopes of [['admin'], ['read', 'admin'], ['delete']]) {
          assertProblem(
            await postApiKey(h, owner.token, { name: 'grab', scopes }),
            400,
            'API_KEY_SCOPE_DENIED',
          );
        }
        const list = await h.get('/users/me/api-keys', { token: owner.token });
        assert.deepEqual(list.body.keys, [], 'no key was created');
      });
    });

    describe('per-user cap', () => {
      it(`cap - the key after ${CAP} active ones should be 409 API_KEY_LIMIT_REACHED`, async () => {
        const owner = await createKeyOwner(h);
        for (let n = 0; n < CAP; n++) await createApiKey(h, owner.token, { name: `key ${n}` });
        assertProblem(
          await postApiKey(h, owner.token, { name: 'one too many' }),
          409,
          'API_KEY_LIMIT_REACHED',
        );
        const list = await h.get('/users/me/api-keys', { token: owner.token });
        assert.equal(list.body.keys.length, CAP);
      });

      it('cap - revoked keys should not count', async () => {
        const owner = await createKeyOwner(h);
        const keys: CreatedApiKey[] = [];
        for (let n = 0; n < CAP; n++) keys.push(await createApiKey(h, owner.token, { name: `key ${n}` }));
        const revoked = await h.request('DELETE', `/users/me/api-keys/${keys[0]?.key.id}`, {
          token: owner.token,
        });
        assert.equal(revoked.status, 204, revoked.text);
        await createApiKey(h, owner.token, { name: 'in place of the revoked one' });
        assertProblem(
          await postApiKey(h, owner.token, { name: 'one too many' }),
          409,
          'API_KEY_LIMIT_REACHED',
        );
      });

      it('cap - expired keys should not count', async () => {
        const owner = await createKeyOwner(h);
        await createApiKey(h, owner.token, { name: 'short-lived', expiresAt: iso(t + 60 * SECOND) });
        for (let n = 1; n < CAP; n++) await createApiKey(h, owner.token, { name: `key ${n}` });
        assertProblem(
          await postApiKey(h, owner.token, { name: 'before expiry' }),
          409,
          'API_KEY_LIMIT_REACHED',
        );
        t += 61 * SECOND;
        await createApiKey(h, owner.token, { name: 'after expiry' });
        assertProblem(
          await postApiKey(h, owner.token, { name: 'one too many' }),
          409,
          'API_KEY_LIMIT_REACHED',
        );
      });

      it('cap race - concurrent creations at cap−1 should leave exactly the cap (one winner)', async () => {
        // Several rounds: one round can happen to run its requests one after the other.
        for (let round = 0; round < 4; round++) {
          const owner = await createKeyOwner(h);
          for (let n = 0; n < CAP - 1; n++) await createApiKey(h, owner.token, { name: `key ${n}` });
          const racers = 8;
          const responses = await Promise.all(
            Array.from({ length: racers }, (_, n) => postApiKey(h, owner.token, { name: `racer ${n}` })),
          );
          const statuses = responses.map((r) => r.status).sort();
          assert.deepEqual(statuses, [201, ...Array.from({ length: racers - 1 }, () => 409)], 'one winner');
          for (const loser of responses.filter((r) => r.status === 409)) {
            assert.equal(loser.body.code, 'API_KEY_LIMIT_REACHED');
          }
          const list = await h.get('/users/me/api-keys', { token: owner.token });
          assert.equal(list.body.keys.length, CAP);
        }
      });

      it('cap race at the store - concurrent inserts at cap−1 should have exactly one winner', async () => {
        // Straight at the repository, so the insertions meet inside the database.
        const repository = apiKeyRepositoryOf(h);
        const insert = (userId: string) =>
          repository.create(
            {
              id: randomBytes(16).toString('base64url'),
              userId,
              name: 'racer',
              env: 'live',
              scopes: [],
              secretDigest: 'k1.unused',
              signingSecret: null,
              expiresAt: t + DAY,
              now: t,
            },
            { maxActive: CAP },
          );
        for (let round = 0; round < 5; round++) {
          const owner = await createKeyOwner(h);
          for (let n = 0; n < CAP - 1; n++) assert.ok(await insert(owner.userId));
          const results = await Promise.all(Array.from({ length: 10 }, () => insert(owner.userId)));
          assert.equal(results.filter((r) => r !== null).length, 1, 'one winner');
          assert.equal((await repository.listForUser(owner.userId)).length, CAP);
        }
      });
    });

    describe('management', () => {
      it('list - should show the owner’s keys, newest first, and nobody else’s', async () => {
        const owner = await createKeyOwner(h);
        const other = await createKeyOwner(h);
        const first = await createApiKey(h, owner.token, { name: 'first' });
        t += SECOND;
        const second = await createApiKey(h, owner.token, { name: 'second' });
        await createApiKey(h, other.token, { name: 'not yours' });
        const list = await h.get('/users/me/api-keys', { token: owner.token });
        assert.deepEqual(
          list.body.keys.map((k: ApiKeyView) => k.id),
          [second.key.id, first.key.id],
        );
      });

      it('PATCH - should rename and rescope, and GET should show the change', async () => {
        const owner = await createKeyOwner(h);
        const created = await createApiKey(h, owner.token, { name: 'before', scopes: ['read'] });
        const renamed = await h.request('PATCH', `/users/me/api-keys/${created.key.id}`, {
          token: owner.token,
          body: { name: 'after' },
        });
        assert.equal(renamed.status, 200, renamed.text);
        assert.equal(renamed.body.key.name, 'after');
        assert.deepEqual(renamed.body.key.scopes, ['read'], 'a rename keeps the scopes');
        const rescoped = await h.request('PATCH', `/users/me/api-keys/${created.key.id}`, {
          token: owner.token,
          body: { scopes: ['write'] },
        });
        assert.equal(rescoped.status, 200, rescoped.text);
        assert.deepEqual(rescoped.body.key.scopes, ['write']);
        assert.equal(rescoped.body.key.name, 'after', 'a rescope keeps the name');
        const read = await readKey(h, owner, created.key.id);
        assert.deepEqual({ name: read.name, scopes: read.scopes }, { name: 'after', scopes: ['write'] });
      });

      it('PATCH scope escalation - rescoping beyond what the owner may grant should be 400 and change nothing', async () => {
        const owner = await createKeyOwner(h);
        const created = await createApiKey(h, owner.token, { name: 'narrow', scopes: ['read'] });
        const response = await h.request('PATCH', `/users/me/api-keys/${created.key.id}`, {
          token: owner.token,
          body: { name: 'renamed too', scopes: ['read', 'admin'] },
        });
        assertProblem(response, 400, 'API_KEY_SCOPE_DENIED');
        const read = await readKey(h, owner, created.key.id);
        assert.deepEqual({ name: read.name, scopes: read.scopes }, { name: 'narrow', scopes: ['read'] });
      });

      it('PATCH mass assignment - fields other than name and scopes should be 422', async () => {
        const owner = await createKeyOwner(h);
        const created = await createApiKey(h, owner.token, { name: 'fixed' });
        for (const body of [
          { expiresAt: iso(t + 3000 * DAY) },
          { revokedAt: null },
          { signing: true },
          { userId: 'someone-else' },
        ]) {
          const response = await h.request('PATCH', `/users/me/api-keys/${created.key.id}`, {
            token: owner.token,
            body,
          });
          assertProblem(response, 422, 'VALIDATION_FAILED');
        }
        assert.deepEqual(await readKey(h, owner, created.key.id), created.key);
      });

      it('DELETE - should revoke softly and idempotently, keeping the first revokedAt', async () => {
        const owner = await createKeyOwner(h);
        const created = await createApiKey(h, owner.token, { name: 'to revoke' });
        const revokedAt = t;
        const first = await h.request('DELETE', `/users/me/api-keys/${created.key.id}`, {
          token: owner.token,
        });
        assert.equal(first.status, 204, first.text);
        assert.equal(first.text, '');
        t += 5 * SECOND;
        const again = await h.request('DELETE', `/users/me/api-keys/${created.key.id}`, {
          token: owner.token,
        });
        assert.equal(again.status, 204, again.text);
        const read = await readKey(h, owner, created.key.id);
        assert.equal(read.revokedAt, iso(revokedAt), 'the first revocation time is kept');
        const list = await h.get('/users/me/api-keys', { token: owner.token });
        assert.deepEqual(
          list.body.keys.map((k: ApiKeyView) => [k.id, k.revokedAt]),
          [[created.key.id, iso(revokedAt)]],
          'a revoked key stays listed',
        );
      });

      it('other users’ keys - GET, PATCH and DELETE should be 404 API_KEY_NOT_FOUND and change nothing', async () => {
        const owner = await createKeyOwner(h);
        const intruder = await createKeyOwner(h);
        const created = await createApiKey(h, owner.token, { name: 'mine', scopes: ['read'] });
        const path = `/users/me/api-keys/${created.key.id}`;
        assertProblem(await h.get(path, { token: intruder.token }), 404, 'API_KEY_NOT_FOUND');
        assertProblem(
          await h.request('PATCH', path, { token: intruder.token, body: { name: 'stolen', scopes: [] } }),
          404,
          'API_KEY_NOT_FOUND',
        );
        assertProblem(await h.request('DELETE', path, { token: intruder.token }), 404, 'API_KEY_NOT_FOUND');
        const unknown = `/users/me/api-keys/${'A'.repeat(22)}`;
        const unknownAnswer = await h.get(unknown, { token: intruder.token });
        assertProblem(unknownAnswer, 404, 'API_KEY_NOT_FOUND');
        // Someone else's key and a key that does not exist look the same.
        assert.equal((await h.get(path, { token: intruder.token })).text, unknownAnswer.text);
        assert.deepEqual(await readKey(h, owner, created.key.id), created.key);
        const list = await h.get('/users/me/api-keys', { token: intruder.token });
        assert.deepEqual(list.body.keys, []);
      });
    });

    describe('admin routes', () => {
      it('admin routes - a user without the admin role should get 403 INSUFFICIENT_ROLES on GET, POST and DELETE', async () => {
        const owner = await createKeyOwner(h);
        const created = await createApiKey(h, owner.token, { name: 'target' });
        const snooper = await createKeyOwner(h);
        const base = `/admin/users/${owner.userId}/api-keys`;
        assertProblem(await h.get(base, { token: snooper.token }), 403, 'INSUFFICIENT_ROLES');
        assertProblem(
          await h.post(base, { name: 'planted' }, { token: snooper.token }),
          403,
          'INSUFFICIENT_ROLES',
        );
        assertProblem(
          await h.request('DELETE', `${base}/${created.key.id}`, { token: snooper.token }),
          403,
          'INSUFFICIENT_ROLES',
        );
        // Even on their own account: the admin routes are for admins.
        assertProblem(
          await h.get(`/admin/users/${snooper.userId}/api-keys`, { token: snooper.token }),
          403,
          'INSUFFICIENT_ROLES',
        );
        const list = await h.get('/users/me/api-keys', { token: owner.token });
        assert.deepEqual(list.body.keys, [created.key], 'nothing was planted or revoked');
      });

      it('admin routes - an admin should list, create (within the user’s grantable scopes) and revoke a user’s keys', async () => {
        const admin = await createKeyOwner(h, { roles: ['admin'] });
        const owner = await createKeyOwner(h);
        const own = await createApiKey(h, owner.token, { name: 'own' });
        const base = `/admin/users/${owner.userId}/api-keys`;

        const listed = await h.get(base, { token: admin.token });
        assert.equal(listed.status, 200, listed.text);
        assert.deepEqual(listed.body.keys, [own.key]);

        const created = await h.post(
          base,
          { name: 'issued by admin', scopes: ['read'] },
          { token: admin.token },
        );
        assert.equal(created.status, 201, created.text);
        parseApiKey(created.body.apiKey, { env: 'live' });
        const mine = await h.get('/users/me/api-keys', { token: owner.token });
        assert.ok(
          mine.body.keys.some((k: ApiKeyView) => k.id === created.body.key.id),
          'the key belongs to the user, not to the admin',
        );
        const adminsOwn = await h.get('/users/me/api-keys', { token: admin.token });
        assert.deepEqual(adminsOwn.body.keys, []);

        // The admin's role is not the user's to hold.
        assertProblem(
          await h.post(base, { name: 'too wide', scopes: ['admin'] }, { token: admin.token }),
          400,
          'API_KEY_SCOPE_DENIED',
        );

        const inUse = await h.get('/users/me', { token: own.apiKey });
        assert.equal(inUse.status, 200, inUse.text);
        const revoked = await h.request('DELETE', `${base}/${own.key.id}`, { token: admin.token });
        assert.equal(revoked.status, 204, revoked.text);
        assert.equal((await readKey(h, owner, own.key.id)).revokedAt, iso(t));
        assertProblem(await h.get('/users/me', { token: own.apiKey }), 401, 'API_KEY_REVOKED');
      });

      it('admin routes - a key id under the wrong user should be 404 and stay live', async () => {
        const admin = await createKeyOwner(h, { roles: ['admin'] });
        const owner = await createKeyOwner(h);
        const bystander = await createKeyOwner(h);
        const created = await createApiKey(h, owner.token, { name: 'owned' });
        const response = await h.request(
          'DELETE',
          `/admin/users/${bystander.userId}/api-keys/${created.key.id}`,
          { token: admin.token },
        );
        assertProblem(response, 404, 'API_KEY_NOT_FOUND');
        assert.equal((await readKey(h, owner, created.key.id)).revokedAt, null);
      });
    });

    describe('lastUsedAt', () => {
      it('lastUsedAt - should be set after a use, and written at most once per lastUsedIntervalSeconds', async () => {
        const owner = await createKeyOwner(h);
        const created = await createApiKey(h, owner.token, { name: 'busy' });
        assert.equal(created.key.lastUsedAt, null);
        const use = async () => {
          const response = await h.get('/users/me', { token: created.apiKey });
          assert.equal(response.status, 200, response.text);
        };

        const firstUse = t;
        await use();
        await waitForLastUsed(h, owner, created.key.id, iso(firstUse));

        // Within the interval: more uses, no newer value.
        t += 10 * SECOND;
        await use();
        t += (LAST_USED_INTERVAL_SECONDS - 11) * SECOND;
        await use();
        await use();
        await sleep(50); // room for a background write that must not happen
        assert.equal((await readKey(h, owner, created.key.id)).lastUsedAt, iso(firstUse));

        // Past the interval: the next use is recorded.
        t += 2 * SECOND;
        const later = t;
        await use();
        await waitForLastUsed(h, owner, created.key.id, iso(later));
      });
    });

    describe('requireScopes guard', () => {
      const app = () => {
        const hono = new Hono<GuardEnv>();
        hono.get('/reports', h.auth.requireScopes('read'), (c) =>
          c.json({ userId: c.get('principal')?.userId ?? null }),
        );
        return hono;
      };
      const call = async (token?: string) => {
        const response = await app().request('/reports', {
          headers: token ? { authorization: `Bearer ${token}` } : {},
        });
        return { status: response.status, body: (await response.json()) as Record<string, unknown> };
      };

      it('requireScopes - a key with the scope should pass, a key without it should get 403 INSUFFICIENT_SCOPE', async () => {
        const owner = await createKeyOwner(h);
        const reader = await createApiKey(h, owner.token, { name: 'reader', scopes: ['read'] });
        const writer = await createApiKey(h, owner.token, { name: 'writer', scopes: ['write'] });
        const bare = await createApiKey(h, owner.token, { name: 'no scopes' });
        assert.deepEqual(await call(reader.apiKey), { status: 200, body: { userId: owner.userId } });
        for (const key of [writer, bare]) {
          const refused = await call(key.apiKey);
          assert.equal(refused.status, 403);
          assert.equal(refused.body.code, 'INSUFFICIENT_SCOPE');
        }
      });

      it('requireScopes - a signed-in session should pass (scopes limit keys, not people), no credential should be 401', async () => {
        const owner = await createKeyOwner(h);
        assert.deepEqual(await call(owner.token), { status: 200, body: { userId: owner.userId } });
        const anonymous = await call();
        assert.equal(anonymous.status, 401);
        assert.equal(anonymous.body.code, 'UNAUTHENTICATED');
      });
    });
  });
