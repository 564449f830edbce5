/**
 * Threat: a client grants itself privileges or rewrites protected account fields by adding
 * them to a request body (mass assignment). Invariant: PATCH /users/me and POST /auth/register
 * accept only their documented fields; a body carrying `roles`, `isActive`, `emailVerified`,
 * `id`, `email` (on PATCH), `passwordHash` or any other unknown field — alone, next to a valid
 * field, or smuggled through `__proto__`/`constructor` — is refused with 422 VALIDATION_FAILED
 * and nothing at all is written: the user read back through GET /users/me is unchanged, and a
 * refused registration creates no account.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type SignedInUser,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';

const PRIVILEGED: readonly Record<string, unknown>[] = [
  { roles: ['admin'] },
  { isActive: false },
  { emailVerified: true },
  { emailVerifiedAt: 0 },
  { id: '00000000-0000-7000-8000-000000000000' },
  {
    passwordHash:
      '$argon2id$v=19$m=8192,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
  },
  { securityStamp: 'x' },
  { twoFactorEnabled: true },
  { createdAt: '2000-01-01T00:00:00.000Z' },
];

/** Raw JSON bodies whose keys `JSON.parse` keeps as own properties (prototype tricks). */
const PROTOTYPE_BODIES: readonly string[] = [
  '{"name":"Mallory","__proto__":{"roles":["admin"]}}',
  '{"name":"Mallory","constructor":{"prototype":{"roles":["admin"]}}}',
];

let h: Harness;
before(async () => {
  h = await createHarness({ config: { registration: { mode: 'open' } } });
});
after(() => h.close());

describe('PATCH /users/me', () => {
  let me: SignedInUser;
  let original: Record<string, unknown>;
  before(async () => {
    me = await h.signedInUser();
    const response = await h.get('/users/me', { token: me.accessToken });
    assert.equal(response.status, 200);
    original = response.body.user;
  });

  async function assertUnchanged(): Promise<void> {
    const now = await h.get('/users/me', { token: me.accessToken });
    assert.equal(now.status, 200, 'the token still works: isActive was not switched off');
    assert.deepEqual(now.body.user, original);
    const stored = await h.auth.repositories.users.findById(me.userId);
    assert.deepEqual(stored?.roles, []);
    assert.equal(stored?.isActive, true);
    assert.equal(stored?.name, null);
    assert.equal(stored?.email, me.email);
  }

  it('mass assignment - should refuse each privileged field alone with 422 and change nothing', async () => {
    for (const field of [...PRIVILEGED, { email: uniqueEmail('takeover') }]) {
      const response = await h.request('PATCH', '/users/me', { token: me.accessToken, body: field });
      assertProblem(response, 422, 'VALIDATION_FAILED');
      await assertUnchanged();
    }
  });

  it('mass assignment - should refuse a privileged field next to a valid name, applying neither', async () => {
    for (const field of PRIVILEGED) {
      const response = await h.request('PATCH', '/users/me', {
        token: me.accessToken,
        body: { name: 'Mallory', ...field },
      });
      assertProblem(response, 422, 'VALIDATION_FAILED');
    }
    await assertUnchanged();
  });

  it('mass assignment - should refuse __proto__ and constructor keys', async () => {
    for (const body of PROTOTYPE_BODIES) {
      const response = await h.request('PATCH', '/users/me', { token: me.accessToken, body });
      assertProblem(response, 422, 'VALIDATION_FAILED');
    }
    await assertUnchanged();
  });

  it('mass assignment - should leave the access token’s roles alone (a refresh carries no admin role)', async () => {
    const refreshed = await h.post('/auth/refresh', { refreshToken: me.refreshToken });
    assert.equal(refreshed.status, 200);
    const claims = JSON.parse(Buffer.from(refreshed.body.accessToken.split('.')[1], 'base64url').toString());
    assert.deepEqual(claims.roles, []);
  });
});

describe('POST /auth/register', () => {
  it('mass assignment - should refuse privileged fields with 422 and create no account', async () => {
    for (const field of PRIVILEGED) {
      const email = uniqueEmail('massreg');
      const response = await h.post('/auth/register', { email, password: GOOD_PASSWORD, ...field });
      assertProblem(response, 422, 'VALIDATION_FAILED');
      assert.equal(
        await h.auth.api.users.findByEmail(email),
        null,
        `no account for ${Object.keys(field)[0]}`,
      );
    }
  });

  it('mass assignment - should refuse __proto__ and constructor keys and create no account', async () => {
    for (const body of PROTOTYPE_BODIES) {
      const email = uniqueEmail('protoreg');
      const raw = body.replace('"name":"Mallory"', `"email":"${email}","password":"${GOOD_PASSWORD}"`);
      assertProblem(await h.post('/auth/register', raw), 422, 'VALIDATION_FAILED');
      assert.equal(await h.auth.api.users.findByEmail(email), null);
    }
  });

  it('mass assignment - should create a plain account from the same body without the extra field', async () => {
    const email = uniqueEmail('plain');
    const response = await h.post('/auth/register', { email, password: GOOD_PASSWORD });
    assert.equal(response.status, 201, response.text);
    assert.deepEqual(response.body.user.roles, []);
    assert.equal(response.body.user.emailVerified, false);
    const stored = await h.auth.repositories.users.findByEmail(email);
    assert.equal(stored?.isActive, true);
    assert.equal(stored?.emailVerifiedAt, null);
  });
});
