/**
 * Threat: a stolen or forgotten browser session lives forever — an idle one on a shared
 * computer, or a busy one kept alive by use (or by a script replaying it), or a "remember me"
 * session (or a renewed one) that outlives its promised lifetime; or the lookup cache in front
 * of the database keeps answering for a session the clock has already ended.
 * Invariant (checked with the injectable clock): a cookie session dies 12 h after its last
 * recorded use, and each use slides that, written at most once per `touchIntervalSeconds`
 * (60 s); it dies 7 days after login however busy (30 days with `rememberMe`, never more);
 * a renewal (password change) keeps the original absolute expiry, and a remembered session
 * keeps a persistent cookie (Max-Age = the time it has left). Expiry holds on cache hits:
 * each case first puts the session into the credential cache (real-time TTL of 300 s, far
 * longer than these tests take) and checks it is there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type JsonResponse,
} from '../fixtures/auth-harness.ts';
import {
  type CookieSession,
  cookieHeaders,
  createVerifiedUser,
  OWN_PAGE,
  sessionCookieFrom,
  signInWithCookie,
} from '../fixtures/cookie-session.ts';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const RENEWED_PASSWORD = 'a renewed horse battery staple 9';

/** The instance's clock: starts at real time (so cache TTLs computed from it are sane), moves only forward. */
let t = Date.now();
let h: Harness;
before(async () => {
  h = await createHarness({ config: { clock: { now: () => t } } });
});
after(() => h.close());

/** A fresh verified account's email. */
async function newAccount(): Promise<string> {
  return (await createVerifiedUser(h, 'expiry')).email;
}

function me(session: CookieSession): Promise<JsonResponse> {
  return h.get('/users/me', { headers: cookieHeaders(session) });
}

async function assertAlive(session: CookieSession, label: string): Promise<void> {
  const response = await me(session);
  assert.equal(response.status, 200, `${label}: ${response.status} ${response.text}`);
}

async function assertDead(session: CookieSession): Promise<void> {
  assertProblem(await me(session), 401, 'INVALID_TOKEN');
}

/** Whether the credential cache holds a live entry for the session (not a revocation marker). */
async function isCached(session: CookieSession): Promise<boolean> {
  const raw = await h.auth.stores.keyValue.get(`sc:${session.sessionId}`);
  return raw !== null && raw !== '-';
}

/**
 * Uses the session until the credential cache holds it: a request that slides the expiry drops
 * the cached copy, so the request after it (within the touch interval) is the one that fills it.
 */
async function warmCache(session: CookieSession): Promise<void> {
  await assertAlive(session, 'warming the cache');
  await assertAlive(session, 'warming the cache');
  assert.ok(await isCached(session), 'the session is in the credential cache');
}

/** Uses the session every `step` from the current time until (not including) `until`. */
async function keepBusy(session: CookieSession, until: number, step: number): Promise<void> {
  const start = t;
  for (let at = start + step; at < until; at += step) {
    t = at;
    await assertAlive(session, `busy at +${(at - start) / HOUR} h`);
  }
}

async function lastUsedAt(session: CookieSession): Promise<number> {
  const listed = await h.get('/users/me/sessions', { headers: cookieHeaders(session) });
  assert.equal(listed.status, 200, listed.text);
  const entry = listed.body.sessions.find((s: { id: string }) => s.id === session.sessionId);
  assert.ok(entry, 'the session is listed');
  return Date.parse(entry.lastUsedAt);
}

async function storedExpiry(session: CookieSession): Promise<{ idle: number; absolute: number }> {
  const row = await h.auth.database.db
    .selectFrom('sessions')
    .select(['idle_expires_at', 'absolute_expires_at'])
    .where('id', '=', session.sessionId)
    .executeTakeFirstOrThrow();
  return { idle: Number(row.idle_expires_at), absolute: Number(row.absolute_expires_at) };
}

/** POST /users/me/change-password over the cookie session; answers the renewed session. */
async function changePassword(
  session: CookieSession,
  passwords: { current: string; next: string },
): Promise<CookieSession> {
  const changed = await h.post(
    '/users/me/change-password',
    { currentPassword: passwords.current, newPassword: passwords.next },
    { headers: cookieHeaders(session, OWN_PAGE) },
  );
  assert.equal(changed.status, 204, changed.text);
  const renewed = { ...sessionCookieFrom(changed), csrfToken: changed.headers.get('X-CSRF-Token') ?? '' };
  assert.notEqual(renewed.sessionId, session.sessionId, 'the renewal moved the session to a new id');
  return renewed;
}

