/**
 * `gatehouse/client`'s methods come from src/client/generated/routes.ts, which is generated from
 * the route table; a route added or changed without regenerating would leave the client's
 * types and methods wrong, so this fails when the committed file is stale.
 *
 * Invariants: the committed file is exactly what `npm run generate:client` writes now; every
 * operation of the document has exactly one client method, at the place the naming rule puts
 * it, and calling it sends that operation's method and path; no two operations share a name.
 *
 * To accept a deliberate change: `npm run generate:client` (or run this file with
 * UPDATE_CLIENT_ROUTES=1) and commit the result.
 *
 * @see issue #14
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import {
  clientName,
  clientOperations,
  GENERATED_CLIENT_FILE,
  generatedClientModule,
} from '../../scripts/generate-client.ts';
import { ROUTES } from '../../src/client/generated/routes.ts';
import { createAuthClient } from '../../src/client/index.ts';
import { everyFeatureOpenApiText } from '../fixtures/openapi-document.ts';

const UPDATE = process.env.UPDATE_CLIENT_ROUTES === '1';

describe('generated client routes', () => {
  it('the committed src/client/generated/routes.ts - should be what the generator writes from the route table now', async () => {
    const expected = await generatedClientModule();
    if (UPDATE) await writeFile(GENERATED_CLIENT_FILE, expected);
    const committed = await readFile(GENERATED_CLIENT_FILE, 'utf8');
    assert.ok(
      committed === expected,
      'src/client/generated/routes.ts is stale: run `npm run generate:client` and commit the result',
    );
  });

  it('every operation - should have exactly one client method, sending its method and path', async () => {
    const document = JSON.parse(await everyFeatureOpenApiText());
    const operations = clientOperations(document);
    assert.equal(ROUTES.length, operations.length);
    const seen: { method: string; url: string }[] = [];
    const client = createAuthClient({
      baseUrl: 'https://api.example.test',
      basePath: '/base',
      transport: 'bearer',
      fetch: async (input, init) => {
        seen.push({ method: String(init?.method), url: String(input) });
        return new Response(null, { status: 204 });
      },
    });
    const methods = new Set<unknown>();
    for (const [operationId, method, path, name] of ROUTES) {
      const target = name
        .split('.')
        .reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], client);
      assert.equal(typeof target, 'function', `client.${name} (${operationId}) is a method`);
      methods.add(target);
      const params = Object.fromEntries(
        [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map(([, p]) => [p, `${p}-1`]),
      );
      await (target as (input: unknown) => Promise<unknown>)(params);
      const sent = seen.at(-1);
      assert.equal(sent?.method, method, operationId);
      assert.equal(
        sent?.url.split('?')[0],
        `https://api.example.test/base${path.replace(/:([A-Za-z0-9_]+)/g, '$1-1')}`,
      );
    }
    assert.equal(methods.size, ROUTES.length, 'no two operations share a method');
  });

  it('the naming rule - actions by their last segment, resources by verb, parameters dropped', () => {
    assert.equal(
      clientName({ operationId: 'login', method: 'POST', path: '/auth/login' }, ['POST']),
      'auth.login',
    );
    assert.equal(
      clientName({ operationId: 'verifyTwoFactor', method: 'POST', path: '/auth/2fa/verify' }, ['POST']),
      'auth.twoFactor.verify',
    );
    assert.equal(
      clientName({ operationId: 'getMe', method: 'GET', path: '/users/me' }, ['GET', 'PATCH']),
      'users.me.get',
    );
    assert.equal(
      clientName({ operationId: 'listSessions', method: 'GET', path: '/users/me/sessions' }, ['GET']),
      'users.me.sessions.list',
    );
    assert.equal(
      clientName({ operationId: 'revokeSession', method: 'DELETE', path: '/users/me/sessions/:id' }, [
        'DELETE',
      ]),
      'users.me.sessions.revoke',
    );
    assert.equal(
      clientName({ operationId: 'createApiKey', method: 'POST', path: '/users/me/api-keys' }, [
        'POST',
        'GET',
      ]),
      'users.me.apiKeys.create',
    );
    assert.equal(
      clientName({ operationId: 'adminListApiKeys', method: 'GET', path: '/admin/users/:id/api-keys' }, [
        'GET',
        'POST',
      ]),
      'admin.users.apiKeys.list',
    );
    assert.equal(
      clientName({ operationId: 'jwks', method: 'GET', path: '/.well-known/jwks.json' }, ['GET']),
      'wellKnown.jwks.get',
    );
  });
});
