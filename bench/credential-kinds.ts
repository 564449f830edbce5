/**
 * What each kind of credential costs a request: a bearer JWT (the baseline), a bearer opaque
 * access token (`tokens: { access: 'opaque' }`), a browser cookie session and an API key, with memory
 * stores and with Redis stores (a throwaway redis-server on loopback, started and stopped
 * here). In process (`fetch` on the apps, no sockets), from a bounded number of concurrent
 * callers so Redis round trips overlap as they do on a loaded server.
 *
 *   node bench/credential-kinds.ts [--concurrency=16] [--duration=1500] [--rounds=3] [--sessions=16]
 *
 * Two figures per kind and backend, as in authenticated-request: "authentication only" (a Hono
 * route behind `auth.requireAuth()`) and the full `GET /users/me`. Each kind gets `--sessions`
 * users with one credential each, cycled by the callers, so no single key is hot.
 *
 * How each kind is checked: a JWT by its signature and one denylist `getMany` (MGET); an opaque
 * token and a cookie by one key-value `get` (GET) of a cached credential, read from the database
 * only on a miss. A cookie session also slides its idle expiry, a database write and a cache
 * delete at most once per `cookies.touchIntervalSeconds` (60 s by default) per session. Then the
 * Redis commands each steady-state request sends, counted with `MONITOR` (the claim: at most one
 * round trip per request), and how many cookie sessions slid during the run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import type { Auth, AuthConfigInput } from '../src/index.ts';
import { startRedis } from '../test/fixtures/redis-server.ts';
import {
  BASE_URL,
  createBenchAuth,
  createBenchUser,
  expectOk,
  guardedApp,
  loginBody,
  loginInProcess,
} from './lib/gatehouse.ts';
import { boundedRun } from './lib/lifecycle.ts';
import {
  assertNoFailures,
  closedLoop,
  formatRatio,
  formatRounds,
  interleavedRounds,
  type LoopResult,
  machineLine,
  numberArg,
  since,
} from './lib/measure.ts';

const concurrency = numberArg('concurrency', 16);
const durationMs = numberArg('duration', 1500);
const rounds = numberArg('rounds', 3);
const sessionsPerKind = numberArg('sessions', 16);
/** Opaque tokens and cookie sessions against the JWT baseline on the same backend. */
const TARGET = 0.8;
/** Requests sent under MONITOR per kind and route (a multiple of the credential count). */
const COUNTED_REQUESTS = 32 * sessionsPerKind;
const WARMUP_MS = 500;
const WHOAMI = '/whoami';
const ME = '/users/me';

type Backend = 'memory' | 'redis';
type Kind = 'jwt' | 'opaque' | 'cookie' | 'apikey';
type Fetch = (request: Request) => Response | Promise<Response>;

const BACKENDS: readonly Backend[] = ['memory', 'redis'];
const KINDS: readonly { kind: Kind; label: string; expected: string }[] = [
  { kind: 'jwt', label: 'bearer JWT (baseline)', expected: 'MGET' },
  { kind: 'opaque', label: 'bearer opaque token', expected: 'GET' },
  { kind: 'cookie', label: 'cookie session', expected: 'GET' },
  { kind: 'apikey', label: 'API key (Bearer gh_…)', expected: 'GET' },
];
const ROUTES: readonly { key: 'auth' | 'me'; label: string; path: string }[] = [
  { key: 'auth', label: 'authentication only (requireAuth)', path: WHOAMI },
  { key: 'me', label: 'GET /users/me', path: ME },
];

/** How a caller presents one credential: the header name and its value. */
interface Credential {
  readonly header: 'authorization' | 'cookie';
  readonly value: string;
}

/** One kind on one backend: the app that checks it and the credentials the callers cycle. */
interface KindSetup {
  readonly auth: Auth;
  readonly guarded: Fetch;
  readonly credentials: readonly Credential[];
}

const run = boundedRun('credential-kinds', 5 * 60_000);
const started = performance.now();

/** A migrated Gatehouse with silent logs; `access` picks the kind of bearer access token. */
function createApp(
  stores: NonNullable<AuthConfigInput['stores']>,
  dataDir: string,
  access: 'jwt' | 'opaque',
): Promise<Auth> {
  return createBenchAuth({ databaseUrl: 'sqlite::memory:', stores, dataDir, config: { tokens: { access } } });
}

/**
 * Signs in through `POST /auth/session` from the app's own origin and returns the `Cookie`
 * header a browser would send back (`<name>=<value>`).
 */
