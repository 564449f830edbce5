/**
 * Threat: cross-site request forgery — a page on another origin makes the victim's browser
 * send a state-changing request that the ambient session cookie authenticates (change the
 * profile, change the password, sign out, revoke a session); or login CSRF, where a foreign
 * page signs the browser into the attacker's account.
 * Invariant: a cookie-authenticated PATCH/POST/DELETE (profile, password, sign-out, session
 * revocation, change of email) needs both an allowed origin (Origin
 * when present — `null` never passes; else `Sec-Fetch-Site: same-origin`; else a Referer on an
 * allowed origin; with none of them, no) and the session's own X-CSRF-Token. Anything less is
 * 403 CSRF_FAILED and nothing changes (checked by reading the state back: name, password,
 * sessions). Allowed origins are our own, `csrf.trustedOrigins` and `cors.origins`. GETs and
 * bearer requests need neither. POST /auth/session from a foreign origin sets no cookie and
 * creates no session. Bodies that a form can send cross-site without a preflight (text/plain,
 * urlencoded, multipart) are refused with 415 even with a valid cookie and token.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type JsonResponse,
  type SignedInUser,
} from '../fixtures/auth-harness.ts';
import {
  type CookieSession,
  cookieHeaders,
  createVerifiedUser,
  OWN_ORIGIN,
  OWN_PAGE,
  SESSION_COOKIE,
  signInWithCookie,
} from '../fixtures/cookie-session.ts';

const TRUSTED_ORIGIN = 'https://app.example.test';
const CORS_ORIGIN = 'https://spa.example.test';
const EVIL_ORIGIN = 'https://evil.example';
const ATTACKER_PASSWORD = 'mallory owns this account now 41';

/** A victim signed in twice by cookie and once by bearer; `cookie` is the one attacked. */
interface Victim {
  readonly userId: string;
  readonly email: string;
  readonly cookie: CookieSession;
  readonly otherCookie: CookieSession;
  readonly bearer: SignedInUser;
  readonly passwordHash: string | null;
  readonly securityStamp: string;
}

let h: Harness;
/** Someone else's valid session, whose CSRF token the attacker holds. */
let attacker: CookieSession;

before(async () => {
  h = await createHarness({
    config: { csrf: { trustedOrigins: [TRUSTED_ORIGIN] }, cors: { origins: [CORS_ORIGIN] } },
  });
  const { email } = await createVerifiedUser(h, 'csrf');
  attacker = await signInWithCookie(h, email);
});
after(() => h.close());

async function newVictim(): Promise<Victim> {
  const { email } = await createVerifiedUser(h, 'csrf');
  const cookie = await signInWithCookie(h, email);
  const otherCookie = await signInWithCookie(h, email);
  const bearer = await h.login(email);
  const stored = await h.auth.repositories.users.findById(bearer.userId);
  assert.ok(stored);
  return {
    userId: bearer.userId,
    email,
    cookie,
    otherCookie,
    bearer,
    passwordHash: stored.passwordHash,
    securityStamp: stored.securityStamp,
  };
}

/** Everything a forged request could have changed is as it was. */
async function assertNothingChanged(victim: Victim): Promise<void> {
  const me = await h.get('/users/me', { headers: cookieHeaders(victim.cookie) });
  assert.equal(me.status, 200, `the attacked cookie session is still alive: ${me.text}`);
  assert.equal(me.body.user.name, null, 'the name did not change');
  const stored = await h.auth.repositories.users.findById(victim.userId);
  assert.equal(stored?.passwordHash, victim.passwordHash, 'the password did not change');
  assert.equal(stored?.securityStamp, victim.securityStamp);
  const listed = await h.get('/users/me/sessions', { headers: cookieHeaders(victim.cookie) });
  assert.equal(listed.status, 200);
  assert.deepEqual(
    listed.body.sessions.map((s: { id: string }) => s.id).sort(),
    [victim.cookie.sessionId, victim.otherCookie.sessionId, jwtSid(victim.bearer.accessToken)].sort(),
    'no session was revoked or renewed',
  );
  const bearer = await h.get('/users/me', { token: victim.bearer.accessToken });
  assert.equal(bearer.status, 200, 'the bearer session still works');
}

