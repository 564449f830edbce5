/**
 * CORS for single-page apps on another origin, with credentials (`cors.origins`).
 *
 * Threats: a permissive answer that lets any site read responses made with the user's cookie
 * (a reflected origin, `*`, a look-alike origin matched by prefix or suffix), an allow-list
 * entry that means more than it says (wildcards, paths, other schemes, plain http in
 * production), and CORS headers appearing where nobody asked for them. The allowed origin is
 * also trusted for CSRF: its cookie-authenticated writes with the CSRF token go through.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type AuthConfigInput, ConfigError, createAuth, generateSecret } from '../../src/index.ts';
import {
  capturingTransport,
  createHarness,
  GOOD_PASSWORD,
  HARNESS_BASE_URL,
  type Harness,
  type JsonResponse,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';

const APP_ORIGIN = 'https://app.example.test';
/** Not the default (600), so the header is seen to follow the configuration. */
const MAX_AGE_SECONDS = 1234;
/** Origins that must get nothing: other sites, look-alikes, another scheme or port, `null`. */
const FOREIGN_ORIGINS = [
  'https://evil.example.test',
  'http://app.example.test',
  'https://app.example.test:8443',
  'https://app.example.test.evil.test',
  'https://evil-app.example.test',
  'https://example.test',
  'null',
];

function corsHeaders(response: JsonResponse): [string, string][] {
  return [...response.headers].filter(([name]) => name.startsWith('access-control-'));
}

/** A comma-separated header as a lower-cased list. */
function listOf(response: JsonResponse, header: string): string[] {
  return (response.headers.get(header) ?? '')
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');
}

function preflight(h: Harness, path: string, origin: string, method = 'PATCH'): Promise<JsonResponse> {
  return h.request('OPTIONS', path, {
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': method,
      'Access-Control-Request-Headers': 'content-type, x-csrf-token, authorization',
    },
  });
}

describe('CORS with cors.origins configured', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ config: { cors: { origins: [APP_ORIGIN], maxAgeSeconds: MAX_AGE_SECONDS } } });
  });
  after(() => h?.close());

  it('preflight from the allowed origin - should answer 204 granting exactly that origin, with credentials', async () => {
    for (const [path, method] of [
      ['/users/me', 'PATCH'],
      ['/auth/session', 'POST'],
      ['/users/me/sessions/some-id', 'DELETE'],
    ] as const) {
      const response = await preflight(h, path, APP_ORIGIN, method);
      assert.equal(response.status, 204, `${method} ${path}`);
      assert.equal(response.text, '');
      assert.equal(
        response.headers.get('access-control-allow-origin'),
        APP_ORIGIN,
        'the exact origin, never *',
      );
      assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
      const methods = listOf(response, 'access-control-allow-methods');
      for (const expected of ['get', 'post', 'patch', 'delete'])
        assert.ok(methods.includes(expected), expected);
      const headers = listOf(response, 'access-control-allow-headers');
      for (const expected of ['x-csrf-token', 'authorization', 'content-type']) {
        assert.ok(headers.includes(expected), `Allow-Headers includes ${expected}`);
      }
      assert.equal(response.headers.get('access-control-max-age'), String(MAX_AGE_SECONDS));
      assert.ok(listOf(response, 'vary').includes('origin'), 'Vary: Origin');
    }
  });

  it('preflight from any other origin - should grant nothing, and still vary on Origin', async () => {
    for (const origin of FOREIGN_ORIGINS) {
      const response = await preflight(h, '/users/me', origin);
      assert.deepEqual(corsHeaders(response), [], `no Access-Control-* header for ${origin}`);
      assert.ok(listOf(response, 'vary').includes('origin'), `Vary: Origin for ${origin}`);
    }
  });

  it('simple request from the allowed origin - should carry the origin, credentials and the exposed headers', async () => {
    const me = await h.signedInUser();
    const ok = await h.get('/users/me', { token: me.accessToken, headers: { Origin: APP_ORIGIN } });
    // An error must be readable too, so the app can branch on its code.
    const unauthenticated = await h.get('/users/me', { headers: { Origin: APP_ORIGIN } });
    assert.equal(ok.status, 200);
    assert.equal(unauthenticated.status, 401);
    for (const response of [ok, unauthenticated]) {
      assert.equal(response.headers.get('access-control-allow-origin'), APP_ORIGIN);
      assert.equal(response.headers.get('access-control-allow-credentials'), 'true');
      const exposed = listOf(response, 'access-control-expose-headers');
      for (const expected of ['x-request-id', 'x-csrf-token', 'retry-after']) {
        assert.ok(exposed.includes(expected), `Expose-Headers includes ${expected}`);
      }
      assert.ok(listOf(response, 'vary').includes('origin'), 'Vary: Origin');
    }
  });

  it('simple request from any other origin - should carry no CORS header', async () => {
    const me = await h.signedInUser();
    for (const origin of FOREIGN_ORIGINS) {
      const response = await h.get('/users/me', { token: me.accessToken, headers: { Origin: origin } });
      assert.equal(response.status, 200, 'CORS decides what the browser may read, not what the server does');
      assert.deepEqual(corsHeaders(response), [], `no Access-Control-* header for ${origin}`);
    }
    const withoutOrigin = await h.get('/users/me', { token: me.accessToken });
    assert.deepEqual(corsHeaders(withoutOrigin), [], 'no Access-Control-* header without Origin');
  });

  it('CSRF - a cookie-authenticated PATCH from the CORS origin with the CSRF token should be accepted, and refused from elsewhere', async () => {
    const email = uniqueEmail();
    await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true, name: 'Before' });
    const started = await h.post(
      '/auth/session',
      { email, password: GOOD_PASSWORD },
      { headers: { Origin: APP_ORIGIN } },
    );
    assert.equal(started.status, 200, `a cookie login from the CORS origin: ${started.text}`);
    assert.equal(started.headers.get('access-control-allow-origin'), APP_ORIGIN);
    const cookie = (started.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const csrfToken: string = started.body.csrfToken;

    const foreign = await h.request('PATCH', '/users/me', {
      body: { name: 'Forged' },
      headers: { Cookie: cookie, 'X-CSRF-Token': csrfToken, Origin: 'https://evil.example.test' },
    });
    assert.equal(foreign.status, 403, foreign.text);
    assert.equal(foreign.body.code, 'CSRF_FAILED');
    const tokenless = await h.request('PATCH', '/users/me', {
      body: { name: 'Forged' },
      headers: { Cookie: cookie, Origin: APP_ORIGIN },
    });
    assert.equal(tokenless.status, 403, tokenless.text);
    assert.equal((await h.auth.api.users.findByEmail(email))?.name, 'Before', 'nothing changed');

    const accepted = await h.request('PATCH', '/users/me', {
      body: { name: 'After' },
      headers: { Cookie: cookie, 'X-CSRF-Token': csrfToken, Origin: APP_ORIGIN },
    });
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.body.user.name, 'After');
    assert.equal(accepted.headers.get('access-control-allow-origin'), APP_ORIGIN);
    assert.equal((await h.auth.api.users.findByEmail(email))?.name, 'After');
  });
});

