/**
 * The access pipeline shared by Gatehouse's routes and the guards: an ordered chain of
 * authenticators (the first that recognises the credential decides; a presented but invalid
 * credential is a 401, never a fall-through to the next authenticator or to anonymous), then
 * roles, session-only, cookie-only, scopes and step-up, with every 403 reported once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Hono } from 'hono';
import pino from 'pino';
import { CORE_ERROR_CODES, coreError, isAuthError } from '../core/errors/index.ts';
import type { Principal } from '../core/principal.ts';
import type { AccessDenial } from './access-denial.ts';
import { createHttpApp } from './app.ts';
import type { Authenticator } from './authenticator.ts';
import { createGuards, type GuardEnv } from './guards.ts';
import { type AccessRule, accessRuleOf, createAccessPipeline } from './pipeline.ts';
import { defineRoute } from './route.ts';

const silent = pino({ level: 'silent' });

function principalOf(userId: string, extra: Partial<Principal> = {}): Principal {
  return {
    userId,
    sessionId: `s-${userId}`,
    roles: [],
    authMethods: ['pwd'],
    tokenId: `t-${userId}`,
    expiresAt: Date.now() + 60_000,
    transport: 'bearer',
    ...extra,
  };
}

/** An authenticator that records what was asked of it, in one shared log. */
function recording(
  id: string,
  log: string[],
  behaviour: { read: (request: Request) => string | null; answer: () => Promise<Principal> },
): Authenticator<string> {
  return {
    id,
    read(request) {
      log.push(`${id}.read`);
      return behaviour.read(request);
    },
    authenticate(credential) {
      log.push(`${id}.authenticate(${credential})`);
      return behaviour.answer();
    },
  };
}

/** Reads the value of header `name` when it starts with `prefix`. */
const headerIs = (name: string, prefix: string) => (request: Request) => {
  const value = request.headers.get(name);
  return value?.startsWith(prefix) ? value : null;
};

const REQUIRED: AccessRule = { authentication: 'required' };

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isAuthError(error), `an AuthError, got ${String(error)}`);
    return error.code;
  }
  assert.fail('expected a refusal');
}