async function cookieLogin(auth: Auth, email: string): Promise<string> {
  const response = await auth.fetch(
    new Request(`${BASE_URL}/auth/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: new URL(BASE_URL).origin },
      body: loginBody(email),
    }),
  );
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`cookie login answered ${response.status}`);
  const cookies = response.headers.getSetCookie();
  const pair = cookies.length === 1 ? cookies[0]!.split(';', 1)[0]! : '';
  if (!pair.includes('=')) throw new Error(`cookie login set ${cookies.length} cookies, expected one`);
  return pair;
}

/** Signs `count` new users in with `kind` on `auth` and returns their credentials. */
async function signIn(auth: Auth, kind: Kind, backend: Backend, count: number): Promise<Credential[]> {
  const credentials: Credential[] = [];
  for (let i = 0; i < count; i++) {
    const email = `${kind}-${i}@${backend}.bench.example.com`;
    await createBenchUser(auth, email);
    if (kind === 'cookie') {
      credentials.push({ header: 'cookie', value: await cookieLogin(auth, email) });
      continue;
    }
    const token = await loginInProcess(auth, email);
    if (kind === 'apikey') {
      const created = await auth.fetch(
        new Request(`${BASE_URL}/users/me/api-keys`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'bench' }),
        }),
      );
      const { apiKey } = (await created.json()) as { apiKey?: string };
      if (created.status !== 201 || !apiKey) throw new Error(`API key creation answered ${created.status}`);
      credentials.push({ header: 'authorization', value: `Bearer ${apiKey}` });
      continue;
    }
    // A JWT has three dot-separated parts, an opaque token two: make sure each app issued its kind.
    const parts = kind === 'jwt' ? 3 : 2;
    if (token.split('.').length !== parts) throw new Error(`login did not answer a ${kind} access token`);
    credentials.push({ header: 'authorization', value: `Bearer ${token}` });
  }
  return credentials;
}

/** A request for `path` carrying one credential, as a client would send it. */
function requestWith(path: string, credential: Credential): Request {
  return new Request(`${BASE_URL}${path}`, { headers: { [credential.header]: credential.value } });
}

/** Sends requests that cycle through every credential, so each caller's next one differs. */
function cyclingCall(fetch: Fetch, path: string, credentials: readonly Credential[]): () => Promise<void> {
  let turn = 0;
  return async () => {
    const credential = credentials[turn++ % credentials.length]!;
    await expectOk(await fetch(requestWith(path, credential)));
  };
}

/**
 * Sends `requests` requests one at a time and counts the commands Redis received from clients
 * meanwhile (`MONITOR` also reports the commands scripts run, tagged `lua`: not round trips).
 */
async function countRoundTrips(
  redisUrl: string,
  call: () => Promise<void>,
  requests: number,
): Promise<{ perRequest: number; commands: Map<string, number> }> {
  const client = new Redis(redisUrl, { lazyConnect: true });
  await client.connect();
  const monitor = await client.monitor();
  const commands = new Map<string, number>();
  let count = 0;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (source === 'lua') return;
    count++;
    const name = (args[0] ?? '?').toUpperCase();
    commands.set(name, (commands.get(name) ?? 0) + 1);
  });
  try {
    for (let i = 0; i < requests; i++) await call();
    // MONITOR lines travel on another connection: let the last ones arrive.
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    monitor.disconnect();
    client.disconnect();
  }
  return { perRequest: count / requests, commands };
}

/**
 * What the cookie sessions of `auth` wrote back: how many slid their idle expiry since login,
 * the earliest a slide came after its login (never before the touch interval), and how long
 * ago the sessions started.
 */
async function cookieSlides(auth: Auth): Promise<string> {
  const rows = await auth.database.db
    .selectFrom('sessions')
    .select(['created_at', 'last_used_at'])
    .where('kind', '=', 'cookie')
    .execute();
  const at = Date.now();
  const slidAfter = rows
    .map((row) => Number(row.last_used_at) - Number(row.created_at))
    .filter((gapMs) => gapMs > 0);
  const age = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const youngest = Math.min(...rows.map((row) => at - Number(row.created_at)));
  const oldest = Math.max(...rows.map((row) => at - Number(row.created_at)));
  return (
    `${slidAfter.length} of ${rows.length} slid` +
    (slidAfter.length > 0 ? `, the earliest ${age(Math.min(...slidAfter))} after its login` : '') +
    ` (logged in ${age(youngest)}–${age(oldest)} ago)`
  );
}

try {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-'));
  run.defer(() => rm(dataDir, { recursive: true, force: true }));
  const redis = await startRedis();
  run.defer(() => redis.stop());

  const storesOf: Record<Backend, NonNullable<AuthConfigInput['stores']>> = {
    memory: { backend: 'memory' },
    redis: { backend: 'redis', url: redis.url },
  };
  // Cookie sessions run on the default (JWT) app, as a browser and an API client would share it;
  // opaque tokens need an app configured for them.
  const setups = new Map<string, KindSetup>();
  const setupOf = (backend: Backend, kind: Kind): KindSetup => setups.get(`${backend}|${kind}`)!;
  for (const backend of BACKENDS) {
    const jwtApp = await createApp(storesOf[backend], dataDir, 'jwt');
    run.defer(() => jwtApp.close());
    const opaqueApp = await createApp(storesOf[backend], dataDir, 'opaque');
    run.defer(() => opaqueApp.close());
    for (const { kind } of KINDS) {
      const auth = kind === 'opaque' ? opaqueApp : jwtApp;
      const guarded = guardedApp(auth, WHOAMI);
      setups.set(`${backend}|${kind}`, {
        auth,
        guarded: (r) => guarded.fetch(r),
        credentials: await signIn(auth, kind, backend, sessionsPerKind),
      });
    }
  }
  const touchIntervalSeconds = setupOf('memory', 'cookie').auth.config.cookies.touchIntervalSeconds;

  const fetchFor = (setup: KindSetup, route: (typeof ROUTES)[number]): Fetch =>
    route.key === 'auth' ? setup.guarded : (r) => setup.auth.fetch(r);
  const contenders: { name: string; run: (ms: number) => () => Promise<LoopResult> }[] = [];
  for (const backend of BACKENDS) {
    for (const route of ROUTES) {
      for (const { kind } of KINDS) {
        const setup = setupOf(backend, kind);
        const call = cyclingCall(fetchFor(setup, route), route.path, setup.credentials);
        contenders.push({
          name: `${backend}|${route.key}|${kind}`,
          run: (ms) => () => closedLoop(call, { concurrency, durationMs: ms }),
        });
      }
    }
  }

  console.log(
    `credential-kinds: ${machineLine()}, concurrency ${concurrency}, ` +
      `${rounds} interleaved rounds of ${durationMs} ms, best round reported`,
  );
  console.log(
    `${sessionsPerKind} users per kind and backend, one credential each, cycled by the callers. ` +
      `cookies.touchIntervalSeconds = ${touchIntervalSeconds}: every measured run (${durationMs} ms) is ` +
      'shorter, so the cookie figures are the cached steady state; a session slides (one database ' +
      'write, one cache delete) at most once per interval.',
  );
  // Warm up every path (JIT, SQLite pages, the Redis connection) and fill the credential cache.
  for (const c of contenders) assertNoFailures(c.name, await c.run(WARMUP_MS)());

  // Counted right after the warm-up, well inside the touch interval, so every credential is a
  // cache hit: the steady state. Printed after the rates.
  const counts: string[] = [];
  for (const route of ROUTES) {
    for (const { kind, label, expected } of KINDS) {
      const setup = setupOf('redis', kind);
      const call = cyclingCall(fetchFor(setup, route), route.path, setup.credentials);
      const counted = await countRoundTrips(redis.url, call, COUNTED_REQUESTS);
      const names = [...counted.commands].map(([name, n]) => `${name} ×${n}`).join(', ');
      const onlyExpected = counted.commands.size === 1 && counted.commands.has(expected);
      const verdict = counted.perRequest <= 1 && onlyExpected ? 'met' : 'MISSED';
      counts.push(
        `  ${`${label}, ${route.label}`.padEnd(58)} ${counted.perRequest.toFixed(2)}` +
          ` (${names || 'none'}; expected 1 ${expected}: ${verdict})`,
      );
    }
  }

  const results = await interleavedRounds(
    contenders.map((c) => ({ name: c.name, run: c.run(durationMs) })),
    rounds,
  );
  const rates = (name: string): number[] => {
    const runs = results.get(name)!;
    for (const r of runs) assertNoFailures(name, r);
    return runs.map((r) => r.perSecond);
  };
  const row = (label: string, values: number[], ratio?: string) =>
    console.log(
      `  ${label.padEnd(24)} ${formatRounds(values).padEnd(34)} req/s${ratio ? `   ratio ${ratio}` : ''}`,
    );
  for (const backend of BACKENDS) {
    for (const route of ROUTES) {
      console.log(`\n${backend} stores, ${route.label}`);
      const baseline = Math.max(...rates(`${backend}|${route.key}|jwt`));
      for (const { kind, label } of KINDS) {
        const values = rates(`${backend}|${route.key}|${kind}`);
        row(label, values, kind === 'jwt' ? undefined : formatRatio(Math.max(...values) / baseline, TARGET));
      }
    }
  }

  console.log(
    `\nRedis commands per steady-state request, counted with MONITOR over ${COUNTED_REQUESTS} requests ` +
      `(one at a time, cycling ${sessionsPerKind} credentials; target: at most one round trip):`,
  );
  for (const line of counts) console.log(line);

  console.log(
    `\nCookie sessions slid (one database write and one cache delete each), touch interval ${touchIntervalSeconds} s:`,
  );
  for (const backend of BACKENDS) {
    console.log(`  ${`${backend} stores`.padEnd(14)} ${await cookieSlides(setupOf(backend, 'cookie').auth)}`);
  }
  console.log(`\nDone in ${since(started)} (${machineLine()}).`);
} finally {
  await run.cleanup();
}