function jwtSid(token: string): string {
  const payload = JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString('utf8'));
  return payload.sid as string;
}

/** One state-changing endpoint a cookie authenticates. */
interface Target {
  readonly label: string;
  readonly method: string;
  path(victim: Victim): string;
  body?(victim: Victim): unknown;
  /** After a legitimate request: the change is really there (so refusals are not vacuous). */
  assertChanged(victim: Victim, response: JsonResponse): Promise<void>;
  /** Effects beyond the account's state that a refused request must not have had. */
  assertNotDone?(victim: Victim): Promise<void>;
}

/** Where the forged change-of-email requests want the account moved. */
const takeoverAddress = (victim: Victim) => `takeover-${victim.userId}@example.test`;

const TARGETS: readonly Target[] = [
  {
    label: 'PATCH /users/me',
    method: 'PATCH',
    path: () => '/users/me',
    body: () => ({ name: 'Mallory' }),
    async assertChanged(victim, response) {
      assert.equal(response.status, 200, response.text);
      const me = await h.get('/users/me', { token: victim.bearer.accessToken });
      assert.equal(me.body.user.name, 'Mallory');
    },
  },
  {
    label: 'POST /users/me/change-password',
    method: 'POST',
    path: () => '/users/me/change-password',
    body: () => ({ currentPassword: GOOD_PASSWORD, newPassword: ATTACKER_PASSWORD }),
    async assertChanged(victim, response) {
      assert.equal(response.status, 204, response.text);
      const login = await h.post('/auth/login', { email: victim.email, password: ATTACKER_PASSWORD });
      assert.equal(login.status, 200);
    },
  },
  {
    label: 'DELETE /auth/session',
    method: 'DELETE',
    path: () => '/auth/session',
    async assertChanged(victim, response) {
      assert.equal(response.status, 204, response.text);
      assert.deepEqual(response.headers.getSetCookie(), [
        `${SESSION_COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`,
      ]);
      assertProblem(
        await h.get('/users/me', { headers: cookieHeaders(victim.cookie) }),
        401,
        'INVALID_TOKEN',
      );
    },
  },
  {
    label: 'DELETE /users/me/sessions/:id',
    method: 'DELETE',
    path: (victim) => `/users/me/sessions/${victim.otherCookie.sessionId}`,
    async assertChanged(victim, response) {
      assert.equal(response.status, 204, response.text);
      assertProblem(
        await h.get('/users/me', { headers: cookieHeaders(victim.otherCookie) }),
        401,
        'INVALID_TOKEN',
      );
    },
  },
  // The same check guards every other cookie-authenticated unsafe route.
  {
    label: 'POST /users/me/sessions/revoke-others',
    method: 'POST',
    path: () => '/users/me/sessions/revoke-others',
    async assertChanged(victim, response) {
      assert.equal(response.status, 204, response.text);
      assertProblem(
        await h.get('/users/me', { headers: cookieHeaders(victim.otherCookie) }),
        401,
        'INVALID_TOKEN',
      );
      assertProblem(await h.get('/users/me', { token: victim.bearer.accessToken }), 401, 'INVALID_TOKEN');
    },
  },
  {
    label: 'POST /auth/logout',
    method: 'POST',
    path: () => '/auth/logout',
    async assertChanged(victim, response) {
      assert.equal(response.status, 204, response.text);
      assertProblem(
        await h.get('/users/me', { headers: cookieHeaders(victim.cookie) }),
        401,
        'INVALID_TOKEN',
      );
    },
  },
  {
    label: 'POST /users/me/change-email',
    method: 'POST',
    path: () => '/users/me/change-email',
    body: (victim) => ({ newEmail: takeoverAddress(victim), currentPassword: GOOD_PASSWORD }),
    async assertChanged(victim, response) {
      assert.equal(response.status, 202, response.text);
      await h.mailTo(takeoverAddress(victim));
    },
    async assertNotDone(victim) {
      assert.ok(
        h.mail.every((m) => m.to !== takeoverAddress(victim)),
        'no confirmation link went to the new address',
      );
    },
  },
];

