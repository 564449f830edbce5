/**
 * What the Fastify adapter costs: the example's `GET /api/me` (a Fastify route behind
 * `requireAuth()`) and Gatehouse's own `GET /api/users/me` through the plugin's catch-all, side
 * by side with a bare Fastify JSON route (on that app and on one without the plugin), the same
 * checks done by hand in a plugin-less app (`auth.guards.checkRule`, `auth.fetch`) and
 * `auth.fetch` called directly, in one run.
 * In process (`app.inject`, no sockets), so only server code is measured; memory stores,
 * SQLite in memory. Not run in CI.
 *
 *   node bench/fastify-adapter.ts [--concurrency=16] [--duration=1500] [--rounds=3]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { buildApp } from '../examples/fastify/app.ts';
import type { AccessRule } from '../src/http/pipeline.ts';
import { BASE_URL, createBenchAuth, createBenchUser, loginInProcess } from './lib/gatehouse.ts';
import { boundedRun } from './lib/lifecycle.ts';
import { type Contender, compareContenders, machineLine, numberArg, since } from './lib/measure.ts';

const concurrency = numberArg('concurrency', 16);
const durationMs = numberArg('duration', 1500);
const rounds = numberArg('rounds', 3);

/** What `requireAuth()` checks. */
const SIGNED_IN: AccessRule = Object.freeze({ authentication: 'required' });

const run = boundedRun('fastify-adapter', 5 * 60_000);
const started = performance.now();

try {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
  run.defer(() => rm(dataDir, { recursive: true, force: true }));
  const auth = await createBenchAuth({
    databaseUrl: 'sqlite::memory:',
    stores: { backend: 'memory' },
    dataDir,
  });
  run.defer(() => auth.close());
  await createBenchUser(auth, 'reader@fastify.example.com');
  const token = await loginInProcess(auth, 'reader@fastify.example.com');
  const authorization = `Bearer ${token}`;

  // The example's app (Gatehouse under /api) with one bare route beside it.
  const app = await buildApp(auth);
  app.get('/bare', async () => ({ userId: 'not-looked-at' }));
  await app.ready();
  run.defer(() => app.close());
  // A Fastify app without the plugin: the same bare route, and the same work done by hand so the
  // ratios isolate the adapter, not authentication (Gatehouse's guard, what requireAuth() runs,
  // and its fetch handler, what the plugin's catch-all calls), each from a web Request.
  const plain = Fastify();
  plain.get('/bare', async () => ({ userId: 'not-looked-at' }));
  const webRequest = (request: FastifyRequest) => {
    // Every header, as the plugin hands them to Gatehouse (cookies, forwarding headers, …).
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string') headers.set(name, value);
      else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    }
    return new Request(`${BASE_URL}${request.url}`, { headers });
  };
  plain.get('/direct-guard', async (request, reply) => {
    const outcome = await auth.guards.checkRule(webRequest(request), SIGNED_IN, { clientIp: request.ip });
    if (!outcome.ok) return reply.code(outcome.response.status).send();
    return { userId: outcome.principal?.userId };
  });
  plain.get('/users/me', async (request, reply) => {
    const response = await auth.fetch(webRequest(request));
    reply.code(response.status);
    response.headers.forEach((value, name) => {
      reply.header(name, value);
    });
    return reply.send(Buffer.from(await response.arrayBuffer()));
  });
  await plain.ready();
  run.defer(() => plain.close());

  const viaInject =
    (url: string, target: FastifyInstance = app) =>
    async () => {
      const response = await target.inject({ method: 'GET', url, headers: { authorization } });
      if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
    };
  const direct = async () => {
    const response = await auth.fetch(new Request(`${BASE_URL}/users/me`, { headers: { authorization } }));
    if (response.status !== 200) throw new Error(`direct: ${response.status}`);
    await response.arrayBuffer();
  };
  const contenders: Contender[] = [
    { name: 'bare Fastify app', call: viaInject('/bare', plain) },
    { name: 'bare Fastify route', call: viaInject('/bare') },
    { name: 'direct guard (checkRule)', call: viaInject('/direct-guard', plain) },
    { name: 'GET /api/me (requireAuth)', call: viaInject('/api/me') },
    { name: 'direct auth.fetch route', call: viaInject('/users/me', plain) },
    { name: 'GET /api/users/me (plugin)', call: viaInject('/api/users/me') },
    { name: 'GET /users/me (auth.fetch)', call: direct },
  ];
  const best = await compareContenders('fastify-adapter', contenders, { concurrency, durationMs, rounds });
  const ratio = (x: string, y: string) => (best(x) / best(y)).toFixed(3);
  console.log(`  bare beside the plugin ÷ bare app:     ${ratio('bare Fastify route', 'bare Fastify app')}`);
  console.log(
    `  /api/me ÷ direct guard:                ${ratio('GET /api/me (requireAuth)', 'direct guard (checkRule)')}`,
  );
  console.log(
    `  /api/users/me (plugin) ÷ direct route: ${ratio('GET /api/users/me (plugin)', 'direct auth.fetch route')}`,
  );
  console.log(
    `  /api/me ÷ bare Fastify route:          ${(best('GET /api/me (requireAuth)') / best('bare Fastify route')).toFixed(3)}`,
  );
  console.log(
    `  /api/users/me (plugin) ÷ auth.fetch:   ${(best('GET /api/users/me (plugin)') / best('GET /users/me (auth.fetch)')).toFixed(3)}`,
  );
  console.log(`\nDone in ${since(started)} (${machineLine()}).`);
} finally {
  await run.cleanup();
}
