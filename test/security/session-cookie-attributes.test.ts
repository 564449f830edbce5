/**
 * Threat: the session cookie leaks or can be planted because of its attributes — readable by
 * script (no HttpOnly), sent over plain http (no Secure), shared with sibling subdomains
 * (a Domain attribute, no `__Host-` prefix), sent on cross-site POSTs (SameSite=None), or
 * outliving the browser without the user asking for it — or the database holds what the
 * cookie holds, so a read of the sessions table is a session hijack.
 * Invariant: POST /auth/session sets exactly one cookie,
 * `__Host-gh_session=<id>.<secret>; Path=/; HttpOnly; Secure; SameSite=Lax`, with no Domain,
 * no Max-Age unless `rememberMe` (then 30 days); the secret is 256 random bits and the
 * sessions row keeps only its keyed digest (the session-digest purpose key). A renamed cookie
 * keeps the prefix; turning Secure off is a development-only, warned opt-in that drops the
 * prefix; production without Secure and SameSite=None without Secure refuse to start.
 */
import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  type AuthConfigInput,
  ConfigError,
  type ConfigProblem,
  createAuth,
  generateSecret,
} from '../../src/index.ts';
import { assertProblem, createHarness, type Harness, harnessConfig } from '../fixtures/auth-harness.ts';
import { cookieHeaders, createVerifiedUser, signInWithCookie } from '../fixtures/cookie-session.ts';

const THIRTY_DAYS_SECONDS = 30 * 24 * 3600;
/** A UUID (the session id), a dot, then 32 bytes as unpadded base64url (43 characters). */
const TOKEN_SHAPE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([A-Za-z0-9_-]{43})$/;

/** The stored sessions row, read straight from SQL. */
async function sessionRow(h: Harness, sessionId: string) {
  return h.auth.database.db.selectFrom('sessions').selectAll().where('id', '=', sessionId).executeTakeFirst();
}

describe('session cookie attributes (secure defaults)', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  it('cookie theft - should set exactly one host-only, HttpOnly, Secure, SameSite=Lax browser-session cookie', async () => {
    const { userId, email } = await createVerifiedUser(h, 'cookie');
    const cookie = await signInWithCookie(h, email);
    const { response } = cookie;
    assert.equal(response.status, 200, response.text);
    const match = TOKEN_SHAPE.exec(cookie.value);
    assert.ok(match, 'the value is <uuid>.<43 base64url characters>');
    assert.equal(
      cookie.setCookie,
      `__Host-gh_session=${cookie.value}; Path=/; HttpOnly; Secure; SameSite=Lax`,
    );
    assert.doesNotMatch(cookie.setCookie, /domain=/i, 'host-only: no Domain attribute');
    assert.doesNotMatch(cookie.setCookie, /max-age=|expires=/i, 'dies with the browser without rememberMe');
    // 43 base64url characters carry 258 bits; the last one holds 2 zero padding bits: 256 bits.
    assert.equal(Buffer.from(match[2] as string, 'base64url').length, 32);

    assert.deepEqual(Object.keys(response.body).sort(), ['csrfToken', 'user']);
    assert.equal(response.body.user.id, userId);
    assert.equal(response.body.user.email, email);
    assert.equal(typeof response.body.csrfToken, 'string');
    assert.ok(response.body.csrfToken.length >= 32, 'the CSRF token is not guessable');
    assert.ok(!cookie.value.includes(response.body.csrfToken), 'the CSRF token is not part of the cookie');
  });

  it('cookie theft - should make a fresh 256-bit secret for every login', async () => {
    const { email } = await createVerifiedUser(h, 'cookie');
    const values = new Set<string>();
    const secrets = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const { value } = await signInWithCookie(h, email);
      values.add(value);
      secrets.add(value.split('.')[1] as string);
    }
    assert.equal(values.size, 3);
    assert.equal(secrets.size, 3);
  });

  it('persistent cookie - should set Max-Age of exactly 30 days only with rememberMe: true', async () => {
    const { email } = await createVerifiedUser(h, 'cookie');
    const remembered = await signInWithCookie(h, email, { rememberMe: true });
    assert.equal(
      remembered.setCookie,
      `__Host-gh_session=${remembered.value}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age=${THIRTY_DAYS_SECONDS}`,
    );
    const notRemembered = await signInWithCookie(h, email, { rememberMe: false });
    assert.doesNotMatch(notRemembered.setCookie, /max-age=|expires=/i);
  });

  it('database read - should store only a keyed digest of the cookie secret, never the secret', async () => {
    const { userId, email } = await createVerifiedUser(h, 'cookie');
    const { value } = await signInWithCookie(h, email);
    const [sessionId, secret] = value.split('.') as [string, string];
    const row = await sessionRow(h, sessionId);
    assert.ok(row, 'the session row exists under the id the cookie names');
    assert.equal(row.user_id, userId);
    assert.equal(row.kind, 'cookie');
    const dump = JSON.stringify(row);
    assert.ok(!dump.includes(secret), 'no column holds the secret');
    assert.ok(!dump.includes(value), 'no column holds the cookie value');

    const digest = row.refresh_digest;
    assert.ok(digest, 'the row holds a digest');
    const { id: keyId, key } = h.auth.keyring.active('session-digest');
    assert.equal(digest, `${keyId}.${createHmac('sha256', key).update(secret, 'utf8').digest('base64url')}`);
    // Not a plain hash, which anyone holding the table could check guesses against offline.
    assert.ok(!digest.endsWith(createHash('sha256').update(secret).digest('base64url')));
    // Its own key: the refresh-token key would make the two kinds of digest interchangeable.
    const refreshKey = h.auth.keyring.active('refresh-digest').key;
    assert.ok(!digest.endsWith(createHmac('sha256', refreshKey).update(secret, 'utf8').digest('base64url')));
  });

  it('session listing - should show the new session as current to its own cookie', async () => {
    const { email } = await createVerifiedUser(h, 'cookie');
    const cookie = await signInWithCookie(h, email);
    const sessionId = cookie.value.split('.')[0];
    const listed = await h.get('/users/me/sessions', { headers: cookieHeaders(cookie) });
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.body.sessions.length, 1);
    assert.equal(listed.body.sessions[0].id, sessionId);
    assert.equal(listed.body.sessions[0].current, true);
  });

  it('cookie theft - should never answer the cookie value in the body or in any other header', async () => {
    const { email } = await createVerifiedUser(h, 'cookie');
    const { response, value } = await signInWithCookie(h, email);
    const secret = value.split('.')[1] as string;
    assert.ok(!response.text.includes(secret));
    for (const [header, headerValue] of response.headers) {
      if (header !== 'set-cookie') assert.ok(!headerValue.includes(secret), `header ${header}`);
    }
  });
});

