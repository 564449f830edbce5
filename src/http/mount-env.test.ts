/**
 * The app behind a framework's mount path (mount-env.ts): it routes on the path below the
 * prefix the adapter names in `env`, while the route's request keeps the URL the client sent
 * (what a signature covers). Nothing a client sends can name a mount: headers are not read.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { CORE_ERROR_CODES } from '../core/errors/index.ts';
import { createHttpApp } from './app.ts';
import { MOUNT_PATH_ENV_KEY, mountPathOf, routingPath, withMountPath } from './mount-env.ts';
import { defineRoute } from './route.ts';

/** Answers the URL its handler was given, so a test sees what a verifier would. */
const whereRoute = defineRoute({
  method: 'GET',
  path: '/users/me',
  operationId: 'where',
  summary: 'The URL the route saw',
  responses: { 200: { description: 'Seen' } },
  async handler({ request }) {
    return { status: 200, body: { url: request.url } };
  },
});

function appWithBasePath(basePath: string) {
  return createHttpApp({
    routes: [whereRoute],
    catalogue: CORE_ERROR_CODES,
    logger: pino({ level: 'silent' }),
    basePath,
    openapi: { title: 'mount test', version: '1' },
  });
}

/** Status and, for a 200, the URL the route saw. */
async function call(
  app: ReturnType<typeof appWithBasePath>,
  url: string,
  env?: object,
  headers?: Record<string, string>,
) {
  const response = await app.fetch(new Request(url, headers === undefined ? {} : { headers }), env);
  const body = (await response.json()) as { url?: string };
  return { status: response.status, url: body.url };
}

describe('routingPath', () => {
  const at = (path: string) => new Request(`http://h${path}`);

  it('no mount, or a mount equal to the base path - should route on the whole path', () => {
    assert.equal(routingPath(at('/api/users/me'), {}, ''), '/api/users/me');
    assert.equal(routingPath(at('/api/users/me'), undefined, ''), '/api/users/me');
    assert.equal(routingPath(at('/api/users/me'), withMountPath({}, '/api'), '/api'), '/api/users/me');
  });

  it('a mount spelled in another case than the base path (Express matches mounts so) - should route as the base path', () => {
    const env = withMountPath({}, '/API');
    assert.equal(routingPath(at('/API/users/me'), env, '/api'), '/api/users/me');
    assert.equal(routingPath(at('/API'), env, '/api'), '/api');
    assert.notEqual(
      routingPath(at('/APIX/users/me'), env, '/api'),
      '/api/users/me',
      'only at a segment boundary',
    );
  });

  it('a prefix-only mount - should route on the path below it, at a segment boundary only', () => {
    const env = withMountPath({}, '/api/');
    assert.equal(routingPath(at('/api/users/me?x=1'), env, ''), '/users/me');
    assert.equal(routingPath(at('/api'), env, ''), '/');
    assert.equal(routingPath(at('/apix/users/me'), env, ''), '/\u0000outside-mount');
    assert.equal(routingPath(at('/users/me'), env, ''), '/\u0000outside-mount');
  });

  it('mountPathOf - should read only a string under its own key', () => {
    assert.equal(mountPathOf({ [MOUNT_PATH_ENV_KEY]: '/api//' }), '/api');
    assert.equal(mountPathOf({ [MOUNT_PATH_ENV_KEY]: 42 }), '');
    assert.equal(mountPathOf(null), '');
    assert.equal(mountPathOf('gatehouseMountPath'), '');
  });

  it('withMountPath - should copy the env, keeping what the adapter put there', () => {
    const incoming = { socket: {} };
    const env = { incoming };
    const mounted = withMountPath(env, '/api');
    assert.equal(mounted.incoming, incoming);
    assert.equal(mounted.gatehouseMountPath, '/api');
    assert.equal(MOUNT_PATH_ENV_KEY in env, false);
  });
});

describe('createHttpApp under a mount path', () => {
  it('an empty base path mounted at /api - should serve /api/users/me and hand the route the URL as sent', async () => {
    const app = appWithBasePath('');
    const seen = await call(app, 'http://h/api/users/me?b=2&a=1', withMountPath({}, '/api'));
    assert.deepEqual(seen, { status: 200, url: 'http://h/api/users/me?b=2&a=1' });
  });

  it('the same app - should not serve the unprefixed path under the mount, nor the prefixed one without it', async () => {
    const app = appWithBasePath('');
    assert.equal((await call(app, 'http://h/users/me', withMountPath({}, '/api'))).status, 404);
    assert.equal((await call(app, 'http://h/api/users/me')).status, 404);
    assert.equal((await call(app, 'http://h/users/me')).status, 200);
  });

  it('a client naming a mount in headers - should change nothing', async () => {
    const app = appWithBasePath('');
    const forged = {
      'x-gatehouse-mount-path': '/api',
      gatehouseMountPath: '/api',
      'x-forwarded-prefix': '/api',
      'x-original-url': '/api/users/me',
      'x-rewrite-url': '/api/users/me',
    };
    assert.equal((await call(app, 'http://h/api/users/me', {}, forged)).status, 404);
    const direct = await call(app, 'http://h/users/me', {}, forged);
    assert.deepEqual(direct, { status: 200, url: 'http://h/users/me' });
  });

  it('a mount equal to the base path - should apply the prefix once', async () => {
    const app = appWithBasePath('/api');
    const seen = await call(app, 'http://h/api/users/me', withMountPath({}, '/api'));
    assert.deepEqual(seen, { status: 200, url: 'http://h/api/users/me' });
    assert.equal((await call(app, 'http://h/api/api/users/me', withMountPath({}, '/api'))).status, 404);
  });
});
