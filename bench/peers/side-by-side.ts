/**
 * Gatehouse beside better-auth (bench/peers/package.json pins it), each server its own process,
 * driven by the same load generator (autocannon, in this process) with the same settings,
 * contenders interleaved within each round; medians of the rounds, ratios, p50/p99.
 *
 *   npm run bench:peers:install     # once: installs bench/peers/node_modules (not part of npm ci)
 *   node bench/peers/side-by-side.ts [--rounds=3] [--duration=5] [--connections=50]
 *     [--signin-concurrency=4] [--flood-connections=10] [--before=<tree>] [--postgres]
 *     [--equal-priority]
 *
 * Contenders: better-auth (Hono, SQLite through node:sqlite, bearer plugin), Gatehouse of this
 * tree (`gatehouse serve`, SQLite + memory stores), and with --before=<dir> the same server from
 * another tree (e.g. `git worktree add /tmp/before <commit>`) so a change is measured against
 * its parent in the same run. --postgres adds Gatehouse on PostgreSQL + Redis with two workers;
 * --equal-priority adds this tree with its hashing threads at the event loop's priority.
 *
 * Figures: GET /health; the session check with a cookie (better-auth `GET /api/auth/get-session`,
 * Gatehouse `GET /users/me`) and with a bearer token (the bearer plugin; a JWT); sign-in
 * (better-auth `POST /api/auth/sign-in/email`; Gatehouse `POST /auth/session` and
 * `POST /auth/login`) at --signin-concurrency against a raw hash verify at the same concurrency
 * in this process (scrypt through better-auth's own `verifyPassword`, argon2id through
 * @node-rs/argon2 at Gatehouse's parameters); sign-up; and session checks while a
 * --flood-connections sign-up flood runs, against the same checks without it. Every run is
 * bounded (duration × scenarios × rounds); servers are stopped on exit, Ctrl-C or an error.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import autocannon from 'autocannon';
import { hashPassword, verifyPassword } from 'better-auth/crypto';
import { startPostgres } from '../../test/fixtures/postgres-server.ts';
import { findFreePort, startRedis } from '../../test/fixtures/redis-server.ts';
import { serveEnv } from '../lib/serve-env.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const tree = resolve(here, '../..');
const node = process.execPath;
const arg = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const ROUNDS = Number(arg('rounds', '3'));
const DURATION = Number(arg('duration', '5'));
const CONNECTIONS = Number(arg('connections', '50'));
const SIGNIN_CONCURRENCY = Number(arg('signin-concurrency', '4'));
const FLOOD_CONNECTIONS = Number(arg('flood-connections', '10'));
const BEFORE = process.argv.find((a) => a.startsWith('--before='))?.slice('--before='.length);
const POSTGRES = process.argv.includes('--postgres');
/** Also this tree with hashing threads at the event loop's priority (`niceIncrement: 0`). */
const EQUAL_PRIORITY = process.argv.includes('--equal-priority');
const PASSWORD = 'violet kettle orbit 2049 lantern';
const READERS = 16;
const BUDGET_MS = 60 * 60_000;

const cleanups: (() => Promise<void> | void)[] = [];
async function cleanUp(): Promise<void> {
  for (const step of cleanups.splice(0).reverse()) await Promise.resolve(step()).catch(() => {});
}
process.on('SIGINT', () => void cleanUp().then(() => process.exit(130)));
setTimeout(() => {
  console.error('time budget exceeded');
  void cleanUp().then(() => process.exit(2));
}, BUDGET_MS).unref();

interface Server {
  readonly name: string;
  readonly url: string;
  readonly kind: 'peer' | 'gatehouse';
  /** Headers of READERS signed-in users, by transport. */
  cookies: string[];
  bearers: string[];
}

function load(): string {
  return loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited (${child.exitCode})`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not start in time`);
}

function track(child: ChildProcess): void {
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await new Promise((r) => child.once('exit', r));
    clearTimeout(timer);
  });
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', (code) =>
      code === 0 ? resolveRun() : reject(new Error(`${args[0]} exited ${code}`)),
    );
  });
}

