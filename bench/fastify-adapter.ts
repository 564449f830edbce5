/**
 * What the Fastify adapter costs: the example's `GET /api/me` (a Fastify route behind
 * `requireAuth()`) and Gatehouse's own `GET /api/users/me` through the plugin's catch-all, side
 * by side with a bare Fastify JSON route and with `auth.fetch` called directly, in one run.
 * In process (`app.inject`, no sockets), so only server code is measured; memory stores,
 * SQLite in memory. Not run in CI.
 *
 *   node bench/fastify-adapter.ts [--concurrency=16] [--duration=1500] [--rounds=3]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildApp } from '../examples/fastify/app.ts';
import { BASE_URL, createBenchAuth, createBenchUser, loginInProcess } from './lib/gatehouse.ts';
import { boundedRun } from './lib/lifecycle.ts';
import { type Contender, compareContenders, machineLine, numberArg, since } from './lib/measure.ts';

const concurrency = numberArg('concurrency', 16);
const durationMs = numberArg('duration', 1500);
const rounds = numberArg('rounds', 3);

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

  const viaInject = (url: string) => async () => {
    const response = await app.inject({ method: 'GET', url, headers: { authorization } });
    if (response.statusCode !== 200) throw new Error(`${url}: ${response.statusCode} ${response.body}`);
  };
  const direct = async () => {
    const response = await auth.fetch(new Request(`${BASE_URL}/users/me`, { headers: { authorization } }));
    if (response.status !== 200) throw new Error(`direct: ${response.status}`);
    await response.arrayBuffer();
  };
  const contenders: Contender[] = [
    { name: 'bare Fastify route', call: viaInject('/bare') },
    { name: 'GET /api/me (requireAuth)', call: viaInject('/api/me') },
    { name: 'GET /api/users/me (plugin)', call: viaInject('/api/users/me') },
    { name: 'GET /users/me (auth.fetch)', call: direct },
  ];
  const best = await compareContenders('fastify-adapter', contenders, { concurrency, durationMs, rounds });
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
