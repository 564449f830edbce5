/**
 * End to end against one real `gatehouse serve` process in development mode: SQLite in a temp
 * data dir, mail written as `.eml` files. An account goes through the whole life a client sees:
 * register, the verification mail, verify, login, /users/me, refresh, logout.
 *
 * Threat covered by name: a forged `Host` / `X-Forwarded-Host` steering the verification link
 * to an attacker's origin (links in mail come from the configured base URL only).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { parseMime, textAndHtml } from '../fixtures/mail.ts';
import { type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';

/** Deliberately not the address the server listens on: links must use this, nothing else. */
const BASE_URL = 'https://accounts.example.test';
const PASSWORD = 'saffron-Glacier-pocket-64';
const MAIL_TIMEOUT_MS = 5_000;

interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown> | null;
}

interface TokenPair {
  readonly accessToken: string;
  readonly refreshToken: string;
}

let root = '';
let mailDir = '';
let server: ServerProcess;

async function call(method: string, path: string, options: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : null,
  } satisfies Reply;
}

/**
 * POST with headers fetch will not let a caller forge (`Host`), through node:http, the way a
 * raw client or a misconfigured proxy would send them.
 */
function postWithHeaders(path: string, body: unknown, headers: Record<string, string>): Promise<number> {
  const { hostname, port } = new URL(server.url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: hostname,
        port: Number(port),
        path,
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** Decoded text of the first mail to `address` (mail is sent after the response: poll). */
async function mailTo(address: string): Promise<{ text: string; html: string | undefined }> {
  const deadline = performance.now() + MAIL_TIMEOUT_MS;
  while (performance.now() < deadline) {
    const names = (await readdir(mailDir).catch(() => [] as string[])).filter((name) =>
      name.endsWith('.eml'),
    );
    for (const name of names.sort()) {
      const message = parseMime(await readFile(join(mailDir, name), 'utf8'));
      if (message.headers.get('to') !== address) continue;
      const { text, html } = textAndHtml(message);
      assert.ok(text !== undefined, 'the mail has no text part');
      return { text, html };
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`no mail to the registered address within ${MAIL_TIMEOUT_MS} ms`);
}

/** The verification link in a mail's (quoted-printable-decoded) text. */
function verificationLink(text: string): URL {
  const match = /(\S+\/verify-email\?token=\S+)/.exec(text);
  assert.ok(match?.[1], 'the mail holds no verification link');
  return new URL(match[1]);
}

async function register(email: string): Promise<void> {
  const reply = await call('POST', '/auth/register', { body: { email, password: PASSWORD, name: 'Robin' } });
  assert.equal(reply.status, 202, JSON.stringify(reply.body));
  assert.deepEqual(reply.body, { status: 'accepted' });
}

async function assertInvalidToken(accessToken: string, label: string): Promise<void> {
  const reply = await call('GET', '/users/me', { token: accessToken });
  assert.equal(reply.status, 401, `${label}: GET /users/me answered ${reply.status}`);
  assert.equal(reply.body?.code, 'INVALID_TOKEN', label);
  assert.match(reply.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/, label);
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-e2e-accounts-'));
  mailDir = join(root, 'mail');
  server = await spawnServer({
    env: {
      PORT: '0',
      GATEHOUSE_DATA_DIR: join(root, 'data'),
      GATEHOUSE_BASE_URL: BASE_URL,
      GATEHOUSE_MAIL_URL: pathToFileURL(mailDir).href,
      // One trusted proxy: forwarded headers are honoured for the client IP, and must still
      // never reach a link.
      GATEHOUSE_TRUSTED_PROXY_HOPS: '1',
    },
  });
});

after(async () => {
  await server?.kill();
  await rm(root, { recursive: true, force: true });
});

describe('accounts end to end - development server, SQLite, file mail', () => {
  it('register → verify by mail → login → /users/me → refresh → logout - should work as a client sees it', async () => {
    const email = 'robin.e2e@example.com';
    await register(' Robin.E2E@Example.com ');

    const early = await call('POST', '/auth/login', { body: { email, password: PASSWORD } });
    assert.equal(early.status, 401, 'login before verification');
    assert.equal(early.body?.code, 'LOGIN_BAD_CREDENTIALS');

    const link = verificationLink((await mailTo(email)).text);
    assert.equal(link.origin, BASE_URL);
    assert.equal(link.pathname, '/verify-email');
    const token = link.searchParams.get('token');
    assert.ok(token && token.length > 20, 'the link carries no token');

    const verified = await call('POST', '/auth/verify', { body: { token } });
    assert.equal(verified.status, 200, JSON.stringify(verified.body));
    const verifiedUser = verified.body?.user as { email: string; emailVerified: boolean; name: string };
    assert.equal(verifiedUser.email, email);
    assert.equal(verifiedUser.emailVerified, true);
    assert.equal(verifiedUser.name, 'Robin');

    const replayed = await call('POST', '/auth/verify', { body: { token } });
    assert.equal(replayed.status, 400, 'a verification token works once');
    assert.equal(replayed.body?.code, 'VERIFY_TOKEN_INVALID');

    const login = await call('POST', '/auth/login', { body: { email, password: PASSWORD } });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body?.tokenType, 'Bearer');
    assert.ok(Number(login.body?.expiresIn) > 0);
    const first = login.body as unknown as TokenPair;

    const me = await call('GET', '/users/me', { token: first.accessToken });
    assert.equal(me.status, 200);
    assert.equal((me.body?.user as { email?: string } | undefined)?.email, email);

    const refreshed = await call('POST', '/auth/refresh', { body: { refreshToken: first.refreshToken } });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    const second = refreshed.body as unknown as TokenPair;
    assert.notEqual(second.refreshToken, first.refreshToken);
    assert.notEqual(second.accessToken, first.accessToken);
    assert.equal((await call('GET', '/users/me', { token: second.accessToken })).status, 200);

    const logout = await call('POST', '/auth/logout', { token: second.accessToken });
    assert.equal(logout.status, 204);
    await assertInvalidToken(second.accessToken, 'the access token logged out with');
    await assertInvalidToken(first.accessToken, 'the access token from before the refresh');
    const afterLogout = await call('POST', '/auth/refresh', { body: { refreshToken: second.refreshToken } });
    assert.equal(afterLogout.status, 401);
    assert.equal(afterLogout.body?.code, 'REFRESH_TOKEN_INVALID');
  });

  it('forged Host and X-Forwarded-Host - should not change the verification link, which uses the configured base URL', async () => {
    const email = 'forged-host@example.com';
    const status = await postWithHeaders(
      '/auth/register',
      { email, password: PASSWORD },
      {
        host: 'evil.example',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
        forwarded: 'host=evil.example;proto=https',
        'x-forwarded-for': '203.0.113.7',
      },
    );
    assert.equal(status, 202);
    const mail = await mailTo(email);
    const link = verificationLink(mail.text);
    assert.equal(link.origin, BASE_URL);
    for (const body of [mail.text, mail.html ?? '']) assert.ok(!body.includes('evil.example'));

    // And the link is a working one.
    const verified = await call('POST', '/auth/verify', { body: { token: link.searchParams.get('token') } });
    assert.equal(verified.status, 200);
  });
});