describe('access pipeline - authenticator chain', () => {
  it('authenticate - should ask the authenticators in order and let the first that recognises the credential decide', async () => {
    const log: string[] = [];
    const access = createAccessPipeline({
      authenticators: [
        recording('key', log, {
          read: headerIs('authorization', 'Key '),
          answer: async () => principalOf('k'),
        }),
        recording('bearer', log, {
          read: headerIs('authorization', ''),
          answer: async () => principalOf('b'),
        }),
        recording('cookie', log, {
          read: headerIs('cookie', 'sid='),
          answer: async () => principalOf('c'),
        }),
      ],
    });
    const both = new Request('http://x/', { headers: { authorization: 'Bearer t', cookie: 'sid=1' } });
    assert.equal((await access.authenticate(both, REQUIRED))?.userId, 'b');
    assert.deepEqual(
      log,
      ['key.read', 'bearer.read', 'bearer.authenticate(Bearer t)'],
      'the cookie is never asked',
    );

    log.length = 0;
    const key = new Request('http://x/', { headers: { authorization: 'Key k' } });
    assert.equal((await access.authenticate(key, REQUIRED))?.userId, 'k');
    assert.deepEqual(log, ['key.read', 'key.authenticate(Key k)'], 'the credential read is the one checked');

    log.length = 0;
    const cookie = new Request('http://x/', { headers: { cookie: 'sid=1' } });
    assert.equal((await access.authenticate(cookie, REQUIRED))?.userId, 'c');
    assert.deepEqual(log, ['key.read', 'bearer.read', 'cookie.read', 'cookie.authenticate(sid=1)']);
  });

  it('authenticate - should refuse a presented but invalid credential instead of trying the next authenticator', async () => {
    const log: string[] = [];
    const access = createAccessPipeline({
      authenticators: [
        recording('bearer', log, {
          read: headerIs('authorization', 'Bearer '),
          answer: () => Promise.reject(coreError('INVALID_TOKEN')),
        }),
        recording('cookie', log, {
          read: headerIs('cookie', 'sid='),
          answer: async () => principalOf('c'),
        }),
      ],
    });
    const request = new Request('http://x/', { headers: { authorization: 'Bearer stale', cookie: 'sid=1' } });
    assert.equal(await codeOf(access.authenticate(request, REQUIRED)), 'INVALID_TOKEN');
    assert.equal(await codeOf(access.authenticate(request, { authentication: 'optional' })), 'INVALID_TOKEN');
    assert.ok(
      !log.some((entry) => entry.startsWith('cookie.')),
      'the valid cookie behind it is not consulted',
    );
  });

  it('authenticate - should refuse a credential whose authenticator answers no principal', async () => {
    const sloppy: Authenticator = {
      id: 'sloppy',
      read: () => 'anything',
      authenticate: async () => null as unknown as Principal,
    };
    const access = createAccessPipeline({ authenticators: [sloppy] });
    assert.equal(await codeOf(access.authenticate(new Request('http://x/'), REQUIRED)), 'INVALID_TOKEN');
  });

  it('authenticate - should answer null when no authenticator recognises the request, and never look on public rules', async () => {
    const log: string[] = [];
    const access = createAccessPipeline({
      authenticators: [recording('bearer', log, { read: () => null, answer: async () => principalOf('b') })],
    });
    assert.equal(await access.authenticate(new Request('http://x/'), REQUIRED), null);
    assert.deepEqual(log, ['bearer.read']);
    log.length = 0;
    const withToken = new Request('http://x/', { headers: { authorization: 'Bearer t' } });
    assert.equal(await access.authenticate(withToken, { authentication: 'none' }), null);
    assert.deepEqual(log, [], 'a public route reads no credential');
  });

  it('onRefused - should let the refusing authenticator turn its 401 into a 429, only where the address is known', async () => {
    const counted: string[] = [];
    const guessing: Authenticator = {
      id: 'key',
      read: () => 'gh_guess',
      authenticate: () => Promise.reject(coreError('INVALID_TOKEN')),
      async onRefused(error, clientIp) {
        counted.push(`${isAuthError(error) ? error.code : 'other'}@${clientIp}`);
        return counted.length >= 2 ? 30 : null;
      },
    };
    const access = createAccessPipeline({ authenticators: [guessing] });
    assert.equal(access.countsRefusedCredentials, true);
    const request = new Request('http://x/');
    assert.equal(await codeOf(access.authenticate(request, REQUIRED)), 'INVALID_TOKEN');
    assert.deepEqual(counted, [], 'no address, nothing counted');
    assert.equal(await codeOf(access.authenticate(request, REQUIRED, '192.0.2.1')), 'INVALID_TOKEN');
    try {
      await access.authenticate(request, REQUIRED, '192.0.2.1');
      assert.fail('expected a refusal');
    } catch (error) {
      assert.ok(isAuthError(error) && error.code === 'RATE_LIMITED');
      assert.equal(error.retryAfterSeconds, 30);
    }
    assert.deepEqual(counted, ['INVALID_TOKEN@192.0.2.1', 'INVALID_TOKEN@192.0.2.1']);
    assert.equal(createAccessPipeline().countsRefusedCredentials, false);
  });

  it('createAccessPipeline - should refuse two authenticators with one id', () => {
    const one: Authenticator = {
      id: 'bearer',
      read: () => null,
      authenticate: async () => principalOf('x'),
    };
    assert.throws(() => createAccessPipeline({ authenticators: [one, { ...one }] }), TypeError);
    assert.throws(() => createAccessPipeline({ authenticators: [{ ...one, id: '' }] }), TypeError);
  });
});

