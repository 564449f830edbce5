/**
 * `gatehouse/express` in process, mounted at the root of Express 5 apps over one Gatehouse
 * instance: a body parser's exact bytes kept with `keepRawBody` reach Gatehouse (a signed body
 * formatted with spaces verifies after express.json()), while without it the re-serialised
 * body differs and the signature is refused (the documented limit), and the route table
 * decides what is Gatehouse's: its methods (HEAD with GET) are served, another method on one
 * of its paths and OPTIONS without CORS fall through to the application.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import { signedFetchInit } from '../../src/client/signing/node.ts';
import { gatehouse, keepRawBody } from '../../src/http/adapters/express/index.ts';
import { createApiKey, createKeyOwner, type SigningKey, signingKeyOf } from '../fixtures/api-keys.ts';
import { createHarness, type Harness } from '../fixtures/auth-harness.ts';

let h: Harness;
let key: SigningKey;
const servers: Server[] = [];
let keepingRaw = '';
let reserialising = '';

async function listen(app: express.Express): Promise<string> {
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function withFallback(app: express.Express): express.Express {
  app.use((req, res) => {
    res.status(418).json({ application: `${req.method} ${req.path}` });
  });
  return app;
}

before(async () => {
  h = await createHarness();
  const owner = await createKeyOwner(h);
  key = signingKeyOf(await createApiKey(h, owner.token, { name: 'raw body key', signing: true }));
  const raw = express();
  raw.use(express.json({ verify: keepRawBody }));
  raw.use(gatehouse(h.auth));
  keepingRaw = await listen(withFallback(raw));
  const plain = express();
  plain.use(express.json());
  plain.use(gatehouse(h.auth));
  reserialising = await listen(withFallback(plain));
});

after(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  await h.close();
});

async function signedPatch(base: string, body: string): Promise<number> {
  const url = `${base}/users/me`;
  const response = await fetch(
    url,
    signedFetchInit({ keyId: key.keyId, secret: key.secret, method: 'PATCH', url, body }),
  );
  await response.arrayBuffer();
  return response.status;
}

describe('gatehouse/express body hand-over', () => {
  it('express.json({ verify: keepRawBody }) before the adapter - a signed body with spaces should verify', async () => {
    assert.equal(await signedPatch(keepingRaw, '{ "name" : "Kept Bytes" }'), 200);
  });

  it('express.json() alone before the adapter - compact JSON verifies, a spaced body is refused 401', async () => {
    assert.equal(await signedPatch(reserialising, JSON.stringify({ name: 'Compact' })), 200);
    assert.equal(await signedPatch(reserialising, '{ "name" : "Spaced" }'), 401);
  });
});

describe('gatehouse/express route table', () => {
  it('serves Gatehouse’s methods (HEAD with GET) and leaves other methods and OPTIONS to the application', async () => {
    const head = await fetch(`${keepingRaw}/openapi.json`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    const openapi = await fetch(`${keepingRaw}/openapi.json`);
    assert.equal(openapi.status, 200);
    assert.equal(((await openapi.json()) as { openapi?: string }).openapi?.startsWith('3.'), true);
    for (const [method, path] of [
      ['DELETE', '/auth/login'],
      ['OPTIONS', '/auth/login'],
      ['GET', '/not-gatehouse'],
    ] as const) {
      const response = await fetch(`${keepingRaw}${path}`, { method });
      assert.equal(response.status, 418, `${method} ${path} goes to the application`);
      assert.deepEqual(await response.json(), { application: `${method} ${path}` });
    }
  });
});

describe('gatehouse/express mount-path mismatch', () => {
  it('a mount path differing from http.basePath - should answer 500 on every request under it and log the mismatch once', async () => {
    const logged: string[] = [];
    const mismatched = {
      ...h.auth,
      config: { ...h.auth.config, http: { ...h.auth.config.http, basePath: '/auth' } },
      logger: { error: (_fields: object, message: string) => logged.push(message) },
    };
    const app = express();
    app.use('/api', gatehouse(mismatched));
    const base = await listen(withFallback(app));
    for (const path of ['/api/auth/login', '/api/users/me', '/api/anything']) {
      const response = await fetch(`${base}${path}`, { method: 'POST' });
      assert.equal(response.status, 500, path);
      assert.equal(((await response.json()) as { code?: string }).code, 'INTERNAL');
    }
    assert.equal(logged.length, 1, 'logged once, not per request');
    assert.doesNotMatch(logged[0] ?? '', /\/api|\/auth\b/, 'the log names the mismatch, not the paths');
    const outside = await fetch(`${base}/elsewhere`);
    assert.equal(outside.status, 418, 'requests outside the mount are the application’s');
  });
});