describe('CORS without configuration', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h?.close());

  it('no cors.origins - should send no CORS header at all, whatever the origin', async () => {
    const me = await h.signedInUser();
    for (const origin of [APP_ORIGIN, HARNESS_BASE_URL, 'https://evil.example.test']) {
      assert.deepEqual(corsHeaders(await preflight(h, '/users/me', origin)), [], `preflight from ${origin}`);
      const simple = await h.get('/users/me', { token: me.accessToken, headers: { Origin: origin } });
      assert.equal(simple.status, 200);
      assert.deepEqual(corsHeaders(simple), [], `simple request from ${origin}`);
    }
  });
});

describe('cors.origins validation', () => {
  let dataDir = '';
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-cors-config-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  /** A configuration that is valid in `mode` apart from what `cors` brings. */
  function configWith(origins: readonly string[], mode: 'development' | 'production'): AuthConfigInput {
    return {
      mode,
      dataDir,
      logLevel: 'silent',
      baseUrl: HARNESS_BASE_URL,
      secrets: [{ id: 'k1', secret: generateSecret() }],
      database: { url: `sqlite:${join(dataDir, 'gatehouse.db')}` },
      mail: { transport: capturingTransport([]) },
      cors: { origins: [...origins] },
    };
  }

  async function configErrorOf(config: AuthConfigInput): Promise<ConfigError> {
    let caught: unknown;
    try {
      const auth = await createAuth(config);
      await auth.close();
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${String(caught)}`);
    return caught;
  }

  async function assertAccepted(config: AuthConfigInput): Promise<void> {
    const auth = await createAuth(config);
    await auth.close();
  }

  for (const invalid of ['*', 'https://*.example.com', 'https://app.example.com/path', 'ftp://x']) {
    it(`cors.origins - should refuse ${JSON.stringify(invalid)} naming its index, without echoing it`, async () => {
      const error = await configErrorOf(configWith([APP_ORIGIN, invalid], 'development'));
      assert.deepEqual(
        error.problems.map((problem) => problem.path),
        ['cors.origins[1]'],
      );
      if (invalid !== '*') assert.ok(!error.message.includes(invalid), 'the message never echoes the value');
    });
  }

  it('cors.origins - should report every invalid entry at once', async () => {
    const error = await configErrorOf(
      configWith(
        ['*', APP_ORIGIN, 'https://*.example.com', 'https://app.example.com/path', 'ftp://x'],
        'development',
      ),
    );
    assert.deepEqual(
      error.problems.map((problem) => problem.path),
      ['cors.origins[0]', 'cors.origins[2]', 'cors.origins[3]', 'cors.origins[4]'],
    );
    assert.match(error.problems[0]?.message ?? '', /wildcard/);
  });

  it('production - should refuse a plain http origin that is not loopback', async () => {
    const error = await configErrorOf(
      configWith([APP_ORIGIN, 'http://app.example.com', 'http://localhost.example.com'], 'production'),
    );
    assert.deepEqual(
      error.problems.map((problem) => problem.path),
      ['cors.origins[1]', 'cors.origins[2]'],
    );
    for (const problem of error.problems) assert.match(problem.message, /https/);
  });

  it('production - should accept https origins and plain http on loopback; development should accept plain http', async () => {
    await assertAccepted(
      configWith(
        [APP_ORIGIN, 'http://localhost:5173', 'http://127.0.0.1:8080', 'http://[::1]:3000'],
        'production',
      ),
    );
    await assertAccepted(configWith(['http://app.example.com'], 'development'));
  });
});