/** A token of the right shape (key id, dot, 43 base64url characters) that no server made. */
const FORGED_TOKEN = `k1.${randomBytes(32).toString('base64url')}`;

/** Forged requests: headers besides the victim's cookie, each missing one defence. */
const REFUSED: readonly { label: string; headers(victim: Victim): Record<string, string> }[] = [
  { label: 'no X-CSRF-Token', headers: () => ({ Origin: OWN_ORIGIN }) },
  { label: 'an empty X-CSRF-Token', headers: () => ({ Origin: OWN_ORIGIN, 'X-CSRF-Token': '' }) },
  { label: 'a wrong X-CSRF-Token', headers: () => ({ Origin: OWN_ORIGIN, 'X-CSRF-Token': FORGED_TOKEN }) },
  {
    label: "the X-CSRF-Token of the same user's other session",
    headers: (v) => ({ Origin: OWN_ORIGIN, 'X-CSRF-Token': v.otherCookie.csrfToken }),
  },
  {
    label: "the X-CSRF-Token of another user's session",
    headers: () => ({ Origin: OWN_ORIGIN, 'X-CSRF-Token': attacker.csrfToken }),
  },
  {
    label: 'the session id as the X-CSRF-Token',
    headers: (v) => ({ Origin: OWN_ORIGIN, 'X-CSRF-Token': v.cookie.sessionId }),
  },
  {
    label: 'a foreign Origin',
    headers: (v) => ({ Origin: EVIL_ORIGIN, 'X-CSRF-Token': v.cookie.csrfToken }),
  },
  {
    label: 'a sibling-subdomain Origin',
    headers: (v) => ({ Origin: 'https://evil.auth.example.test', 'X-CSRF-Token': v.cookie.csrfToken }),
  },
  {
    label: 'our own host over http',
    headers: (v) => ({ Origin: 'http://auth.example.test', 'X-CSRF-Token': v.cookie.csrfToken }),
  },
  { label: 'Origin: null', headers: (v) => ({ Origin: 'null', 'X-CSRF-Token': v.cookie.csrfToken }) },
  {
    label: 'a foreign Origin claiming Sec-Fetch-Site: same-origin',
    headers: (v) => ({
      Origin: EVIL_ORIGIN,
      'Sec-Fetch-Site': 'same-origin',
      'X-CSRF-Token': v.cookie.csrfToken,
    }),
  },
  {
    label: 'no Origin and Sec-Fetch-Site: cross-site',
    headers: (v) => ({ 'Sec-Fetch-Site': 'cross-site', 'X-CSRF-Token': v.cookie.csrfToken }),
  },
  {
    label: 'no Origin and Sec-Fetch-Site: same-site',
    headers: (v) => ({ 'Sec-Fetch-Site': 'same-site', 'X-CSRF-Token': v.cookie.csrfToken }),
  },
  {
    label: 'no Origin nor Sec-Fetch-Site and a foreign Referer',
    headers: (v) => ({ Referer: `${EVIL_ORIGIN}/page`, 'X-CSRF-Token': v.cookie.csrfToken }),
  },
  {
    label: 'no Origin, Sec-Fetch-Site nor Referer',
    headers: (v) => ({ 'X-CSRF-Token': v.cookie.csrfToken }),
  },
];

for (const target of TARGETS) {
  describe(`CSRF on ${target.label}`, () => {
    let victim: Victim;
    before(async () => {
      victim = await newVictim();
    });

    for (const forged of REFUSED) {
      it(`CSRF - should refuse ${target.label} with ${forged.label} (403 CSRF_FAILED, nothing changed)`, async () => {
        const response = await h.request(target.method, target.path(victim), {
          ...(target.body ? { body: target.body(victim) } : {}),
          headers: { ...cookieHeaders(victim.cookie), ...forged.headers(victim) },
        });
        assertProblem(response, 403, 'CSRF_FAILED');
        assert.equal(response.headers.getSetCookie().length, 0, 'no cookie is set or cleared');
        await assertNothingChanged(victim);
        await target.assertNotDone?.(victim);
      });
    }

    it(`CSRF - should accept ${target.label} from our own page (own Origin and the session's token)`, async () => {
      const response = await h.request(target.method, target.path(victim), {
        ...(target.body ? { body: target.body(victim) } : {}),
        headers: cookieHeaders(victim.cookie, OWN_PAGE),
      });
      await target.assertChanged(victim, response);
    });
  });
}

