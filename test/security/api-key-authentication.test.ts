/**
 * Threats against `Authorization: Bearer gh_…`: guessing key ids or secrets (and telling the
 * two apart from the answers), keys that outlive their revocation, their expiry, their owner's
 * account or their owner's roles because a worker cached them, a key that rescopes or revokes
 * others or takes over the account (keys, sessions, password, email, 2FA), floods of refused
 * keys from one address, and a signing key's secret sent in the clear as a bearer key.
 *
 * Runs on SQLite with memory stores and on PostgreSQL with Redis. Every refusal that matters is
 * checked right after the key was used successfully, so the lookup cache holds it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Hono } from 'hono';
import type { GuardEnv } from '../../src/http/index.ts';
import { createApiKey, createKeyOwner, type KeyOwner, type RawApiKey } from '../fixtures/api-keys.ts';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type JsonResponse,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';

const SECOND = 1000;
/** The default `apiKeyAuthFailure` slot: refused keys per address per minute. */
const AUTH_FAILURE_LIMIT = 20;

/** The instances' clock; it only moves forward. */
let t = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

/** A live key created over HTTP, which must succeed. */
function createKey(h: Harness, owner: KeyOwner, body: Record<string, unknown>): Promise<RawApiKey> {
  return createApiKey(h, owner.token, body, { env: 'live' });
}

const randomPart = (bytes: number) => randomBytes(bytes).toString('base64url');

/** GET /users/me with a bearer credential, optionally from a forwarded client address. */
function whoAmI(h: Harness, token: string, options: { from?: string } = {}): Promise<JsonResponse> {
  return h.get('/users/me', {
    token,
    ...(options.from ? { headers: { 'X-Forwarded-For': options.from } } : {}),
  });
}

async function assertOwner(h: Harness, key: RawApiKey, owner: KeyOwner, label = 'the key'): Promise<void> {
  const response = await whoAmI(h, key.apiKey);
  assert.equal(response.status, 200, `${label}: ${response.text}`);
  assert.equal(response.body.user.id, owner.userId);
}

/** Asserts a 401 API-key refusal with the RFC 6750 `invalid_token` challenge. */
function assertRefused(response: JsonResponse, code: string): void {
  assertProblem(response, 401, code);
  assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
}

/** An application's own routes, behind the guards. */
function appRoutes(h: Harness) {
  const hono = new Hono<GuardEnv>();
  for (const scope of ['read', 'write', 'admin']) {
    hono.get(`/scoped/${scope}`, h.auth.requireScopes(scope), (c) =>
      c.json({ userId: c.get('principal')?.userId }),
    );
  }
  hono.get('/admin-only', h.auth.requireRoles('admin'), (c) => c.json({ ok: true }));
  return hono;
}

async function appCall(
  h: Harness,
  path: string,
  token: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; code: string | undefined }> {
  const response = await appRoutes(h).request(path, {
    headers: { authorization: `Bearer ${token}`, ...headers },
  });
  const body = (await response.json()) as { code?: string };
  return { status: response.status, code: body.code };
}

