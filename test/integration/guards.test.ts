/**
 * Guards for application code: the same access tokens protect the app's own routes, in Hono
 * (`auth.middleware()`, `requireAuth()`, `requireRoles()`) and in Express / plain Node
 * (`toNodeGuard`). They fail closed: a bad token is a 401 even where anonymous callers are
 * allowed, and a missing role is a 403.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { Hono } from 'hono';
import { base32Decode } from '../../src/crypto/base32.ts';
import { totpCode } from '../../src/crypto/totp.ts';
import { toNodeGuard } from '../../src/http/adapters/node/index.ts';
import type { GuardEnv } from '../../src/http/index.ts';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { OWN_ORIGIN, SESSION_COOKIE, signInWithCookie } from '../fixtures/cookie-session.ts';

let h: Harness;
let user: { accessToken: string; userId: string };
let admin: { accessToken: string; userId: string };

before(async () => {
  h = await createHarness();
  user = await h.signedInUser();
  const email = uniqueEmail('admin');
  await h.auth.api.users.create({ email, password: GOOD_PASSWORD, roles: ['admin'], emailVerified: true });
  admin = await h.login(email, GOOD_PASSWORD);
});
after(() => h.close());

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('Hono guards', () => {
  const app = () => {
    const hono = new Hono<GuardEnv>();
    hono.get('/public', h.auth.middleware(), (c) => c.json({ userId: c.get('principal')?.userId ?? null }));
    hono.get('/private', h.auth.requireAuth(), (c) => c.json({ userId: c.get('principal')?.userId }));
    hono.get('/admin', h.auth.requireRoles('admin'), (c) => c.json({ ok: true }));
    return hono;
  };

  it('middleware - should set the principal when a valid token is sent and null when none is', async () => {
    const anonymous = await app().request('/public');
    assert.deepEqual(await anonymous.json(), { userId: null });
    const signedIn = await app().request('/public', { headers: bearer(user.accessToken) });
    assert.deepEqual(await signedIn.json(), { userId: user.userId });
  });

  it('middleware - should refuse a presented but invalid token instead of treating it as anonymous', async () => {
    const response = await app().request('/public', { headers: bearer(`${user.accessToken}x`) });
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { code: string }).code, 'INVALID_TOKEN');
    assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
  });

  it('requireAuth - should answer 401 UNAUTHENTICATED without a token and pass the principal with one', async () => {
    const anonymous = await app().request('/private');
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { code: string }).code, 'UNAUTHENTICATED');
    const signedIn = await app().request('/private', { headers: bearer(user.accessToken) });
    assert.deepEqual(await signedIn.json(), { userId: user.userId });
  });

  it('requireRoles - should answer 403 INSUFFICIENT_ROLES without the role and 200 with it', async () => {
    const forbidden = await app().request('/admin', { headers: bearer(user.accessToken) });
    assert.equal(forbidden.status, 403);
    assert.equal(((await forbidden.json()) as { code: string }).code, 'INSUFFICIENT_ROLES');
    assert.equal((await app().request('/admin', { headers: bearer(admin.accessToken) })).status, 200);
    assert.equal((await app().request('/admin')).status, 401);
  });

  it('requireRoles - should refuse to be built without a role (it would let everyone in)', () => {
    assert.throws(() => h.auth.requireRoles(), TypeError);
    assert.throws(() => h.auth.requireRoles(''), TypeError);
  });

  it('requireAuth - should refuse a token once its session is logged out', async () => {
    const other = await h.signedInUser();
    assert.equal((await app().request('/private', { headers: bearer(other.accessToken) })).status, 200);
    assert.equal((await h.post('/auth/logout', undefined, { token: other.accessToken })).status, 204);
    assert.equal((await app().request('/private', { headers: bearer(other.accessToken) })).status, 401);
  });
});

describe('requireStepUp', () => {
  let t = Date.now();
  let timed: Harness;
  before(async () => {
    timed = await createHarness({ config: { clock: { now: () => t } } });
  });
  after(() => timed.close());

  it('requireStepUp - should let a user without 2FA through, and ask a 2FA user for a recent second factor', async () => {
    const hono = new Hono<GuardEnv>();
    hono.post('/transfer', timed.auth.requireStepUp(), (c) => c.json({ userId: c.get('principal')?.userId }));
    const transfer = (headers: Record<string, string> = {}) =>
      hono.request('/transfer', { method: 'POST', headers });
    const signedIn = await timed.signedInUser();
    assert.equal((await transfer()).status, 401);
    assert.deepEqual(await (await transfer(bearer(signedIn.accessToken))).json(), {
      userId: signedIn.userId,
    });

    const enabled = await timed.post(
      '/auth/2fa/enable',
      { currentPassword: signedIn.password },
      { token: signedIn.accessToken },
    );
    const seed = base32Decode(enabled.body.secret);
    const confirmed = await timed.post(
      '/auth/2fa/enable/confirm',
      { enrollmentToken: enabled.body.enrollmentToken, code: totpCode(seed, { timeMs: t }) },
      { token: signedIn.accessToken },
    );
    assert.equal(confirmed.status, 200);
    // Confirming was a second factor for this session: within the window, it passes.
    assert.equal((await transfer(bearer(signedIn.accessToken))).status, 200);

    t += 6 * 60_000;
    const stale = await transfer(bearer(signedIn.accessToken));
    assert.equal(stale.status, 403);
    assert.equal(((await stale.json()) as { code: string }).code, 'STEP_UP_REQUIRED');
    const wrong = await transfer({ ...bearer(signedIn.accessToken), 'X-2FA-Code': '000000' });
    assert.equal(wrong.status, 400);
    assert.equal(((await wrong.json()) as { code: string }).code, 'TWO_FACTOR_CODE_INVALID');
    const withCode = await transfer({
      ...bearer(signedIn.accessToken),
      'X-2FA-Code': totpCode(seed, { timeMs: t }),
    });
    assert.equal(withCode.status, 200);
  });
});

describe('Express guards (toNodeGuard)', () => {
  let server: Server;
  let base: string;

  before(async () => {
    const app = express();
    app.get('/private', toNodeGuard(h.auth.guards, []), (req, res) => {
      res.json({ userId: (req as { principal?: { userId: string } }).principal?.userId });
    });
    app.get('/admin', toNodeGuard(h.auth.guards, ['admin']), (_req, res) => {
      res.json({ ok: true });
    });
    app.post('/transfer', toNodeGuard(h.auth.guards, []), (_req, res) => {
      res.json({ moved: true });
    });
    server = createServer(app).listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('toNodeGuard - should pass the principal to the handler and answer problem+json 401/403 otherwise', async () => {
    const ok = await fetch(`${base}/private`, { headers: bearer(user.accessToken) });
    assert.deepEqual(await ok.json(), { userId: user.userId });
    const anonymous = await fetch(`${base}/private`);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.headers.get('content-type'), 'application/problem+json');
    assert.equal(((await anonymous.json()) as { code: string }).code, 'UNAUTHENTICATED');
    const forbidden = await fetch(`${base}/admin`, { headers: bearer(user.accessToken) });
    assert.equal(forbidden.status, 403);
    assert.equal(((await forbidden.json()) as { code: string }).code, 'INSUFFICIENT_ROLES');
    assert.equal((await fetch(`${base}/admin`, { headers: bearer(admin.accessToken) })).status, 200);
    const bad = await fetch(`${base}/private`, { headers: bearer('not-a-token') });
    assert.equal(bad.status, 401);
    assert.equal(((await bad.json()) as { code: string }).code, 'INVALID_TOKEN');
  });

  it('CSRF through toNodeGuard - a cookie-authenticated POST should need the token and an allowed origin', async () => {
    const email = uniqueEmail('express-cookie');
    await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
    const session = await signInWithCookie(h, email);
    const cookie = { Cookie: `${SESSION_COOKIE}=${session.value}` };
    // The method and the CSRF headers reach the check: without them, a forged POST would pass.
    const forged = await fetch(`${base}/transfer`, {
      method: 'POST',
      headers: { ...cookie, Origin: 'https://evil.example' },
    });
    assert.equal(forged.status, 403);
    assert.equal(((await forged.json()) as { code: string }).code, 'CSRF_FAILED');
    const missing = await fetch(`${base}/transfer`, {
      method: 'POST',
      headers: { ...cookie, Origin: OWN_ORIGIN },
    });
    assert.equal(missing.status, 403);
    const allowed = await fetch(`${base}/transfer`, {
      method: 'POST',
      headers: { ...cookie, Origin: OWN_ORIGIN, 'X-CSRF-Token': session.csrfToken },
    });
    assert.deepEqual(await allowed.json(), { moved: true });
  });
});