describe('CSRF - accepted origins', () => {
  let victim: Victim;
  before(async () => {
    victim = await newVictim();
  });

  const ACCEPTED: readonly { label: string; headers: Record<string, string> }[] = [
    { label: 'our own Origin', headers: { Origin: OWN_ORIGIN } },
    { label: 'a csrf.trustedOrigins Origin', headers: { Origin: TRUSTED_ORIGIN } },
    { label: 'a cors.origins Origin', headers: { Origin: CORS_ORIGIN } },
    { label: 'no Origin and Sec-Fetch-Site: same-origin', headers: { 'Sec-Fetch-Site': 'same-origin' } },
    {
      label: 'no Origin nor Sec-Fetch-Site and our own Referer',
      headers: { Referer: `${OWN_ORIGIN}/settings` },
    },
  ];
  for (const [index, accepted] of ACCEPTED.entries()) {
    it(`CSRF - should accept a cookie PATCH with ${accepted.label} and the session's token`, async () => {
      const name = `Accepted ${index}`;
      const response = await h.request('PATCH', '/users/me', {
        body: { name },
        headers: { ...cookieHeaders(victim.cookie, { csrf: true }), ...accepted.headers },
      });
      assert.equal(response.status, 200, response.text);
      const me = await h.get('/users/me', { token: victim.bearer.accessToken });
      assert.equal(me.body.user.name, name);
    });
  }

  it('CSRF - should accept cookie GETs without a token or an Origin', async () => {
    for (const path of ['/users/me', '/users/me/sessions', '/auth/csrf']) {
      const response = await h.get(path, { headers: cookieHeaders(victim.cookie) });
      assert.equal(response.status, 200, `${path}: ${response.text}`);
    }
    const csrf = await h.get('/auth/csrf', { headers: cookieHeaders(victim.cookie) });
    assert.equal(csrf.body.csrfToken, victim.cookie.csrfToken, 'GET /auth/csrf answers the session token');
  });

  it('CSRF - should not let a foreign origin read the CSRF token (no CORS grant)', async () => {
    const foreign = await h.get('/auth/csrf', {
      headers: cookieHeaders(victim.cookie, { origin: EVIL_ORIGIN }),
    });
    assert.equal(foreign.headers.get('access-control-allow-origin'), null);
    assert.equal(foreign.headers.get('access-control-allow-credentials'), null);
    const granted = await h.get('/auth/csrf', {
      headers: cookieHeaders(victim.cookie, { origin: CORS_ORIGIN }),
    });
    assert.equal(granted.headers.get('access-control-allow-origin'), CORS_ORIGIN);
    assert.equal(granted.headers.get('access-control-allow-credentials'), 'true');
  });

  it('CSRF - should not require a token or an Origin for bearer requests', async () => {
    const patched = await h.request('PATCH', '/users/me', {
      body: { name: 'Bearer' },
      token: victim.bearer.accessToken,
    });
    assert.equal(patched.status, 200, patched.text);
    assert.equal(patched.body.user.name, 'Bearer');
    const revoked = await h.request('DELETE', `/users/me/sessions/${victim.otherCookie.sessionId}`, {
      token: victim.bearer.accessToken,
    });
    assert.equal(revoked.status, 204, revoked.text);
    assertProblem(
      await h.get('/users/me', { headers: cookieHeaders(victim.otherCookie) }),
      401,
      'INVALID_TOKEN',
    );
  });
});

