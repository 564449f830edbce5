/**
 * Threat: the access log (`http.accessLog`) writes what a request carried — an access or
 * refresh token, a session cookie, an API key, a password in a body, a one-time token in a
 * query string or a path — into log files that far more people and systems read than the
 * credential store.
 *
 * Invariant: each request's access line holds exactly method, route template (never the path
 * as sent), status, duration and request id; no credential, cookie, query string, path value
 * or body of any request appears in any line Gatehouse logs.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';

describe('access log - leaks no credential, cookie, query, path value or body', () => {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  let harness: Harness;

  before(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        const text = chunk.toString('utf8');
        raw.push(text);
        for (const line of text.split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    harness = await createHarness({
      config: { logger: pino({ level: 'info' }, sink), http: { accessLog: true } },
    });
  });
  after(() => harness?.close());

  it('logs one line per request with only the allowed fields, and none of what the requests carried', async () => {
    const email = uniqueEmail('access-log');
    await harness.register(email);
    const login = await harness.post('/auth/login', { email, password: GOOD_PASSWORD });
    assert.equal(login.status, 200);
    const { accessToken, refreshToken } = login.body as { accessToken: string; refreshToken: string };
    const key = await harness.post(
      '/users/me/api-keys',
      { name: 'deploy' },
      { headers: { authorization: `Bearer ${accessToken}` } },
    );
    assert.equal(key.status, 201, key.text);
    const apiKey = (key.body as { apiKey: string }).apiKey;
    const cookie = `gh_session=cookie-value-${'c'.repeat(40)}`;
    const queryToken = `query-token-${'q'.repeat(40)}`;
    const pathValue = `path-value-${'p'.repeat(30)}`;

    const before = lines.length;
    await harness.get('/users/me', { headers: { authorization: `Bearer ${accessToken}` } });
    await harness.get('/users/me', { headers: { authorization: `Bearer ${apiKey}` } });
    await harness.get('/users/me', { headers: { cookie } });
    await harness.post('/auth/refresh', { refreshToken });
    await harness.post('/auth/login', { email, password: `${GOOD_PASSWORD}-wrong` });
    await harness.get(`/auth/verify?token=${queryToken}`);
    await harness.request('DELETE', `/users/me/sessions/${pathValue}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    await harness.get(`/no-such-route/${pathValue}?token=${queryToken}`);

    const access = lines.slice(before).filter((line) => line.access === true);
    assert.equal(access.length, 8, 'one access line per request');
    const allowed = new Set([
      'level',
      'time',
      'pid',
      'hostname',
      'lib',
      'access',
      'method',
      'route',
      'status',
      'durationMs',
      'requestId',
      'msg',
    ]);
    for (const line of access) {
      for (const field of Object.keys(line)) assert.ok(allowed.has(field), `unexpected field ${field}`);
      assert.equal(typeof line.durationMs, 'number');
      assert.match(String(line.requestId), /^[\w-]+$/);
    }
    assert.deepEqual(
      access.map((line) => `${line.method} ${line.route} ${line.status}`),
      [
        'GET /users/me 200',
        'GET /users/me 200',
        'GET /users/me 401',
        'POST /auth/refresh 200',
        'POST /auth/login 401',
        // A method the path does not have: no route matched, so no template either.
        'GET unmatched 405',
        'DELETE /users/me/sessions/:id 404',
        'GET unmatched 404',
      ],
    );

    const everything = raw.join('');
    for (const secret of [
      accessToken,
      refreshToken,
      apiKey,
      cookie,
      'cookie-value',
      queryToken,
      pathValue,
      GOOD_PASSWORD,
      email,
    ])
      assert.ok(!everything.includes(secret), `a log line contains ${secret.slice(0, 12)}…`);
  });
});