describe('session cookie attributes (configured)', () => {
  it('cookie tossing - should keep the __Host- prefix on a configured cookie name', async () => {
    const h = await createHarness({ config: { cookies: { name: 'sid' } } });
    try {
      const { email } = await createVerifiedUser(h, 'cookie');
      const cookie = await signInWithCookie(h, email, { cookieName: '__Host-sid' });
      assert.equal(cookie.name, '__Host-sid');
      assert.equal(cookie.setCookie, `__Host-sid=${cookie.value}; Path=/; HttpOnly; Secure; SameSite=Lax`);
      const me = await h.get('/users/me', { headers: { Cookie: `__Host-sid=${cookie.value}` } });
      assert.equal(me.status, 200, me.text);
      // The default name is no longer read.
      const old = await h.get('/users/me', { headers: { Cookie: `__Host-gh_session=${cookie.value}` } });
      assertProblem(old, 401, 'UNAUTHENTICATED');
    } finally {
      await h.close();
    }
  });

  it('plain-http cookie - should drop Secure and the prefix only in development, with an INSECURE_COOKIES warning', async () => {
    const h = await createHarness({ config: { mode: 'development', cookies: { secure: false } } });
    try {
      assert.ok(h.auth.posture.warnings.some((w) => w.code === 'INSECURE_COOKIES'));
      const { email } = await createVerifiedUser(h, 'cookie');
      const cookie = await signInWithCookie(h, email, { cookieName: 'gh_session' });
      assert.equal(cookie.setCookie, `gh_session=${cookie.value}; Path=/; HttpOnly; SameSite=Lax`);
      const me = await h.get('/users/me', { headers: { Cookie: `gh_session=${cookie.value}` } });
      assert.equal(me.status, 200, me.text);
    } finally {
      await h.close();
    }
  });

  it('plain-http cookie - should not warn about insecure cookies with the secure default', async () => {
    const h = await createHarness({ config: { mode: 'development' } });
    try {
      assert.ok(!h.auth.posture.warnings.some((w) => w.code === 'INSECURE_COOKIES'));
    } finally {
      await h.close();
    }
  });

  describe('startup refusals', () => {
    let dataDir = '';
    before(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-cookie-config-'));
    });
    after(() => rm(dataDir, { recursive: true, force: true }));

    /** The problems a refused start reports (fails when the instance starts). */
    async function problemsOf(config: AuthConfigInput): Promise<readonly ConfigProblem[]> {
      let caught: unknown;
      try {
        const auth = await createAuth(config);
        await auth.close();
      } catch (error) {
        caught = error;
      }
      assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
      return caught.problems;
    }

    /** A production configuration that starts as is (file database, real secret, https). */
    function production(overrides: AuthConfigInput): AuthConfigInput {
      return {
        ...harnessConfig({ secret: generateSecret(), dataDir }),
        mode: 'production',
        database: { url: `sqlite:${join(dataDir, 'auth.db')}` },
        mail: { url: 'smtp://127.0.0.1:1' },
        ...overrides,
      };
    }

    it('plain-http cookie - should refuse to start in production with cookies.secure false', async () => {
      const problems = await problemsOf(production({ cookies: { secure: false } }));
      assert.deepEqual(
        problems.map((p) => p.path),
        ['cookies.secure'],
      );
    });

    it('plain-http cookie - should start in production with the same configuration and secure cookies', async () => {
      const auth = await createAuth(production({}));
      await auth.close();
    });

    it('cross-site cookie - should refuse SameSite=None without Secure, even in development', async () => {
      const problems = await problemsOf({
        ...harnessConfig({ secret: generateSecret(), dataDir }),
        mode: 'development',
        cookies: { secure: false, sameSite: 'none' },
      });
      assert.deepEqual(
        problems.map((p) => p.path),
        ['cookies.sameSite'],
      );
    });
  });
});
