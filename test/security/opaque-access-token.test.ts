/**
 * Threats against opaque access tokens (`tokens.access: 'opaque'`): a token that keeps working
 * after the session behind it was ended (logout, revocation, change of password, deactivation,
 * refresh, expiry); a database leak that hands out usable tokens; and one credential passing
 * for another — a refresh token or a cookie used as an access token, a JWT accepted by an
 * instance configured for opaque tokens, or an opaque token by one configured for JWTs.
 *
 * Every case runs on SQLite with memory stores and on PostgreSQL with Redis. Two instances
 * share the secret and the database and differ only in `tokens.access`, so a token one of
 * them issues is genuine for the other in every respect but its kind.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SESSIONS_KEY_PURPOSES as KEY_PURPOSES } from '../../src/features/sessions/index.ts';
import { type AuthConfigInput, createAuth, generateSecret } from '../../src/index.ts';
import type { MailMessage } from '../../src/mail/contract.ts';
import {
  assertInvalidToken,
  assertProblem,
  capturingTransport,
  GOOD_PASSWORD,
  HARNESS_BASE_URL,
  type Harness,
  harnessAround,
  harnessConfig,
  type SignedInUser,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';

/** Not the default (900), so the answers are seen to follow the configuration. */
const ACCESS_TTL_SECONDS = 600;
/** `<session id>.<43 base64url characters>`: 256 random bits, never three JWT segments. */
const OPAQUE_ACCESS_TOKEN = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/;
const NEW_PASSWORD = 'tangerine-Harbour-velvet-93';

/** How far the opaque instance's clock runs ahead of real time (the expiry case moves it). */
let clockOffsetMs = 0;

/** An instance on the given secret and database, its mail captured. */
async function instance(secret: string, dataDir: string, config: AuthConfigInput): Promise<Harness> {
  const mail: MailMessage[] = [];
  const auth = await createAuth({
    ...harnessConfig({ secret, dataDir }, { config }),
    mail: { transport: capturingTransport(mail) },
  });
  return harnessAround(auth, mail, () => auth.close());
}

const sessionIdOf = (token: string): string => token.split('.')[0] ?? '';
const secretOf = (token: string): string => token.split('.')[1] ?? '';