async function startPeer(): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'peer-better-auth-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const port = await findFreePort();
  const child = spawn(node, ['--disable-warning=ExperimentalWarning', join(here, 'better-auth-server.ts')], {
    env: { ...process.env, PEER_DB: join(dir, 'peer.db'), PEER_PORT: String(port), NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  track(child);
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolveUrl(JSON.parse(chunk.toString()).ready));
    child.once('exit', (code) => reject(new Error(`better-auth exited (${code})`)));
  });
  const server: Server = { name: 'better-auth', url, kind: 'peer', cookies: [], bearers: [] };
  for (let i = 0; i < READERS; i++) {
    const response = await fetch(`${url}/api/auth/sign-up/email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: url },
      body: JSON.stringify({
        email: `reader-${i}@bench.example.com`,
        password: PASSWORD,
        name: `reader ${i}`,
      }),
    });
    if (!response.ok) throw new Error(`better-auth sign-up: ${response.status}`);
    const token = response.headers.get('set-auth-token');
    const cookie = response.headers.getSetCookie()[0]?.split(';')[0];
    if (!token || !cookie) throw new Error('better-auth: no session');
    server.cookies.push(cookie);
    server.bearers.push(`Bearer ${token}`);
  }
  return server;
}

async function startGatehouse(
  name: string,
  root: string,
  backend: { databaseUrl?: string; redisUrl?: string; workers?: number; env?: Record<string, string> } = {},
): Promise<Server> {
  const dir = mkdtempSync(join(tmpdir(), 'peer-gatehouse-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const secret = randomBytes(32).toString('base64url');
  const databaseUrl = backend.databaseUrl ?? `sqlite:${join(dir, 'gatehouse.db')}`;
  await run(
    node,
    [
      '--disable-warning=ExperimentalWarning',
      join(here, 'gatehouse-seed.ts'),
      root,
      databaseUrl,
      dir,
      secret,
      String(READERS),
      ...(backend.redisUrl ? [backend.redisUrl] : []),
    ],
    process.env,
  );
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(node, [join(root, 'bin/gatehouse.js'), 'serve'], {
    env: {
      ...serveEnv({ port, dir, databaseUrl, secret, workers: backend.workers, redisUrl: backend.redisUrl }),
      ...backend.env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  track(child);
  await waitForHealth(url, child);
  const server: Server = { name, url, kind: 'gatehouse', cookies: [], bearers: [] };
  for (let i = 0; i < READERS; i++) {
    const body = JSON.stringify({ email: `reader-${i}@bench.example.com`, password: PASSWORD });
    const headers = { 'content-type': 'application/json', origin: url };
    const session = await fetch(`${url}/auth/session`, { method: 'POST', headers, body });
    const login = await fetch(`${url}/auth/login`, { method: 'POST', headers, body });
    if (!session.ok || !login.ok) throw new Error(`${name} sign-in: ${session.status} ${login.status}`);
    const cookie = session.headers.getSetCookie()[0]?.split(';')[0];
    if (!cookie) throw new Error(`${name}: no cookie`);
    server.cookies.push(cookie);
    server.bearers.push(`Bearer ${((await login.json()) as { accessToken: string }).accessToken}`);
  }
  await warmUp(server);
  return server;
}

/**
 * Every credential answered once with 200 before anything is measured (a first check may wait
 * for the denylist's first rebuild from SQL, and the first request of each worker warms it).
 */
async function warmUp(server: Server): Promise<void> {
  const deadline = Date.now() + 60_000;
  const headers = [
    ...server.cookies.map((cookie) => ({ cookie })),
    ...server.bearers.map((authorization) => ({ authorization })),
  ];
  for (const header of headers) {
    for (;;) {
      // Twice each: with two workers, both should have answered once.
      const answers = await Promise.all(
        [0, 1].map(() => fetch(`${server.url}/users/me`, { headers: header })),
      );
      if (answers.every((answer) => answer.ok)) break;
      if (Date.now() > deadline)
        throw new Error(`${server.name}: /users/me answered ${answers.map((a) => a.status).join(', ')}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

interface Figure {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly failures: number;
}

type Request = { method: string; path: string; headers: Record<string, string>; body?: string };

async function cannon(
  url: string,
  connections: number,
  next: () => Request,
  durationSeconds = DURATION,
): Promise<Figure> {
  const result = await autocannon({
    url,
    connections,
    duration: durationSeconds,
    requests: [{ setupRequest: (request: Record<string, unknown>) => ({ ...request, ...next() }) }],
  } as autocannon.Options);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}

let cycle = 0;
const pick = <T>(list: readonly T[]): T => list[cycle++ % list.length] as T;
let unique = 0;

function sessionCheck(server: Server, transport: 'cookie' | 'bearer'): () => Request {
  const path = server.kind === 'peer' ? '/api/auth/get-session' : '/users/me';
  return () => ({
    method: 'GET',
    path,
    headers:
      transport === 'cookie' ? { cookie: pick(server.cookies) } : { authorization: pick(server.bearers) },
  });
}

function signIn(server: Server, path: string): () => Request {
  return () => ({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({ email: `reader-${cycle++ % READERS}@bench.example.com`, password: PASSWORD }),
  });
}

function signUp(server: Server): () => Request {
  const path = server.kind === 'peer' ? '/api/auth/sign-up/email' : '/auth/register';
  return () => ({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', origin: server.url },
    body: JSON.stringify({
      email: `new-${process.pid}-${unique++}@bench.example.com`,
      password: PASSWORD,
      ...(server.kind === 'peer' ? { name: 'new user' } : {}),
    }),
  });
}

async function rawVerifies(kind: 'scrypt' | 'argon2'): Promise<number> {
  const stored =
    kind === 'scrypt'
      ? await hashPassword(PASSWORD)
      : await argon2Hash(PASSWORD, { memoryCost: 19456, timeCost: 2, parallelism: 1 });
  const verify = () =>
    kind === 'scrypt' ? verifyPassword({ hash: stored, password: PASSWORD }) : argon2Verify(stored, PASSWORD);
  const end = performance.now() + DURATION * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: SIGNIN_CONCURRENCY }, async () => {
      while (performance.now() < end) {
        if (!(await verify())) throw new Error('raw verify failed');
        done++;
      }
    }),
  );
  return done / DURATION;
}

