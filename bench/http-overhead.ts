/**
 * What every HTTP request costs in the standalone server beyond a bare Hono app, over loopback
 * HTTP, each server its own process and the load generator (autocannon) in this one: a bare
 * Hono app on `@hono/node-server` answering `GET /health`, and `gatehouse serve` (SQLite +
 * memory stores, rate limits off, as bench/peers/side-by-side.ts runs it) answering
 * `GET /health` (no authentication, no store) and `GET /users/me` with a session cookie,
 * interleaved within each round; best of the rounds and the ratios.
 *
 *   npm run bench:peers:install   # once: autocannon lives in bench/peers/node_modules
 *   node bench/http-overhead.ts [--rounds=3] [--duration=4] [--connections=50] [--before=<tree>]
 *
 * With --before=<dir> the same server from another tree (e.g. `git archive <commit>` extracted
 * beside a `node_modules` link) runs beside it, so a change is measured against its parent in
 * the same run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { findFreePort } from '../test/fixtures/redis-server.ts';
import { boundedRun } from './lib/lifecycle.ts';
import { serveEnv } from './lib/serve-env.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const tree = resolve(here, '..');
const node = process.execPath;
const arg = (name: string, fallback: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;

interface Figure {
  readonly rps: number;
  readonly p99: number;
  readonly failures: number;
  /** Server CPU (every thread) per answered request: steadier than req/s on a shared machine. */
  readonly cpuMicrosPerRequest: number;
}

/** CPU a process has used so far (user + system, every thread), in microseconds. */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS_PER_SECOND;
}
const CLOCK_TICKS_PER_SECOND = 100;