describe('login CSRF', () => {
  async function sessionCount(userId: string): Promise<number> {
    const rows = await h.auth.database.db
      .selectFrom('sessions')
      .select('id')
      .where('user_id', '=', userId)
      .execute();
    return rows.length;
  }

  const REFUSED_LOGINS: readonly { label: string; headers: Record<string, string> }[] = [
    { label: 'a foreign Origin', headers: { Origin: EVIL_ORIGIN } },
    { label: 'Origin: null', headers: { Origin: 'null' } },
    { label: 'no Origin and Sec-Fetch-Site: cross-site', headers: { 'Sec-Fetch-Site': 'cross-site' } },
    { label: 'no Origin nor Sec-Fetch-Site and a foreign Referer', headers: { Referer: `${EVIL_ORIGIN}/x` } },
    { label: 'no Origin, Sec-Fetch-Site nor Referer', headers: {} },
  ];
  for (const refused of REFUSED_LOGINS) {
    it(`login CSRF - should refuse POST /auth/session with ${refused.label}: no cookie, no session`, async () => {
      const { email } = await createVerifiedUser(h, 'csrf');
      const user = await h.auth.api.users.findByEmail(email);
      assert.ok(user);
      const response = await h.post(
        '/auth/session',
        { email, password: GOOD_PASSWORD },
        { headers: refused.headers },
      );
      assertProblem(response, 403, 'CSRF_FAILED');
      assert.equal(response.headers.getSetCookie().length, 0, 'no cookie is set');
      assert.equal(response.body.csrfToken, undefined);
      assert.equal(await sessionCount(user.id), 0, 'no session was created');
    });
  }

  for (const origin of [OWN_ORIGIN, TRUSTED_ORIGIN, CORS_ORIGIN]) {
    it(`login CSRF - should accept POST /auth/session from the allowed origin ${origin}`, async () => {
      const { email } = await createVerifiedUser(h, 'csrf');
      const response = await h.post(
        '/auth/session',
        { email, password: GOOD_PASSWORD },
        { headers: { Origin: origin } },
      );
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.getSetCookie().length, 1);
    });
  }
});

describe('CSRF through form-encodable bodies', () => {
  let victim: Victim;
  before(async () => {
    victim = await newVictim();
  });

  /** Content types an HTML form (or a no-preflight fetch) can send cross-site. */
  const BODIES: readonly { contentType: string; body(json: Record<string, string>): string }[] = [
    { contentType: 'text/plain', body: (json) => JSON.stringify(json) },
    { contentType: 'text/plain;charset=UTF-8', body: (json) => JSON.stringify(json) },
    {
      contentType: 'application/x-www-form-urlencoded',
      body: (json) => new URLSearchParams(json).toString(),
    },
    {
      contentType: 'multipart/form-data; boundary=x',
      body: (json) =>
        `${Object.entries(json)
          .map(([k, v]) => `--x\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
          .join('')}--x--\r\n`,
    },
  ];
  const legitimate = () => cookieHeaders(victim.cookie, OWN_PAGE);

  for (const { contentType, body } of BODIES) {
    it(`CSRF - should refuse PATCH /users/me with a ${contentType} body (415) even with a valid cookie and token`, async () => {
      const response = await h.request('PATCH', '/users/me', {
        body: body({ name: 'Mallory' }),
        headers: { ...legitimate(), 'Content-Type': contentType },
      });
      assertProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      await assertNothingChanged(victim);
    });

    it(`CSRF - should refuse change-password with a ${contentType} body (415) even with a valid cookie and token`, async () => {
      const response = await h.request('POST', '/users/me/change-password', {
        body: body({ currentPassword: GOOD_PASSWORD, newPassword: ATTACKER_PASSWORD }),
        headers: { ...legitimate(), 'Content-Type': contentType },
      });
      assertProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
      assert.equal(response.headers.getSetCookie().length, 0);
      await assertNothingChanged(victim);
    });
  }

  it('CSRF - should still sign in with the original password after every refused request', async () => {
    const login = await h.post('/auth/login', { email: victim.email, password: GOOD_PASSWORD });
    assert.equal(login.status, 200, login.text);
    const attackerLogin = await h.post('/auth/login', { email: victim.email, password: ATTACKER_PASSWORD });
    assertProblem(attackerLogin, 401, 'LOGIN_BAD_CREDENTIALS');
  });
});