type Row = Record<string, Figure[]>;
const results = new Map<string, Row>();
function record(server: string, scenario: string, figure: Figure): void {
  const row = results.get(server) ?? {};
  const figures = row[scenario] ?? [];
  figures.push(figure);
  row[scenario] = figures;
  results.set(server, row);
  const failures = figure.failures ? `  failures ${figure.failures}` : '';
  console.log(
    `  ${server.padEnd(22)} ${scenario.padEnd(26)} ${figure.rps.toFixed(0).padStart(7)}/s  p50 ${figure.p50} ms  p99 ${figure.p99} ms${failures}  [load ${load()}]`,
  );
}
const med = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length ? (sorted[Math.floor((sorted.length - 1) / 2)] as number) : Number.NaN;
};
const medianOf = (server: string, scenario: string, field: keyof Figure = 'rps'): number =>
  med((results.get(server)?.[scenario] ?? []).map((f) => f[field]));

async function main(): Promise<void> {
  console.log(`side-by-side: ${cpus()[0]?.model} × ${availableParallelism()}, Node ${process.version}`);
  console.log(
    `rounds ${ROUNDS}, ${DURATION} s each, ${CONNECTIONS} connections, sign-in concurrency ${SIGNIN_CONCURRENCY}, flood ${FLOOD_CONNECTIONS} connections; load at start ${load()}`,
  );
  const servers: Server[] = [await startPeer(), await startGatehouse('gatehouse', tree)];
  if (BEFORE) servers.push(await startGatehouse('gatehouse-before', resolve(BEFORE)));
  if (EQUAL_PRIORITY)
    servers.push(
      await startGatehouse('gatehouse-equal-priority', tree, {
        env: { GATEHOUSE_PASSWORD_HASHING: JSON.stringify({ niceIncrement: 0 }) },
      }),
    );
  if (POSTGRES) {
    const postgres = await startPostgres();
    cleanups.push(() => postgres.stop());
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    for (const [name, root] of [
      ['gatehouse-pg-redis', tree],
      ...(BEFORE ? [['gatehouse-before-pg-redis', resolve(BEFORE)]] : []),
    ] as const) {
      const databaseUrl = await postgres.createDatabase(name.replaceAll('-', '_'));
      servers.push(await startGatehouse(name, root, { databaseUrl, redisUrl: redis.url, workers: 2 }));
    }
  }
  for (let round = 1; round <= ROUNDS; round++) {
    console.log(`round ${round}`);
    // Interleaved: every scenario runs on every server before the next scenario starts.
    for (const server of servers)
      record(
        server.name,
        'health',
        await cannon(server.url, CONNECTIONS, () => ({ method: 'GET', path: '/health', headers: {} })),
      );
    for (const transport of ['cookie', 'bearer'] as const)
      for (const server of servers)
        record(
          server.name,
          `session-check-${transport}`,
          await cannon(server.url, CONNECTIONS, sessionCheck(server, transport)),
        );
    record('raw-scrypt', 'verify', { rps: await rawVerifies('scrypt'), p50: 0, p99: 0, failures: 0 });
    record('raw-argon2', 'verify', { rps: await rawVerifies('argon2'), p50: 0, p99: 0, failures: 0 });
    for (const server of servers.filter((s) => !s.name.includes('pg-redis'))) {
      if (server.kind === 'peer')
        record(
          server.name,
          'sign-in',
          await cannon(server.url, SIGNIN_CONCURRENCY, signIn(server, '/api/auth/sign-in/email')),
        );
      else {
        record(
          server.name,
          'sign-in-session',
          await cannon(server.url, SIGNIN_CONCURRENCY, signIn(server, '/auth/session')),
        );
        record(
          server.name,
          'sign-in-login',
          await cannon(server.url, SIGNIN_CONCURRENCY, signIn(server, '/auth/login')),
        );
      }
      record(server.name, 'sign-up', await cannon(server.url, FLOOD_CONNECTIONS, signUp(server)));
      // Reads alone, then the same reads beside a sign-up flood.
      record(
        server.name,
        'reads-alone',
        await cannon(server.url, FLOOD_CONNECTIONS, sessionCheck(server, 'cookie')),
      );
      const [reads] = await Promise.all([
        cannon(server.url, FLOOD_CONNECTIONS, sessionCheck(server, 'cookie')),
        cannon(server.url, FLOOD_CONNECTIONS, signUp(server)),
      ]);
      record(server.name, 'reads-during-flood', reads);
    }
  }
  console.log(`\nmedians of ${ROUNDS} rounds (load at end ${load()})`);
  const peerCookie = medianOf('better-auth', 'session-check-cookie');
  for (const server of servers) {
    const name = server.name;
    const health = medianOf(name, 'health');
    const lines = [
      `${name}:`,
      `  health ${health.toFixed(0)}/s; cookie check ${medianOf(name, 'session-check-cookie').toFixed(0)}/s (÷ health ${(medianOf(name, 'session-check-cookie') / health).toFixed(2)}), bearer ${medianOf(name, 'session-check-bearer').toFixed(0)}/s (÷ health ${(medianOf(name, 'session-check-bearer') / health).toFixed(2)})`,
    ];
    if (server.kind === 'gatehouse')
      lines.push(
        `  cookie check ÷ better-auth's: ${(medianOf(name, 'session-check-cookie') / peerCookie).toFixed(2)}×`,
      );
    if (!name.includes('pg-redis')) {
      const raw = medianOf(server.kind === 'peer' ? 'raw-scrypt' : 'raw-argon2', 'verify');
      const signIns = server.kind === 'peer' ? ['sign-in'] : ['sign-in-session', 'sign-in-login'];
      lines.push(
        `  ${signIns.map((s) => `${s} ${medianOf(name, s).toFixed(0)}/s (÷ raw verify ${(medianOf(name, s) / raw).toFixed(2)})`).join('; ')}; raw verify ${raw.toFixed(0)}/s`,
      );
      lines.push(
        `  sign-up ${medianOf(name, 'sign-up').toFixed(0)}/s; reads during the flood ÷ alone ${(medianOf(name, 'reads-during-flood') / medianOf(name, 'reads-alone')).toFixed(3)}, p99 ${medianOf(name, 'reads-during-flood', 'p99')} ms (alone ${medianOf(name, 'reads-alone', 'p99')} ms)`,
      );
    }
    console.log(lines.join('\n'));
  }
}

try {
  await main();
} finally {
  await cleanUp();
}
