/**
 * Application hooks: event hooks hear what happened after the fact and can never break or
 * change a flow; the beforeRegister gate can refuse a registration (failing closed on a throw).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HookEvent } from '../../src/features/audit/index.ts';
import { assertProblem, createHarness, GOOD_PASSWORD, uniqueEmail } from '../fixtures/auth-harness.ts';

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

describe('event hooks', () => {
  it('hooks - should be called with the event after login, failed login, logout and registration', async () => {
    const events: HookEvent[] = [];
    const push = (event: HookEvent) => {
      events.push(event);
    };
    const h = await createHarness({
      config: {
        registration: { mode: 'open' },
        hooks: { onUserRegistered: push, onLogin: push, onLoginFailed: push, onSessionRevoked: push },
      },
    });
    try {
      const email = uniqueEmail('hooked');
      assert.equal((await h.post('/auth/register', { email, password: GOOD_PASSWORD })).status, 201);
      await h.post('/auth/login', { email, password: 'not the password at all' });
      const me = await h.login(email, GOOD_PASSWORD);
      assert.equal((await h.post('/auth/logout', undefined, { token: me.accessToken })).status, 204);
      await settle();
      assert.deepEqual(
        events.map((e) => e.type),
        ['user.registered', 'login.failure', 'login.success', 'session.logout'],
      );
      assert.ok(events.every((e) => e.userId === me.userId && typeof e.requestId === 'string'));
      assert.ok(!JSON.stringify(events).includes(GOOD_PASSWORD));
    } finally {
      await h.close();
    }
  });

  it('hooks - a hook that throws or rejects should change nothing', async () => {
    const h = await createHarness({
      config: {
        hooks: {
          onLogin: () => {
            throw new Error('hook bug');
          },
          onLoginFailed: async () => {
            throw new Error('async hook bug');
          },
        },
      },
    });
    try {
      const me = await h.signedInUser();
      assert.equal(
        (await h.post('/auth/login', { email: me.email, password: 'wrong password here' })).status,
        401,
      );
      assert.equal((await h.post('/auth/login', { email: me.email, password: me.password })).status, 200);
    } finally {
      await h.close();
    }
  });
});

describe('beforeRegister gate', () => {
  const gated = (gate: (input: { email: string; name: string | null }) => boolean | Promise<boolean>) =>
    createHarness({ config: { registration: { mode: 'open' }, hooks: { beforeRegister: gate } } });

  it('beforeRegister - should let true through and refuse false with 403, creating nothing', async () => {
    const h = await gated(({ email }) => email.endsWith('@allowed.example'));
    try {
      assert.equal(
        (await h.post('/auth/register', { email: 'ann@allowed.example', password: GOOD_PASSWORD })).status,
        201,
      );
      const refused = await h.post('/auth/register', {
        email: 'bob@elsewhere.example',
        password: GOOD_PASSWORD,
      });
      assertProblem(refused, 403, 'FORBIDDEN');
      assert.equal(await h.auth.api.users.findByEmail('bob@elsewhere.example'), null);
    } finally {
      await h.close();
    }
  });

  it('beforeRegister - should fail closed when the gate throws', async () => {
    const h = await gated(async () => {
      throw new Error('directory unreachable');
    });
    try {
      assertProblem(
        await h.post('/auth/register', { email: uniqueEmail('x'), password: GOOD_PASSWORD }),
        403,
        'FORBIDDEN',
      );
    } finally {
      await h.close();
    }
  });
});