for (const backend of backends())
  describe(`API key authentication (${backend.name})`, () => {
    let h: Harness;
    /** Rate limits on (default slots); the client address comes from X-Forwarded-For. */
    let limited: Harness;

    before(async () => {
      const overrides = await backend.config();
      const common = { ...overrides, clock: { now: () => t }, apiKeys: { scopes: ['read', 'write'] } };
      h = await createHarness({ config: common });
      limited = await createHarness({
        config: { ...common, rateLimits: { enabled: true }, http: { trustedProxyHops: 1 } },
      });
    });
    after(async () => {
      await Promise.all([h?.close(), limited?.close()]);
      await backend.stop();
    });

    describe('who a key is', () => {
      it('bearer key - should authenticate as its owner, with the key’s scopes', async () => {
        const owner = await createKeyOwner(h);
        const key = await createKey(h, owner, { name: 'reader', scopes: ['read'] });
        await assertOwner(h, key, owner);
        assert.deepEqual(await appCall(h, '/scoped/read', key.apiKey), { status: 200, code: undefined });
        assert.deepEqual(await appCall(h, '/scoped/write', key.apiKey), {
          status: 403,
          code: 'INSUFFICIENT_SCOPE',
        });
      });
    });

    describe('the three refusals', () => {
      it('guessing - an unknown key id and a wrong secret should give the same status and byte-identical bodies', async () => {
        const owner = await createKeyOwner(h);
        const key = await createKey(h, owner, { name: 'target' });
        const wrongSecretUncached = await whoAmI(h, `gh_live_${key.keyId}.${randomPart(32)}`);
        await assertOwner(h, key, owner); // now it is in the cache
        const wrongSecretCached = await whoAmI(h, `gh_live_${key.keyId}.${randomPart(32)}`);
        const unknownId = await whoAmI(h, `gh_live_${randomPart(16)}.${key.secret}`);
        const unknownBoth = await whoAmI(h, `gh_live_${randomPart(16)}.${randomPart(32)}`);
        const answers = [wrongSecretUncached, wrongSecretCached, unknownId, unknownBoth];
        for (const answer of answers) assertRefused(answer, 'API_KEY_INVALID');
        for (const answer of answers.slice(1)) {
          assert.equal(answer.text, unknownBoth.text, 'byte-identical bodies');
          for (const header of ['content-type', 'www-authenticate', 'cache-control']) {
            assert.equal(answer.headers.get(header), unknownBoth.headers.get(header), header);
          }
        }
        for (const answer of answers) {
          assert.ok(
            !answer.text.includes(key.keyId) && !answer.text.includes(key.secret),
            'nothing is echoed',
          );
        }
      });

      it('malformed keys - should be 401 API_KEY_INVALID, never a 500 nor a fall-through to another transport', async () => {
        const owner = await createKeyOwner(h);
        const key = await createKey(h, owner, { name: 'shape' });
        const malformed = [
          'gh_',
          'gh_live_',
          `gh_live_${key.keyId}`,
          `gh_live_${key.keyId}.`,
          `gh_live_${key.keyId}.${key.secret}x`,
          `gh_live_${key.keyId}.${key.secret.slice(0, -1)}`,
          `gh_live_${key.keyId}x.${key.secret}`,
          `gh_live_${key.keyId}.${key.secret}.${key.secret}`,
          `gh_LIVE_${key.keyId}.${key.secret}`,
          `gh_live_${key.keyId.slice(0, 21)}+.${key.secret}`,
          `gh_live_${'A'.repeat(300)}.${key.secret}`,
          `gh__${key.keyId}.${key.secret}`,
        ];
        for (const token of malformed) {
          const response = await whoAmI(h, token);
          assertRefused(response, 'API_KEY_INVALID');
        }
        // A bearer value with junk after the key is not that key.
        const trailing = await h.get('/users/me', {
          headers: { authorization: `Bearer ${key.apiKey} extra` },
        });
        assertRefused(trailing, 'API_KEY_INVALID');
        await assertOwner(h, key, owner, 'the well-formed key');
      });

      it('another env - a key with another env’s prefix should be 401 API_KEY_INVALID', async () => {
        const owner = await createKeyOwner(h);
        const key = await createKey(h, owner, { name: 'live only' });
        await assertOwner(h, key, owner);
        for (const env of ['test', 'staging', 'live1']) {
          assertRefused(await whoAmI(h, `gh_${env}_${key.keyId}.${key.secret}`), 'API_KEY_INVALID');
        }
      });

      it('revoked - a key revoked right after it was used should be 401 API_KEY_REVOKED at once', async () => {
        const owner = await createKeyOwner(h);
        const key = await createKey(h, owner, { name: 'to revoke', scopes: ['read'] });
        await assertOwner(h, key, owner);
        await assertOwner(h, key, owner, 'the cached key');
        const revoked = await h.request('DELETE', `/users/me/api-keys/${key.keyId}`, { token: owner.token });
        assert.equal(revoked.status, 204, revoked.text);
        assertRefused(await whoAmI(h, key.apiKey), 'API_KEY_REVOKED');
        assert.deepEqual(await appCall(h, '/scoped/read', key.apiKey), {
          status: 401,
          code: 'API_KEY_REVOKED',
        });
        // Only a caller who proves the secret learns the key was revoked.
        assertRefused(await whoAmI(h, `gh_live_${key.keyId}.${randomPart(32)}`), 'API_KEY_INVALID');
      });

      it('expired - a key past its expiresAt should be 401 API_KEY_EXPIRED, even from the cache', async () => {
        const owner = await createKeyOwner(h);
        const key = await createKey(h, owner, { name: 'short-lived', expiresAt: iso(t + 60 * SECOND) });
        await assertOwner(h, key, owner);
        t += 59 * SECOND;
        await assertOwner(h, key, owner, 'just before expiry');
        t += 1 * SECOND;
        assertRefused(await whoAmI(h, key.apiKey), 'API_KEY_EXPIRED');
        assertRefused(await whoAmI(h, `gh_live_${key.keyId}.${randomPart(32)}`), 'API_KEY_INVALID');
      });
    });

    describe('the owner', () => {
      it('owner deactivated - the key should be 401 API_KEY_INVALID at once, even right after it was used', async () => {
        const owner = await createKeyOwner(h);
        const key = await createKey(h, owner, { name: 'orphan' });
        await assertOwner(h, key, owner);
        await assertOwner(h, key, owner, 'the cached key');
        await h.auth.api.users.update(owner.userId, { isActive: false });
        assertRefused(await whoAmI(h, key.apiKey), 'API_KEY_INVALID');
        assert.deepEqual(await appCall(h, '/scoped/read', key.apiKey), {
          status: 401,
          code: 'API_KEY_INVALID',
        });
      });

      it('owner deleted - the key should be 401 API_KEY_INVALID at once, even right after it was used', async () => {
        const owner = await createKeyOwner(h);
        const key = await createKey(h, owner, { name: 'orphan' });
        await assertOwner(h, key, owner);
        await assertOwner(h, key, owner, 'the cached key');
        assert.equal(await h.auth.api.users.delete(owner.userId), true);
        assertRefused(await whoAmI(h, key.apiKey), 'API_KEY_INVALID');
        assert.deepEqual(await appCall(h, '/scoped/read', key.apiKey), {
          status: 401,
          code: 'API_KEY_INVALID',
        });
      });

      it('downscoping - a key with scope admin should lose it the moment the owner loses the role', async () => {
        const owner = await createKeyOwner(h, { roles: ['admin'] });
        const key = await createKey(h, owner, { name: 'ops', scopes: ['admin', 'read'] });
        const adminRoute = `/admin/users/${owner.userId}/api-keys`;
        // With the role: the admin route lets the principal past its role check, and refuses it
        // only for being a key.
        assertProblem(await h.get(adminRoute, { token: key.apiKey }), 403, 'PASSWORD_SESSION_REQUIRED');
        assert.equal((await appCall(h, '/admin-only', key.apiKey)).status, 200);
        assert.equal((await appCall(h, '/scoped/admin', key.apiKey)).status, 200);

        await h.auth.api.users.update(owner.userId, { roles: [] });
        assertProblem(await h.get(adminRoute, { token: key.apiKey }), 403, 'INSUFFICIENT_ROLES');
        assert.deepEqual(await appCall(h, '/admin-only', key.apiKey), {
          status: 403,
          code: 'INSUFFICIENT_ROLES',
        });
        assert.deepEqual(await appCall(h, '/scoped/admin', key.apiKey), {
          status: 403,
          code: 'INSUFFICIENT_SCOPE',
        });
        // The rest of the key still works.
        await assertOwner(h, key, owner);
        assert.equal((await appCall(h, '/scoped/read', key.apiKey)).status, 200);
      });
    });

    describe('changes to the key', () => {
      it('rescope - narrowing a cached key should take effect on the next request', async () => {
        const owner = await createKeyOwner(h);
        const key = await createKey(h, owner, { name: 'wide', scopes: ['read', 'write'] });
        assert.equal((await appCall(h, '/scoped/write', key.apiKey)).status, 200);
        assert.equal((await appCall(h, '/scoped/write', key.apiKey)).status, 200);
        const patched = await h.request('PATCH', `/users/me/api-keys/${key.keyId}`, {
          token: owner.token,
          body: { scopes: ['read'] },
        });
        assert.equal(patched.status, 200, patched.text);
        assert.deepEqual(await appCall(h, '/scoped/write', key.apiKey), {
          status: 403,
          code: 'INSUFFICIENT_SCOPE',
        });
        assert.equal((await appCall(h, '/scoped/read', key.apiKey)).status, 200);
      });

      it('rename - a rename should not widen or drop anything', async () => {
        const owner = await createKeyOwner(h);
        const key = await createKey(h, owner, { name: 'before', scopes: ['read'] });
        assert.equal((await appCall(h, '/scoped/read', key.apiKey)).status, 200);
        const renamed = await h.request('PATCH', `/users/me/api-keys/${key.keyId}`, {
          token: owner.token,
          body: { name: 'after' },
        });
        assert.equal(renamed.status, 200, renamed.text);
        assert.equal((await appCall(h, '/scoped/read', key.apiKey)).status, 200);
        assert.equal((await appCall(h, '/scoped/write', key.apiKey)).status, 403);
      });
    });

    describe('what a key can never do', () => {
      it('account takeover - an API key should get 403 PASSWORD_SESSION_REQUIRED on keys, sessions, password, email and 2FA, and change nothing', async () => {
        const owner = await createKeyOwner(h);
        const key = await createKey(h, owner, { name: 'stolen', scopes: ['read', 'write'] });
        const sessions = await h.get('/users/me/sessions', { token: owner.token });
        assert.equal(sessions.status, 200, sessions.text);
        const sessionId: string = sessions.body.sessions[0].id;
        const newEmail = uniqueEmail('hijack');
        const newPassword = 'an entirely new passphrase 77';
        const attempts: [string, string, unknown][] = [
          ['GET', '/users/me/api-keys', undefined],
          ['POST', '/users/me/api-keys', { name: 'persistence' }],
          ['GET', `/users/me/api-keys/${key.keyId}`, undefined],
          ['PATCH', `/users/me/api-keys/${key.keyId}`, { scopes: [] }],
          ['DELETE', `/users/me/api-keys/${key.keyId}`, undefined],
          ['GET', '/users/me/sessions', undefined],
          ['DELETE', `/users/me/sessions/${sessionId}`, undefined],
          ['POST', '/users/me/sessions/revoke-others', undefined],
          ['POST', '/users/me/change-password', { currentPassword: GOOD_PASSWORD, newPassword }],
          ['POST', '/users/me/change-email', { newEmail, currentPassword: GOOD_PASSWORD }],
          ['POST', '/auth/2fa/enable', { currentPassword: GOOD_PASSWORD }],
        ];
        for (const [method, path, body] of attempts) {
          const response = await h.request(method, path, {
            token: key.apiKey,
            ...(body === undefined ? {} : { body }),
          });
          assert.equal(response.status, 403, `${method} ${path}: ${response.text}`);
          assert.equal(response.body?.code, 'PASSWORD_SESSION_REQUIRED', `${method} ${path}`);
        }
        // Nothing happened: one key with its scopes, the session alive, the password and the
        // email unchanged, no 2FA.
        const keys = await h.get('/users/me/api-keys', { token: owner.token });
        assert.deepEqual(
          keys.body.keys.map((k: { id: string; scopes: string[]; revokedAt: string | null }) => [
            k.id,
            k.scopes,
            k.revokedAt,
          ]),
          [[key.keyId, ['read', 'write'], null]],
        );
        const me = await h.get('/users/me', { token: owner.token });
        assert.equal(me.status, 200, 'the session was not revoked');
        assert.equal(me.body.user.email, owner.email);
        assert.equal(me.body.user.twoFactorEnabled, false);
        await h.login(owner.email, GOOD_PASSWORD);
        await sleep(30); // mail goes out in the background
        assert.equal(h.mail.filter((m) => m.to === newEmail).length, 0, 'no confirmation link was sent');
        await assertOwner(h, key, owner, 'the key itself');
      });

      it('admin routes - an admin’s key with scope admin should get 403 PASSWORD_SESSION_REQUIRED there', async () => {
        const admin = await createKeyOwner(h, { roles: ['admin'] });
        const victim = await createKeyOwner(h);
        const key = await createKey(h, admin, { name: 'admin key', scopes: ['admin'] });
        const base = `/admin/users/${victim.userId}/api-keys`;
        assertProblem(await h.get(base, { token: key.apiKey }), 403, 'PASSWORD_SESSION_REQUIRED');
        assertProblem(
          await h.post(base, { name: 'planted' }, { token: key.apiKey }),
          403,
          'PASSWORD_SESSION_REQUIRED',
        );
        const victims = await h.get('/users/me/api-keys', { token: victim.token });
        assert.deepEqual(victims.body.keys, [], 'no key was planted');
      });
    });

    describe('what a key can never do, with rate limits on', () => {
      it('budget burning - a key’s refused attempts on session-only routes should not spend the owner’s budget for them', async () => {
        const owner = await createKeyOwner(limited);
        const key = await createKey(limited, owner, { name: 'leaked' });
        // The per-account budgets: apiKeyCreate 10 an hour, changePassword 5 in 15 minutes.
        const burns: [string, unknown, number][] = [
          ['/users/me/api-keys', { name: 'burn' }, 10],
          [
            '/users/me/change-password',
            { currentPassword: GOOD_PASSWORD, newPassword: 'burnt burnt burnt 99' },
            5,
          ],
        ];
        for (const [path, body, budget] of burns) {
          for (let n = 0; n < budget; n++) {
            const response = await limited.post(path, body, { token: key.apiKey });
            // Refused either way; which refusal is not the point here.
            assert.ok([403, 429].includes(response.status), `${path}: ${response.text}`);
          }
        }
        // The owner, signed in with a password, must still be able to act on the leak.
        const created = await limited.post(
          '/users/me/api-keys',
          { name: 'replacement' },
          { token: owner.token },
        );
        const changed = await limited.post(
          '/users/me/change-password',
          { currentPassword: GOOD_PASSWORD, newPassword: 'a fresh passphrase after a leak 12' },
          { token: owner.token },
        );
        assert.deepEqual(
          { createKey: created.status, changePassword: changed.status },
          { createKey: 201, changePassword: 204 },
          'the key spent the owner’s per-account budgets: routes count the rate limit before refusing API keys',
        );
      });
    });

    describe('refused keys per address', () => {
      it(`flood - after ${AUTH_FAILURE_LIMIT} refused keys from one address the next should be 429 with Retry-After; a valid key keeps working`, async () => {
        const owner = await createKeyOwner(limited);
        const valid = await createKey(limited, owner, { name: 'valid' });
        const revoked = await createKey(limited, owner, { name: 'revoked' });
        const gone = await limited.request('DELETE', `/users/me/api-keys/${revoked.keyId}`, {
          token: owner.token,
        });
        assert.equal(gone.status, 204);
        const attacker = '203.0.113.7';
        // Every kind of refusal counts: unknown ids, wrong secrets, revoked keys, malformed keys.
        const refused = [
          ...Array.from({ length: 8 }, () => `gh_live_${randomPart(16)}.${randomPart(32)}`),
          ...Array.from({ length: 6 }, () => `gh_live_${valid.keyId}.${randomPart(32)}`),
          ...Array.from({ length: 4 }, () => revoked.apiKey),
          'gh_live_junk',
          `gh_test_${valid.keyId}.${valid.secret}`,
        ];
        assert.equal(refused.length, AUTH_FAILURE_LIMIT);
        for (const token of refused) {
          const response = await whoAmI(limited, token, { from: attacker });
          assert.equal(response.status, 401, response.text);
        }
        const over = await whoAmI(limited, `gh_live_${randomPart(16)}.${randomPart(32)}`, { from: attacker });
        assertProblem(over, 429, 'RATE_LIMITED');
        const retryAfter = Number(over.headers.get('retry-after'));
        assert.ok(
          Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60,
          `Retry-After ${retryAfter}`,
        );
        assertProblem(await whoAmI(limited, revoked.apiKey, { from: attacker }), 429, 'RATE_LIMITED');

        // The valid key, from the same address, is not locked out by the attacker's misses.
        const ok = await whoAmI(limited, valid.apiKey, { from: attacker });
        assert.equal(ok.status, 200, ok.text);
        assert.equal(ok.body.user.id, owner.userId);
        // Another address has its own budget.
        assertRefused(
          await whoAmI(limited, `gh_live_${randomPart(16)}.${randomPart(32)}`, { from: '198.51.100.9' }),
          'API_KEY_INVALID',
        );
      });

      it('flood through the app - refused keys on an application route behind a guard should count toward the same per-address limit', async () => {
        const attacker = '203.0.113.99';
        const statuses: number[] = [];
        for (let n = 0; n <= AUTH_FAILURE_LIMIT; n++) {
          const answer = await appCall(
            limited,
            '/scoped/read',
            `gh_live_${randomPart(16)}.${randomPart(32)}`,
            {
              'X-Forwarded-For': attacker,
            },
          );
          statuses.push(answer.status);
        }
        assert.deepEqual(
          statuses,
          [...Array.from({ length: AUTH_FAILURE_LIMIT }, () => 401), 429],
          'the guards refuse keys without counting them, so the limit can be bypassed through app routes',
        );
      });
    });

    describe('signing keys', () => {
      it('signing key as bearer - should be 401 SIGNATURE_INVALID: its secret must never travel', async () => {
        const owner = await createKeyOwner(h);
        const key = await createKey(h, owner, { name: 'signer', signing: true });
        assertRefused(await whoAmI(h, key.apiKey), 'SIGNATURE_INVALID');
        assert.deepEqual(await appCall(h, '/scoped/read', key.apiKey), {
          status: 401,
          code: 'SIGNATURE_INVALID',
        });
      });
    });
  });
