/**
 * What the Express adapter costs: the example's `GET /api/me` (an Express route behind
 * `requireAuth()`) and Gatehouse's own `GET /api/users/me` through the adapter, side by side
 * with a bare Express JSON route on the same app (which still passes the adapter's route-table
 * check) and on an app without Gatehouse, and beside the same checks done by hand in plain
 * Express routes (Gatehouse's guard, `auth.guards.checkRule`, and its `auth.fetch`), in one run. Real loopback HTTP with keep-alive
 * (`fetch`), memory stores, SQLite in memory. Not run in CI.
 *
 *   node bench/express-adapter.ts [--concurrency=16] [--duration=1500] [--rounds=3]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { buildApp } from '../examples/express/app.ts';
import type { AccessRule } from '../src/http/pipeline.ts';
import { BASE_URL, createBenchAuth, createBenchUser, loginBody } from './lib/gatehouse.ts';
import { boundedRun } from './lib/lifecycle.ts';
import { type Contender, compareContenders, machineLine, numberArg, since } from './lib/measure.ts';

const concurrency = numberArg('concurrency', 16);
const durationMs = numberArg('duration', 1500);
const rounds = numberArg('rounds', 3);

/** What `requireAuth()` checks. */
const SIGNED_IN: AccessRule = Object.freeze({ authentication: 'required' });

const run = boundedRun('express-adapter', 5 * 60_000);
const started = performance.now();

async function listen(app: express.Express): Promise<{ base: string; server: Server }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

try {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
  run.defer(() => rm(dataDir, { recursive: true, force: true }));
  const auth = await createBenchAuth({
    databaseUrl: 'sqlite::memory:',
    stores: { backend: 'memory' },
    dataDir,
    config: { http: { basePath: '/api' } },
  });
  run.defer(() => auth.close());
  await createBenchUser(auth, 'reader@express.example.com');

  // The example's app (Gatehouse under /api) with one bare route beside it, and a bare app.
  const withGatehouse = buildApp(auth);
  withGatehouse.get('/bare', (_req, res) => {
    res.json({ userId: 'not-looked-at' });
  });
  const plain = express();
  plain.get('/bare', (_req, res) => {
    res.json({ userId: 'not-looked-at' });
  });
  // Without the adapter: the same work done by hand in plain Express routes, so the ratios
  // isolate the adapter, not authentication. A web Request from the Node request, then
  // Gatehouse's guard (what requireAuth() runs) or its fetch handler (what the adapter mounts).
  const webRequest = (req: express.Request) => {
    // Every header, as the adapter hands them to Gatehouse (cookies, forwarding headers, …).
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers.set(name, value);
      else if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    }
    return new Request(`${BASE_URL}${req.originalUrl}`, { headers });
  };
  plain.get('/direct-guard', async (req, res) => {
    const outcome = await auth.guards.checkRule(webRequest(req), SIGNED_IN, {
      ...(req.socket.remoteAddress === undefined ? {} : { clientIp: req.socket.remoteAddress }),
    });
    if (!outcome.ok) {
      res.status(outcome.response.status).end();
      return;
    }
    res.json({ userId: outcome.principal?.userId });
  });
  plain.get('/api/users/me', async (req, res) => {
    const response = await auth.fetch(webRequest(req));
    res.status(response.status);
    response.headers.forEach((value, name) => {
      res.setHeader(name, value);
    });
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  const a = await listen(withGatehouse);
  const b = await listen(plain);
  run.defer(() => new Promise<void>((resolve) => a.server.close(() => resolve())));
  run.defer(() => new Promise<void>((resolve) => b.server.close(() => resolve())));
  a.server.keepAliveTimeout = 10_000;
  b.server.keepAliveTimeout = 10_000;

  // Signed in through the adapter (Gatehouse's routes live under /api here).
  const login = await fetch(`${a.base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: loginBody('reader@express.example.com'),
  });
  const { accessToken } = (await login.json()) as { accessToken?: string };
  if (login.status !== 200 || !accessToken) throw new Error(`login answered ${login.status}`);
  const authorization = `Bearer ${accessToken}`;

  const get = (url: string) => async () => {
    const response = await fetch(url, { headers: { authorization } });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
  };
  const contenders: Contender[] = [
    { name: 'bare Express app', call: get(`${b.base}/bare`) },
    { name: 'bare route beside Gatehouse', call: get(`${a.base}/bare`) },
    { name: 'direct guard (checkRule)', call: get(`${b.base}/direct-guard`) },
    { name: 'GET /api/me (requireAuth)', call: get(`${a.base}/api/me`) },
    { name: 'direct auth.fetch /api/users/me', call: get(`${b.base}/api/users/me`) },
    { name: 'GET /api/users/me (adapter)', call: get(`${a.base}/api/users/me`) },
  ];
  const best = await compareContenders('express-adapter', contenders, { concurrency, durationMs, rounds });
  const ratio = (x: string, y: string) => (best(x) / best(y)).toFixed(3);
  console.log(
    `  bare beside Gatehouse ÷ bare app:       ${ratio('bare route beside Gatehouse', 'bare Express app')}`,
  );
  console.log(
    `  /api/me ÷ direct guard:                 ${ratio('GET /api/me (requireAuth)', 'direct guard (checkRule)')}`,
  );
  console.log(
    `  /api/users/me adapter ÷ direct fetch:   ${ratio('GET /api/users/me (adapter)', 'direct auth.fetch /api/users/me')}`,
  );
  console.log(
    `  /api/me ÷ bare route beside Gatehouse:  ${ratio('GET /api/me (requireAuth)', 'bare route beside Gatehouse')}`,
  );
  console.log(
    `  /api/users/me (adapter) ÷ /api/me:      ${ratio('GET /api/users/me (adapter)', 'GET /api/me (requireAuth)')}`,
  );
  console.log(`\nDone in ${since(started)} (${machineLine()}).`);
} finally {
  await run.cleanup();
}