type Cannon = (options: Record<string, unknown>) => Promise<{
  requests: { average: number; total: number };
  latency: { p99: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}>;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function load(): string {
  return loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');
}

async function main(): Promise<void> {
  const ROUNDS = Number(arg('rounds', '3'));
  const DURATION = Number(arg('duration', '4'));
  const CONNECTIONS = Number(arg('connections', '50'));
  const BEFORE = process.argv.find((a) => a.startsWith('--before='))?.slice('--before='.length);
  const READERS = 16;
  const PASSWORD = 'violet kettle orbit 2049 lantern';
  let autocannon: Cannon;
  try {
    autocannon = createRequire(join(here, 'peers/package.json'))('autocannon') as Cannon;
  } catch {
    throw new Error('autocannon is missing: run `npm run bench:peers:install` once');
  }
  const run = boundedRun('http-overhead', 20 * 60_000);

  const track = (child: ChildProcess): void => {
    run.defer(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await new Promise((r) => child.once('exit', r));
      clearTimeout(timer);
    });
  };

  const startBare = async (): Promise<{ url: string; pid: number }> => {
    const child = spawn(node, [fileURLToPath(import.meta.url), '--bare-server'], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    track(child);
    return new Promise((resolveUrl, reject) => {
      child.stdout?.once('data', (chunk: Buffer) =>
        resolveUrl({ url: JSON.parse(chunk.toString()).ready, pid: child.pid ?? 0 }),
      );
      child.once('exit', (code) => reject(new Error(`the bare server exited (${code})`)));
    });
  };

  /** `gatehouse serve` of `root`, seeded with READERS users; returns its URL and their cookies. */
  const startGatehouse = async (root: string): Promise<{ url: string; pid: number; cookies: string[] }> => {
    const dir = mkdtempSync(join(tmpdir(), 'http-overhead-'));
    run.defer(() => rmSync(dir, { recursive: true, force: true }));
    const secret = randomBytes(32).toString('base64url');
    const databaseUrl = `sqlite:${join(dir, 'gatehouse.db')}`;
    const seed = spawn(
      node,
      [
        '--disable-warning=ExperimentalWarning',
        join(here, 'peers/gatehouse-seed.ts'),
        root,
        databaseUrl,
        dir,
        secret,
        String(READERS),
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const seeded = await new Promise<number | null>((r) => seed.once('exit', r));
    if (seeded !== 0) throw new Error(`seeding ${root} failed (${seeded})`);
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    const child = spawn(node, [join(root, 'bin/gatehouse.js'), 'serve'], {
      env: serveEnv({ port, dir, databaseUrl, secret }),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    track(child);
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${root}: the server exited (${child.exitCode})`);
      if (
        await fetch(`${url}/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (Date.now() > deadline) throw new Error(`${root}: the server did not start in time`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const cookies: string[] = [];
    for (let i = 0; i < READERS; i++) {
      const response = await fetch(`${url}/auth/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: url },
        body: JSON.stringify({ email: `reader-${i}@bench.example.com`, password: PASSWORD }),
      });
      const cookie = response.headers.getSetCookie()[0]?.split(';')[0];
      if (!response.ok || !cookie) throw new Error(`${root}: sign-in answered ${response.status}`);
      cookies.push(cookie);
      // Warm up: the first check may wait for the denylist's first rebuild.
      while (!(await fetch(`${url}/users/me`, { headers: { cookie } })).ok) {
        if (Date.now() > deadline) throw new Error(`${root}: /users/me never answered 200`);
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    return { url, pid: child.pid ?? 0, cookies };
  };

  let cycle = 0;
  const cannon = async (
    { url, pid }: { url: string; pid: number },
    path: string,
    cookies?: readonly string[],
    duration = DURATION,
  ): Promise<Figure> => {
    const cpuBefore = cpuMicros(pid);
    const result = await autocannon({
      url,
      connections: CONNECTIONS,
      duration,
      requests: [
        {
          setupRequest: (request: Record<string, unknown>) => ({
            ...request,
            method: 'GET',
            path,
            headers: cookies ? { cookie: cookies[cycle++ % cookies.length] } : {},
          }),
        },
      ],
    });
    return {
      rps: result.requests.average,
      p99: result.latency.p99,
      failures: result.non2xx + result.errors + result.timeouts,
      cpuMicrosPerRequest: (cpuMicros(pid) - cpuBefore) / result.requests.total,
    };
  };

  try {
    console.log(
      `http-overhead: ${ROUNDS} rounds × ${DURATION} s, ${CONNECTIONS} connections  [load ${load()}]`,
    );
    const bare = await startBare();
    const trees: [string, string][] = [['gatehouse', tree]];
    if (BEFORE) trees.push(['before', resolve(BEFORE)]);
    const contenders: { name: string; measure: (duration?: number) => Promise<Figure> }[] = [
      { name: 'bare Hono /health', measure: (d) => cannon(bare, '/health', undefined, d) },
    ];
    for (const [name, root] of trees) {
      const server = await startGatehouse(root);
      contenders.push(
        { name: `${name} /health`, measure: (d) => cannon(server, '/health', undefined, d) },
        {
          name: `${name} /users/me (cookie)`,
          measure: (d) => cannon(server, '/users/me', server.cookies, d),
        },
      );
    }
    // Untimed: the first seconds of a process run cold code (the JIT has not optimised it yet).
    for (const contender of contenders) await contender.measure(2);
    const best = new Map<string, Figure>();
    const cpuRuns = new Map<string, number[]>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const contender of contenders) {
        const figure = await contender.measure();
        if (figure.failures > 0) throw new Error(`${contender.name}: ${figure.failures} failures`);
        console.log(
          `  ${contender.name.padEnd(32)} ${figure.rps.toFixed(0).padStart(7)}/s  p99 ${figure.p99} ms  ` +
            `server CPU ${figure.cpuMicrosPerRequest.toFixed(1)} µs/request  [load ${load()}]`,
        );
        if ((best.get(contender.name)?.rps ?? 0) < figure.rps) best.set(contender.name, figure);
        cpuRuns.set(contender.name, [...(cpuRuns.get(contender.name) ?? []), figure.cpuMicrosPerRequest]);
      }
    }
    const rps = (name: string): number => best.get(name)?.rps ?? Number.NaN;
    const cpu = (name: string): number => median(cpuRuns.get(name) ?? []);
    console.log('best of the rounds (req/s) and median server CPU per request:');
    for (const [name] of trees) {
      const health = `${name} /health`;
      const me = `${name} /users/me (cookie)`;
      const bareName = 'bare Hono /health';
      console.log(
        `  ${name}: /health ${rps(health).toFixed(0)}/s ÷ bare ${rps(bareName).toFixed(0)}/s = ` +
          `${(rps(health) / rps(bareName)).toFixed(2)}; /users/me ${rps(me).toFixed(0)}/s ÷ its /health = ` +
          `${(rps(me) / rps(health)).toFixed(2)}, ÷ bare = ${(rps(me) / rps(bareName)).toFixed(2)}\n` +
          `  ${name}: CPU µs/request /health ${cpu(health).toFixed(1)} (bare ${cpu(bareName).toFixed(1)}, ` +
          `×${(cpu(health) / cpu(bareName)).toFixed(2)}), /users/me ${cpu(me).toFixed(1)} ` +
          `(×${(cpu(me) / cpu(health)).toFixed(2)} its /health)`,
      );
    }
    console.log(`[load ${load()}]`);
  } finally {
    await run.cleanup();
  }
}

// Re-run as the bare server's own process: the baseline every Gatehouse figure is divided by.
if (process.argv.includes('--bare-server')) {
  const app = new Hono();
  app.get('/health', (c) => c.json({ status: 'ok' }));
  serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
    process.stdout.write(`${JSON.stringify({ ready: `http://127.0.0.1:${info.port}` })}\n`);
  });
  process.on('disconnect', () => process.exit(0));
} else {
  await main();
}