describe('access pipeline - authorization steps', () => {
  const access = createAccessPipeline();
  const refusal = (principal: Principal | null, rule: AccessRule): string | null => {
    try {
      access.authorize(principal, rule);
      return null;
    } catch (error) {
      return isAuthError(error) ? error.code : 'not an AuthError';
    }
  };
  const key = principalOf('u', {
    roles: ['reader'],
    apiKey: { id: 'k', scopes: ['reader', 'reports:read'] },
  });

  it('authorize - should check a principal, then roles, session-only, cookie-only and scopes, in that order', () => {
    assert.equal(refusal(null, { authentication: 'required', roles: ['admin'] }), 'UNAUTHENTICATED');
    assert.equal(refusal(null, { authentication: 'optional' }), null);
    assert.equal(
      refusal(key, { authentication: 'required', roles: ['admin'], sessionOnly: true }),
      'INSUFFICIENT_ROLES',
    );
    assert.equal(
      refusal(key, { authentication: 'required', sessionOnly: true, cookieOnly: true }),
      'PASSWORD_SESSION_REQUIRED',
    );
    assert.equal(refusal(key, { authentication: 'required', cookieOnly: true, scopes: ['x'] }), 'FORBIDDEN');
    assert.equal(refusal(key, { authentication: 'required', scopes: ['reports:write'] }), 'FORBIDDEN');
    assert.equal(
      refusal(key, { authentication: 'required', roles: ['reader'], scopes: ['reports:read'] }),
      null,
    );
    const person = principalOf('p', { transport: 'cookie' });
    assert.equal(
      refusal(person, { authentication: 'required', scopes: ['reports:write'], cookieOnly: true }),
      null,
    );
  });

  it('authorize - should refuse missing scopes through the scope check a feature provides', () => {
    const scoped = createAccessPipeline({
      checkScopes: (principal, scopes) => {
        if (!scopes.every((scope) => principal.apiKey?.scopes.includes(scope) ?? true)) {
          throw coreError('PASSWORD_SESSION_REQUIRED');
        }
      },
    });
    assert.throws(
      () => scoped.authorize(key, { authentication: 'required', scopes: ['reports:write'] }),
      (error) => isAuthError(error) && error.code === 'PASSWORD_SESSION_REQUIRED',
    );
  });

  it('stepUp - should fail closed without a step-up check and call it only on step-up rules', async () => {
    const principal = principalOf('u');
    const context = { requestId: 'r', clientIp: '192.0.2.1' };
    const request = new Request('http://x/');
    assert.equal(
      await codeOf(access.stepUp(principal, { authentication: 'required', stepUp: true }, request, context)),
      'FORBIDDEN',
    );
    const asked: string[] = [];
    const withHook = createAccessPipeline({
      stepUp: async (who, _request, seen) => {
        asked.push(`${who.userId}@${seen.clientIp}`);
        throw coreError('FORBIDDEN', { detail: 'step up' });
      },
    });
    await withHook.stepUp(principal, REQUIRED, request, context);
    assert.deepEqual(asked, []);
    assert.equal(
      await codeOf(
        withHook.stepUp(principal, { authentication: 'required', stepUp: true }, request, context),
      ),
      'FORBIDDEN',
    );
    assert.deepEqual(asked, ['u@192.0.2.1']);
  });

  it('accessRuleOf - should read no credential on a public route and require a principal on guarded ones', () => {
    const route = (extra: object) =>
      defineRoute({
        method: 'GET',
        path: '/x',
        operationId: 'x',
        summary: 'x',
        responses: { 200: { description: 'ok' } },
        handler: async () => ({ status: 200 }),
        ...extra,
      });
    assert.equal(accessRuleOf(route({})).authentication, 'none');
    assert.equal(accessRuleOf(route({ sessionOnly: true })).authentication, 'none');
    for (const flags of [
      { auth: 'required' },
      { roles: ['admin'] },
      { stepUp: true },
      { cookieOnly: true },
    ]) {
      assert.equal(accessRuleOf(route(flags)).authentication, 'required', JSON.stringify(flags));
    }
    assert.deepEqual(accessRuleOf(route({ roles: ['admin'], sessionOnly: true })), {
      authentication: 'required',
      roles: ['admin'],
      sessionOnly: true,
    });
  });
});