for (const backend of backends())
  describe(`opaque access tokens (${backend.name})`, () => {
    let dataDir = '';
    /** `tokens.access: 'opaque'`, with a clock the expiry case can move. */
    let opaque: Harness;
    /** The same secret and database with JWT access tokens (the default). */
    let jwt: Harness;

    before(async () => {
      const overrides = await backend.config();
      dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-opaque-'));
      const secret = generateSecret();
      const shared: AuthConfigInput = {
        ...overrides,
        // The embedded backend shares one SQLite file instead of a private in-memory database.
        database: overrides.database ?? { url: `sqlite:${join(dataDir, 'gatehouse.db')}` },
      };
      opaque = await instance(secret, dataDir, {
        ...shared,
        tokens: { access: 'opaque', accessTokenTtlSeconds: ACCESS_TTL_SECONDS },
        clock: { now: () => Date.now() + clockOffsetMs },
      });
      await opaque.auth.migrate();
      jwt = await instance(secret, dataDir, {
        ...shared,
        tokens: { accessTokenTtlSeconds: ACCESS_TTL_SECONDS },
      });
    });

    after(async () => {
      await Promise.allSettled([opaque?.close(), jwt?.close()]);
      await backend.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    async function assertLive(token: string, label: string): Promise<void> {
      const response = await opaque.get('/users/me', { token });
      assert.equal(response.status, 200, `${label}: ${response.text}`);
    }

    /** The token works twice: once read from the database, once from the lookup cache. */
    async function assertLiveAndCached(user: SignedInUser, label: string): Promise<void> {
      await assertLive(user.accessToken, `${label} (first use)`);
      await assertLive(user.accessToken, `${label} (cached)`);
    }

    async function assertRefreshDead(refreshToken: string): Promise<void> {
      assertProblem(await opaque.post('/auth/refresh', { refreshToken }), 401, 'REFRESH_TOKEN_INVALID');
    }

    it('login - should answer the same shape as with JWTs, with an opaque <session id>.<256-bit secret> access token', async () => {
      const email = uniqueEmail();
      await opaque.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
      const withOpaque = await opaque.post('/auth/login', { email, password: GOOD_PASSWORD });
      const withJwt = await jwt.post('/auth/login', { email, password: GOOD_PASSWORD });
      assert.equal(withOpaque.status, 200, withOpaque.text);
      assert.equal(withJwt.status, 200, withJwt.text);

      const fields = ['accessToken', 'expiresIn', 'refreshToken', 'tokenType', 'user'];
      assert.deepEqual(Object.keys(withOpaque.body).sort(), fields);
      assert.deepEqual(Object.keys(withJwt.body).sort(), fields);
      assert.equal(withOpaque.body.tokenType, 'Bearer');
      assert.equal(withOpaque.body.expiresIn, ACCESS_TTL_SECONDS);
      assert.deepEqual(Object.keys(withOpaque.body.user).sort(), Object.keys(withJwt.body.user).sort());
      assert.equal(withOpaque.body.user.email, email);

      const accessToken: string = withOpaque.body.accessToken;
      assert.match(accessToken, OPAQUE_ACCESS_TOKEN);
      assert.equal(accessToken.split('.').length, 2, 'not a JWT');
      assert.equal(withJwt.body.accessToken.split('.').length, 3, 'the JWT instance still issues JWTs');
      assert.notEqual(accessToken, withOpaque.body.refreshToken);
      assert.notEqual(secretOf(accessToken), secretOf(withOpaque.body.refreshToken));
      assert.equal(sessionIdOf(accessToken), sessionIdOf(withOpaque.body.refreshToken), 'one session');

      const sessions = await opaque.get('/users/me/sessions', { token: accessToken });
      assert.equal(sessions.status, 200, sessions.text);
      const current = sessions.body.sessions.filter((s: { current: boolean }) => s.current);
      assert.deepEqual(
        current.map((s: { id: string }) => s.id),
        [sessionIdOf(accessToken)],
      );
    });

    it('/users/me - should accept the opaque access token, read from the database and then from the cache', async () => {
      const me = await opaque.signedInUser();
      for (let use = 1; use <= 3; use++) {
        const response = await opaque.get('/users/me', { token: me.accessToken });
        assert.equal(response.status, 200, response.text);
        assert.equal(response.body.user.id, me.userId);
        assert.equal(response.body.user.email, me.email);
      }
    });

    it('database leak - the session row should hold only a keyed digest of the access token, never the token', async () => {
      const issuedFrom = Date.now();
      const me = await opaque.signedInUser();
      const issuedBy = Date.now();
      await assertLive(me.accessToken, 'before reading the row');
      const secret = secretOf(me.accessToken);
      const { db } = opaque.auth.database;
      const row = await db
        .selectFrom('sessions')
        .selectAll()
        .where('id', '=', sessionIdOf(me.accessToken))
        .executeTakeFirstOrThrow();
      assert.ok(!JSON.stringify(row).includes(secret), 'the secret is nowhere in the row');

      // An HMAC under the access-digest purpose key: useless without the server's secrets.
      const key = opaque.auth.keyring.active(KEY_PURPOSES.accessDigest);
      const expected = `${key.id}.${createHmac('sha256', key.key).update(secret, 'utf8').digest('base64url')}`;
      assert.equal(row.access_digest, expected);
      const expiresAt = Number(row.access_expires_at);
      assert.ok(
        expiresAt >= issuedFrom + ACCESS_TTL_SECONDS * 1000 &&
          expiresAt <= issuedBy + ACCESS_TTL_SECONDS * 1000,
        'the row records when the token expires',
      );

      const events = await db
        .selectFrom('audit_events')
        .selectAll()
        .where('user_id', '=', me.userId)
        .execute();
      assert.ok(events.length > 0, 'the login was audited');
      assert.ok(!JSON.stringify(events).includes(secret), 'the audit log holds no token secret');
    });

    it('logout - should kill the opaque access token at once, cached or not', async () => {
      const me = await opaque.signedInUser();
      await assertLiveAndCached(me, 'before logout');
      assert.equal((await opaque.post('/auth/logout', undefined, { token: me.accessToken })).status, 204);
      assertInvalidToken(await opaque.get('/users/me', { token: me.accessToken }));
      assertInvalidToken(await opaque.get('/users/me', { token: me.accessToken }));
      await assertRefreshDead(me.refreshToken);
      const credentials = await opaque.auth.repositories.sessions.findCredentials(
        sessionIdOf(me.accessToken),
      );
      assert.equal(credentials?.accessDigest, null, 'the revoked session keeps no access digest');
    });

    it('DELETE /users/me/sessions/:id - should kill that session’s access token at once and keep the caller’s', async () => {
      const me = await opaque.signedInUser();
      const other = await opaque.login(me.email);
      await assertLiveAndCached(other, 'before revocation');
      const response = await opaque.request(
        'DELETE',
        `/users/me/sessions/${sessionIdOf(other.accessToken)}`,
        {
          token: me.accessToken,
        },
      );
      assert.equal(response.status, 204, response.text);
      assertInvalidToken(await opaque.get('/users/me', { token: other.accessToken }));
      await assertRefreshDead(other.refreshToken);
      await assertLive(me.accessToken, 'the session that revoked it');
    });

    it('revoke-others - should kill every other session’s access token at once and keep the current one', async () => {
      const me = await opaque.signedInUser();
      const others = [await opaque.login(me.email), await opaque.login(me.email)];
      for (const other of others) await assertLiveAndCached(other, 'before revoke-others');
      const response = await opaque.post('/users/me/sessions/revoke-others', undefined, {
        token: me.accessToken,
      });
      assert.equal(response.status, 204, response.text);
      for (const other of others) {
        assertInvalidToken(await opaque.get('/users/me', { token: other.accessToken }));
        await assertRefreshDead(other.refreshToken);
      }
      await assertLive(me.accessToken, 'the current session');
    });

    it('change-password - should kill the other sessions’ access tokens at once and keep the current one', async () => {
      const me = await opaque.signedInUser();
      const other = await opaque.login(me.email);
      await assertLiveAndCached(other, 'before the change');
      const response = await opaque.post(
        '/users/me/change-password',
        { currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD },
        { token: me.accessToken },
      );
      assert.equal(response.status, 204, response.text);
      assertInvalidToken(await opaque.get('/users/me', { token: other.accessToken }));
      await assertRefreshDead(other.refreshToken);
      await assertLive(me.accessToken, 'the session that changed the password');
    });

    it('deactivation - api.users.update isActive false should kill every access token of the user at once', async () => {
      const me = await opaque.signedInUser();
      const other = await opaque.login(me.email);
      const bystander = await opaque.signedInUser();
      for (const user of [me, other]) await assertLiveAndCached(user, 'before deactivation');
      await opaque.auth.api.users.update(me.userId, { isActive: false });
      for (const user of [me, other]) {
        assertInvalidToken(await opaque.get('/users/me', { token: user.accessToken }));
        await assertRefreshDead(user.refreshToken);
      }
      await assertLive(bystander.accessToken, 'another user');
    });

    it('refresh - should rotate the access token: the new one works, the old one is refused at once', async () => {
      const me = await opaque.signedInUser();
      await assertLiveAndCached(me, 'before refresh');
      const refreshed = await opaque.post('/auth/refresh', { refreshToken: me.refreshToken });
      assert.equal(refreshed.status, 200, refreshed.text);
      const next: string = refreshed.body.accessToken;
      assert.match(next, OPAQUE_ACCESS_TOKEN);
      assert.notEqual(next, me.accessToken);
      assert.equal(sessionIdOf(next), sessionIdOf(me.accessToken), 'the same session');
      assert.equal(refreshed.body.tokenType, 'Bearer');
      assert.equal(refreshed.body.expiresIn, ACCESS_TTL_SECONDS);

      // Alternating, so each token meets the cache holding the other one's entry.
      for (let round = 1; round <= 2; round++) {
        assertInvalidToken(await opaque.get('/users/me', { token: me.accessToken }));
        await assertLive(next, `the new token, round ${round}`);
      }
      assertInvalidToken(await opaque.get('/users/me', { token: me.accessToken }));
    });

    it('token confusion - a refresh token presented as an access token should be refused', async () => {
      const me = await opaque.signedInUser();
      assertInvalidToken(await opaque.get('/users/me', { token: me.refreshToken }));
      await assertLiveAndCached(me, 'the real access token');
      assertInvalidToken(await opaque.get('/users/me', { token: me.refreshToken }));
      // Refused without harm: the refresh token still refreshes once.
      assert.equal((await opaque.post('/auth/refresh', { refreshToken: me.refreshToken })).status, 200);
    });

    it('token confusion - a session cookie presented as a bearer access token should be refused', async () => {
      const email = uniqueEmail();
      await opaque.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
      const started = await opaque.post(
        '/auth/session',
        { email, password: GOOD_PASSWORD },
        { headers: { Origin: HARNESS_BASE_URL } },
      );
      assert.equal(started.status, 200, started.text);
      const cookie = (started.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const value = cookie.slice(cookie.indexOf('=') + 1);
      assert.match(value, OPAQUE_ACCESS_TOKEN);
      const byCookie = await opaque.get('/users/me', { headers: { Cookie: cookie } });
      assert.equal(byCookie.status, 200, 'the cookie itself works (and is now cached)');
      assertInvalidToken(await opaque.get('/users/me', { token: value }));
    });

    it('token confusion - an access token whose id names another session should be refused', async () => {
      const me = await opaque.signedInUser();
      const other = await opaque.login(me.email);
      await assertLiveAndCached(other, 'the other session');
      const spliced = `${sessionIdOf(other.accessToken)}.${secretOf(me.accessToken)}`;
      assertInvalidToken(await opaque.get('/users/me', { token: spliced }));
    });

    it('kind confusion - a genuine JWT should be refused by an instance configured for opaque access tokens', async () => {
      const me = await jwt.signedInUser();
      assert.equal(me.accessToken.split('.').length, 3);
      const onJwt = await jwt.get('/users/me', { token: me.accessToken });
      assert.equal(onJwt.status, 200, 'the JWT is genuine: same secret, same database');
      assertInvalidToken(await opaque.get('/users/me', { token: me.accessToken }));
      await assert.rejects(opaque.auth.api.verifyAccessToken(me.accessToken));
    });

    it('kind confusion - a genuine opaque token should be refused by an instance configured for JWTs', async () => {
      const me = await opaque.signedInUser();
      await assertLive(me.accessToken, 'the opaque token is genuine');
      assertInvalidToken(await jwt.get('/users/me', { token: me.accessToken }));
      await assert.rejects(jwt.auth.api.verifyAccessToken(me.accessToken));
    });

    it('expiry - should refuse the access token once accessTokenTtlSeconds have passed, cached or not, and refresh should mint a working one', async () => {
      try {
        const me = await opaque.signedInUser();
        const unused = await opaque.login(me.email);
        clockOffsetMs = ACCESS_TTL_SECONDS * 1000 - 5_000;
        await assertLiveAndCached(me, 'just before expiry');
        clockOffsetMs = ACCESS_TTL_SECONDS * 1000 + 1;
        assertInvalidToken(await opaque.get('/users/me', { token: me.accessToken }));
        assertInvalidToken(await opaque.get('/users/me', { token: unused.accessToken }));

        const refreshed = await opaque.post('/auth/refresh', { refreshToken: me.refreshToken });
        assert.equal(refreshed.status, 200, refreshed.text);
        await assertLive(refreshed.body.accessToken, 'the refreshed token');
        clockOffsetMs += ACCESS_TTL_SECONDS * 1000;
        assertInvalidToken(await opaque.get('/users/me', { token: refreshed.body.accessToken }));
      } finally {
        clockOffsetMs = 0;
      }
    });
  });
