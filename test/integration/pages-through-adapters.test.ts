/**
 * The hosted pages mounted in an Express 5 and a Fastify 5 app as docs/PAGES.md says
 * ("Mounting the pages in a library app"): `toNodeHandler(auth.pages)` for the paths
 * `auth.pages.handles`, beside the adapter serving the JSON API and the app's own body
 * parsers. Over real loopback HTTP: the sign-in page renders with its nonce CSP, its form signs
 * in (the pages read their own form body, which no parser of the app consumed), the cookie
 * session then reaches the account page and the API through the adapter, and the app's own
 * routes still answer.
 */
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import Fastify from 'fastify';
import { gatehouse as expressGatehouse } from '../../src/http/adapters/express/index.ts';
import { gatehouse as fastifyGatehouse } from '../../src/http/adapters/fastify/index.ts';
import { toNodeHandler } from '../../src/http/adapters/node/index.ts';
import type { Auth } from '../../src/index.ts';
import { createHarness, GOOD_PASSWORD, type Harness, uniqueEmail } from '../fixtures/auth-harness.ts';
import { cspNonce, overHttp, pageBrowser } from '../fixtures/pages.ts';

/** Express: the recipe of docs/PAGES.md, with the app's body parsers after it. */
function expressApp(auth: Auth) {
  const app = express();
  const pages = toNodeHandler(auth.pages);
  app.use((req, res, next) => (auth.pages.handles(req.path) ? pages(req, res) : next()));
  app.use(express.urlencoded({ extended: false }), express.json());
  app.use(expressGatehouse(auth));
  app.post('/app/echo', (req, res) => {
    res.json({ echoed: req.body ?? null });
  });
  return app;
}

/** Fastify: the recipe of docs/PAGES.md, an onRequest hook before any body is parsed. */
async function fastifyApp(auth: Auth) {
  const app = Fastify();
  const pages = toNodeHandler(auth.pages);
  app.addHook('onRequest', async (request, reply) => {
    if (!auth.pages.handles(request.url.split('?')[0]!)) return;
    reply.hijack();
    pages(request.raw, reply.raw);
  });
  // The harness closes the instance itself.
  await app.register(fastifyGatehouse, { auth, closeOnShutdown: false });
  app.post('/app/echo', async (request) => ({ echoed: request.body ?? null }));
  return app;
}

describe('hosted pages through the Express and Fastify adapters', () => {
  let h: Harness;
  const bases: Record<string, string> = {};
  const closers: (() => Promise<unknown>)[] = [];
  before(async () => {
    h = await createHarness();
    const server = expressApp(h.auth).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    bases.express = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    closers.push(() => new Promise((resolve) => server.close(resolve)));
    const fastify = await fastifyApp(h.auth);
    bases.fastify = await fastify.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => fastify.close());
  });
  after(async () => {
    for (const close of closers) await close();
    await h?.close();
  });

  for (const framework of ['express', 'fastify']) {
    it(`${framework}: sign-in page, its form, the account page, the API and the app's own route`, async () => {
      const base = bases[framework]!;
      const email = uniqueEmail(framework);
      await h.register(email);
      const browser = pageBrowser(overHttp(base));

      const signIn = await browser.get('/sign-in');
      assert.equal(signIn.status, 200);
      assert.equal(signIn.heading, 'Sign in');
      const nonce = cspNonce(signIn.headers);
      assert.ok(nonce, 'a nonce CSP');
      const stylesheet = /<link rel="stylesheet" href="([^"]+)">/.exec(signIn.html)?.[1] ?? '';
      assert.equal((await fetch(`${base}${stylesheet}`)).status, 200, 'the stylesheet is served');

      const account = await browser.submit(signIn, { email, password: GOOD_PASSWORD });
      assert.equal(account.path, '/account', `${account.status}: ${account.heading}`);
      assert.match(account.html, new RegExp(email.replace(/[.+]/g, '\\$&')));
      const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
      const me = await fetch(`${base}/users/me`, { headers: { cookie } });
      assert.equal(me.status, 200, 'the cookie session reaches the API through the adapter');
      assert.equal(((await me.json()) as { user: { email: string } }).user.email, email);

      const echo = await fetch(`${base}/app/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ still: 'parsed' }),
      });
      assert.deepEqual(await echo.json(), { echoed: { still: 'parsed' } });
      const notFound = await fetch(`${base}/no-such-route`);
      assert.equal(notFound.status, 404, 'other paths stay the app’s');
    });
  }
});