describe('access pipeline - one pipeline for routes and guards', () => {
  /** A credential kind a later feature could contribute (say, an admin acting as a user). */
  const impersonation: Authenticator<string> = {
    id: 'impersonation',
    read: (request) => request.headers.get('x-act-as'),
    async authenticate(userId) {
      if (userId !== 'alice') throw coreError('INVALID_TOKEN');
      return principalOf(userId, { roles: ['support'] });
    },
  };
  const bearer: Authenticator<string> = {
    id: 'bearer',
    read: (request) => request.headers.get('authorization'),
    async authenticate(header) {
      if (header !== 'Bearer good') throw coreError('INVALID_TOKEN');
      return principalOf('bob');
    },
  };

  function build() {
    const denials: AccessDenial[] = [];
    const access = createAccessPipeline({
      authenticators: [impersonation, bearer],
      onAccessDenied: async (denial) => {
        denials.push(denial);
      },
    });
    const routes = [
      defineRoute({
        method: 'GET',
        path: '/me',
        operationId: 'me',
        summary: 'me',
        auth: 'required',
        responses: { 200: { description: 'ok' } },
        handler: async ({ principal }) => ({ status: 200, body: { userId: principal?.userId } }),
      }),
      defineRoute({
        method: 'GET',
        path: '/admin',
        operationId: 'admin',
        summary: 'admin',
        roles: ['admin'],
        responses: { 200: { description: 'ok' } },
        handler: async () => ({ status: 200 }),
      }),
    ];
    const app = createHttpApp({
      routes,
      catalogue: CORE_ERROR_CODES,
      logger: silent,
      openapi: { title: 't', version: '1' },
      access,
    });
    const guards = createGuards({ access, catalogue: CORE_ERROR_CODES, logger: silent });
    const appRoutes = new Hono<GuardEnv>();
    appRoutes.get('/reports', guards.requireAuth(), (c) => c.json({ userId: c.get('principal')?.userId }));
    appRoutes.get('/ops', guards.requireRoles('admin'), (c) => c.json({ ok: true }));
    return { app, appRoutes, denials };
  }

  it('a contributed authenticator - should plug in for built-in routes and application guards alike', async () => {
    const { app, appRoutes } = build();
    const actAs = { 'x-act-as': 'alice' };
    assert.deepEqual(await (await app.request('/me', { headers: actAs })).json(), { userId: 'alice' });
    assert.deepEqual(await (await appRoutes.request('/reports', { headers: actAs })).json(), {
      userId: 'alice',
    });
    const viaBearer = { authorization: 'Bearer good' };
    assert.deepEqual(await (await app.request('/me', { headers: viaBearer })).json(), { userId: 'bob' });
    assert.deepEqual(await (await appRoutes.request('/reports', { headers: viaBearer })).json(), {
      userId: 'bob',
    });
  });

  it('a contributed authenticator - should refuse its invalid credential on both, even beside a valid bearer token', async () => {
    const { app, appRoutes } = build();
    const headers = { 'x-act-as': 'mallory', authorization: 'Bearer good' };
    for (const response of [
      await app.request('/me', { headers }),
      await appRoutes.request('/reports', { headers }),
    ]) {
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { code: string }).code, 'INVALID_TOKEN');
    }
  });

  it('403 reporting - should report a refusal of a route and of a guard the same way, with who was refused', async () => {
    const { app, appRoutes, denials } = build();
    const headers = { 'x-act-as': 'alice', 'x-request-id': 'req-1' };
    assert.equal((await app.request('/admin', { headers })).status, 403);
    assert.equal((await appRoutes.request('/ops', { headers })).status, 403);
    assert.deepEqual(
      denials.map((d) => [d.code, d.method, d.route, d.principal?.userId, d.requestId]),
      [
        ['INSUFFICIENT_ROLES', 'GET', '/admin', 'alice', 'req-1'],
        ['INSUFFICIENT_ROLES', 'GET', '/ops', 'alice', 'req-1'],
      ],
    );
  });
});