describe('idle timeout', () => {
  it('idle session hijack - should end a session unused for 12 hours, even while it sits in the cache', async () => {
    const t0 = t;
    const session = await signInWithCookie(h, await newAccount());
    t = t0 + SECOND;
    await warmCache(session);
    t = t0 + 12 * HOUR - SECOND;
    await assertAlive(session, 'just before the idle timeout');
    // That request slid the expiry; a second session shows the boundary itself.
    const idle = await signInWithCookie(h, await newAccount());
    const t1 = t;
    t = t1 + SECOND;
    await warmCache(idle);
    t = t1 + 12 * HOUR;
    assert.ok(await isCached(idle), 'the cache still holds it: the expiry check must apply to cache hits');
    await assertDead(idle);
    t = t1 + 12 * HOUR + MINUTE;
    await assertDead(idle);
  });

  it('idle session hijack - should slide the idle expiry on use: used at 11 h, alive until 23 h', async () => {
    const t0 = t;
    const email = await newAccount();
    const a = await signInWithCookie(h, email);
    const b = await signInWithCookie(h, email);
    t = t0 + 11 * HOUR;
    await assertAlive(a, 'a at 11 h');
    await assertAlive(b, 'b at 11 h');
    assert.equal((await storedExpiry(a)).idle, t0 + 23 * HOUR);
    t = t0 + 11 * HOUR + SECOND;
    await warmCache(a);
    await warmCache(b);
    t = t0 + 12 * HOUR;
    // Past the original idle expiry: the slide at 11 h keeps it alive.
    await assertAlive(b, 'b at 12 h');
    t = t0 + 23 * HOUR - SECOND;
    await assertAlive(b, 'b just before 23 h');
    t = t0 + 23 * HOUR;
    assert.ok(await isCached(a), 'the cache still holds a: the expiry check must apply to cache hits');
    await assertDead(a);
  });

  it('idle session hijack - should drop an idle-expired session from the session list', async () => {
    const t0 = t;
    const email = await newAccount();
    const idle = await signInWithCookie(h, email);
    t = t0 + 6 * HOUR;
    const busy = await signInWithCookie(h, email);
    t = t0 + 12 * HOUR;
    const listed = await h.get('/users/me/sessions', { headers: cookieHeaders(busy) });
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      listed.body.sessions.map((s: { id: string }) => s.id),
      [busy.sessionId],
    );
    await assertDead(idle);
  });
});

describe('touch throttling', () => {
  it('write amplification - should record use at most once per 60 s touch interval', async () => {
    const t0 = t;
    const session = await signInWithCookie(h, await newAccount());
    assert.equal(await lastUsedAt(session), t0);
    for (const offset of [1 * SECOND, 10 * SECOND, 30 * SECOND, 59 * SECOND, 60 * SECOND - 1]) {
      t = t0 + offset;
      await assertAlive(session, `at +${offset} ms`);
      assert.equal(await lastUsedAt(session), t0, `no write within the interval (+${offset} ms)`);
    }
    assert.equal((await storedExpiry(session)).idle, t0 + 12 * HOUR, 'the idle expiry did not move either');

    t = t0 + 60 * SECOND;
    assert.equal(await lastUsedAt(session), t0 + 60 * SECOND, 'written once the interval has passed');
    assert.equal((await storedExpiry(session)).idle, t0 + 60 * SECOND + 12 * HOUR);
    for (const offset of [61 * SECOND, 90 * SECOND, 119 * SECOND]) {
      t = t0 + offset;
      await assertAlive(session, `at +${offset} ms`);
      assert.equal(await lastUsedAt(session), t0 + 60 * SECOND, `throttled again (+${offset} ms)`);
    }
    t = t0 + 120 * SECOND;
    await assertAlive(session, 'at +120 s');
    assert.equal(await lastUsedAt(session), t0 + 120 * SECOND);
  });

  it('write amplification - should honour a configured touch interval', async () => {
    let clock = Date.now();
    const custom = await createHarness({
      config: { clock: { now: () => clock }, cookies: { touchIntervalSeconds: 600 } },
    });
    try {
      const { email } = await createVerifiedUser(custom, 'touch');
      const session = await signInWithCookie(custom, email);
      const c0 = clock;
      const listedAt = async (): Promise<number> => {
        const listed = await custom.get('/users/me/sessions', { headers: cookieHeaders(session) });
        assert.equal(listed.status, 200, listed.text);
        return Date.parse(listed.body.sessions[0].lastUsedAt);
      };
      clock = c0 + 5 * MINUTE;
      assert.equal(await listedAt(), c0);
      clock = c0 + 10 * MINUTE - 1;
      assert.equal(await listedAt(), c0);
      clock = c0 + 10 * MINUTE;
      assert.equal(await listedAt(), c0 + 10 * MINUTE);
    } finally {
      await custom.close();
    }
  });
});

describe('absolute timeout', () => {
  it('session kept alive forever - should end a busy session 7 days after login', async () => {
    const t0 = t;
    const session = await signInWithCookie(h, await newAccount());
    assert.equal((await storedExpiry(session)).absolute, t0 + 7 * DAY);
    // Used every 6 hours: the idle timeout never fires.
    await keepBusy(session, t0 + 7 * DAY, 6 * HOUR);
    assert.ok((await storedExpiry(session)).idle <= t0 + 7 * DAY, 'sliding never passes the absolute expiry');
    t = t0 + 7 * DAY - MINUTE;
    await warmCache(session);
    t = t0 + 7 * DAY;
    assert.ok(await isCached(session), 'the cache still holds it: the expiry check must apply to cache hits');
    await assertDead(session);
  });

  it('session kept alive forever - should extend the absolute timeout to 30 days with rememberMe, not more', async () => {
    const t0 = t;
    const session = await signInWithCookie(h, await newAccount(), { rememberMe: true });
    assert.match(session.setCookie, /; Max-Age=2592000$/);
    assert.equal((await storedExpiry(session)).absolute, t0 + 30 * DAY);
    await keepBusy(session, t0 + 7 * DAY + HOUR, 11 * HOUR);
    t = t0 + 7 * DAY + HOUR;
    await assertAlive(session, 'past the ordinary 7 days');
    await keepBusy(session, t0 + 30 * DAY, 11 * HOUR);
    t = t0 + 30 * DAY - SECOND;
    await warmCache(session);
    t = t0 + 30 * DAY;
    await assertDead(session);
  });

  it('session kept alive forever - should keep the original absolute expiry when a password change renews the session', async () => {
    const t0 = t;
    const email = await newAccount();
    const session = await signInWithCookie(h, email);
    await keepBusy(session, t0 + 6 * DAY, 11 * HOUR);
    t = t0 + 6 * DAY;
    const renewed = await changePassword(session, { current: GOOD_PASSWORD, next: RENEWED_PASSWORD });
    assert.doesNotMatch(renewed.setCookie, /max-age/i, 'not remembered before, not remembered now');
    assert.equal((await storedExpiry(renewed)).absolute, t0 + 7 * DAY);
    await keepBusy(renewed, t0 + 7 * DAY - SECOND, 11 * HOUR);
    t = t0 + 7 * DAY - SECOND;
    await assertAlive(renewed, 'renewed, before the original absolute expiry');
    t = t0 + 7 * DAY;
    await assertDead(renewed);
  });

  it('session kept alive forever - should give a renewed remembered session only the time it had left', async () => {
    const t0 = t;
    const session = await signInWithCookie(h, await newAccount(), { rememberMe: true });
    await keepBusy(session, t0 + 10 * DAY, 11 * HOUR);
    t = t0 + 10 * DAY;
    const renewed = await changePassword(session, { current: GOOD_PASSWORD, next: RENEWED_PASSWORD });
    assert.match(renewed.setCookie, new RegExp(`; Max-Age=${(20 * DAY) / SECOND}$`));
    assert.equal((await storedExpiry(renewed)).absolute, t0 + 30 * DAY);
  });

  it('session kept alive forever - should keep a remembered session remembered, never longer, through repeated renewals', async () => {
    const t0 = t;
    const session = await signInWithCookie(h, await newAccount(), { rememberMe: true });
    await keepBusy(session, t0 + 24 * DAY, 11 * HOUR);
    t = t0 + 24 * DAY;
    const first = await changePassword(session, { current: GOOD_PASSWORD, next: RENEWED_PASSWORD });
    assert.match(first.setCookie, new RegExp(`; Max-Age=${(6 * DAY) / SECOND}$`));
    t = t0 + 24 * DAY + 6 * HOUR;
    const second = await changePassword(first, { current: RENEWED_PASSWORD, next: GOOD_PASSWORD });
    assert.equal((await storedExpiry(second)).absolute, t0 + 30 * DAY, 'never extended');
    // The browser must keep the cookie until the session's end, as the user asked at login.
    assert.match(second.setCookie, new RegExp(`; Max-Age=${(6 * DAY - 6 * HOUR) / SECOND}$`));
  });
});
