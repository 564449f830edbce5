/**
 * `gatehouse serve --workers N` as real processes: one primary supervising N workers that share
 * one port, on one PostgreSQL and one Redis. Threats: a crashed worker leaving the service with
 * less capacity (or none), a shutdown that orphans workers, and several workers started with
 * process-local stores, where a token revoked on one would still pass on another.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSecret } from '../../src/index.ts';
import { createRestartDelay } from '../../src/server/cluster.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';
import { type LogLine, runGatehouse, type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';

const GRACE_MS = 2_000;
const REQUESTS = 50;

/** GET on a fresh connection (`Connection: close`), so the primary hands each to a worker anew. */
function getOnNewConnection(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    request.once('error', reject);
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** The pids of the workers' "gatehouse listening" lines, in order. */
function workerPids(server: ServerProcess): number[] {
  return server
    .logs()
    .filter((line) => line.msg === 'gatehouse listening')
    .map((line) => line.pid as number);
}

/** Polls the logs until `predicate` matches a line; fails with the output after `timeoutMs`. */
async function waitForLine(
  server: ServerProcess,
  predicate: (line: LogLine) => boolean,
  label: string,
  timeoutMs = 8_000,
): Promise<LogLine> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const found = server.logs().find(predicate);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`no ${label} within ${timeoutMs} ms\nstdout:\n${server.stdout()}\nstderr:\n${server.stderr()}`);
}

async function assertHealthy(url: string, label: string): Promise<void> {
  assert.equal(await getOnNewConnection(`${url}/health`), 200, label);
}

/** Kills one worker and waits for the primary to notice and for its replacement to listen. */
async function killAndReplace(server: ServerProcess, pid: number): Promise<{ replacement: number }> {
  const before = new Set(workerPids(server));
  process.kill(pid, 'SIGKILL');
  const died = await waitForLine(
    server,
    (line) => line.msg === 'worker died' && line.workerPid === pid && line.signal === 'SIGKILL',
    'death log',
  );
  assert.equal(died.level, 50);
  // The port keeps answering while the replacement starts (which worker answered cannot be
  // told from outside, so this proves availability, not which process served).
  await assertHealthy(server.url, `right after worker ${pid} was killed`);
  const replaced = await waitForLine(
    server,
    (line) => line.msg === 'gatehouse listening' && !before.has(line.pid as number),
    'replacement worker',
  );
  return { replacement: replaced.pid as number };
}

describe('createRestartDelay', () => {
  it('createRestartDelay - should double the wait for deaths in a row up to the cap, and start again after a stable worker', () => {
    const delay = createRestartDelay({ initialMs: 100, maxMs: 1_000, stableAfterMs: 10_000 });
    const quick = [0, 0, 0, 0, 0, 0].map(() => delay.next(50));
    assert.deepEqual(quick, [100, 200, 400, 800, 1_000, 1_000], 'never refused, capped');
    assert.equal(delay.next(10_000), 100, 'a worker that lived stableAfterMs resets the streak');
    assert.equal(delay.next(9_999), 200);
  });

  it('createRestartDelay - should stay at the cap however long a crash loop lasts', () => {
    const delay = createRestartDelay({ initialMs: 100, maxMs: 30_000, stableAfterMs: 10_000 });
    let last = 0;
    for (let death = 0; death < 10_000; death++) last = delay.next(0);
    assert.equal(last, 30_000);
  });
});

describe('gatehouse serve --workers 2 - production with PostgreSQL and Redis', () => {
  let postgres: PostgresServer;
  let redis: RedisServer;
  let dataDir = '';
  let server: ServerProcess;
  let cluster: LogLine;

  before(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-cluster-'));
    server = await spawnServer({
      args: ['--workers', '2', '--migrate'],
      env: {
        PORT: '0',
        GATEHOUSE_MODE: 'production',
        GATEHOUSE_SECRETS: `2026-11:${generateSecret()}`,
        GATEHOUSE_BASE_URL: 'https://auth.example.test',
        GATEHOUSE_DATABASE_URL: await postgres.createDatabase(),
        GATEHOUSE_REDIS_URL: redis.url,
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_LOG_LEVEL: 'info',
        GATEHOUSE_SHUTDOWN_GRACE_MS: String(GRACE_MS),
      },
    });
    cluster = await server.waitForLog('gatehouse cluster listening');
    // Workers log asynchronously: a worker's own "listening" line may reach stdout after the
    // primary's, which it triggered by IPC. Wait for both before comparing them.
    await waitForLine(server, () => workerPids(server).length >= 2, 'both workers listening');
  });

  after(async () => {
    const pids = server ? workerPids(server) : [];
    await server?.kill();
    for (const pid of pids) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    await Promise.all([postgres?.stop(), redis?.stop()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('serve --workers 2 - should run two worker processes behind one port, migrated once by the primary', async () => {
    const primary = server.child.pid;
    const pids = workerPids(server);
    assert.equal(pids.length, 2);
    assert.notEqual(pids[0], pids[1]);
    assert.ok(!pids.includes(primary as number), 'the primary must not serve');
    assert.equal(cluster.pid, primary);
    assert.equal(cluster.workers, 2);
    assert.deepEqual([...(cluster.pids as number[])].sort(), [...pids].sort());
    const urls = server.logs().filter((line) => line.msg === 'gatehouse listening');
    assert.ok(urls.every((line) => line.url === cluster.url));

    const migrations = server.logs().filter((line) => line.msg === 'migrations applied');
    assert.equal(migrations.length, 1, 'migrated more than once');
    assert.equal(migrations[0]?.pid, primary);
    assert.equal(server.logs().filter((line) => line.msg.startsWith('migrations pending')).length, 0);

    const statuses = await Promise.all(
      Array.from({ length: REQUESTS }, () => getOnNewConnection(`${server.url}/health`)),
    );
    assert.deepEqual(statuses, Array(REQUESTS).fill(200));
    assert.equal(await getOnNewConnection(`${server.url}/ready`), 200);
  });

  it('worker crash - should be logged and replaced, with every worker serving in turn', async () => {
    const [first, second] = workerPids(server) as [number, number];
    // Each kill leaves the other worker alone on the port; /health answering proves it serves.
    const { replacement: third } = await killAndReplace(server, first);
    const { replacement: fourth } = await killAndReplace(server, second);
    assert.equal(new Set([first, second, third, fourth]).size, 4);
    assert.ok(!isAlive(first) && !isAlive(second), 'a killed worker is still running');
    assert.ok(isAlive(third) && isAlive(fourth), 'a replacement is not running');
    await assertHealthy(server.url, 'after both replacements');
    assert.equal(server.child.exitCode, null, 'the primary must keep running');
  });

  it('SIGTERM to the primary - should stop every worker and exit 0 within the grace period', async () => {
    const pids = workerPids(server).filter(isAlive);
    assert.equal(pids.length, 2);
    const signalled = performance.now();
    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
    const elapsed = performance.now() - signalled;
    assert.ok(elapsed < GRACE_MS, `exited after ${Math.round(elapsed)} ms`);
    for (const pid of pids) assert.ok(!isAlive(pid), `worker ${pid} outlived the primary`);
    const stopped = server.logs().filter((line) => line.msg === 'gatehouse stopped');
    assert.deepEqual(stopped.map((line) => line.pid).sort(), [...pids].sort());
    const last = server.logs().find((line) => line.msg === 'gatehouse cluster stopped');
    assert.equal(last?.code, 0);
    assert.equal(server.stderr(), '');
  });
});

describe('gatehouse serve --workers - refused and single-process configurations', () => {
  let dataDir = '';
  let productionMemory: Record<string, string> = {};

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-cluster-refused-'));
    productionMemory = {
      PORT: '0',
      GATEHOUSE_MODE: 'production',
      GATEHOUSE_SECRETS: `2026-11:${generateSecret()}`,
      GATEHOUSE_BASE_URL: 'https://auth.example.test',
      GATEHOUSE_DATA_DIR: dataDir,
    };
  });

  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('process-local stores with 2 workers in production - should exit 1 before forking, naming every store', async () => {
    for (const [args, extra] of [
      [['serve', '--workers', '2'], {}],
      [['serve'], { GATEHOUSE_WORKERS: '2' }],
    ] as const) {
      const run = await runGatehouse(args, { env: { ...productionMemory, ...extra }, timeoutMs: 8_000 });
      assert.equal(run.code, 1, run.stderr);
      assert.ok(run.elapsedMs < 5_000, `took ${Math.round(run.elapsedMs)} ms`);
      assert.match(run.stderr, /2 workers declared but these stores are process-local/);
      for (const store of ['keyValue', 'once', 'counters', 'denylist']) {
        assert.match(run.stderr, new RegExp(`${store} \\(memory\\)`));
      }
      // Refused in the primary, before any logger or worker existed.
      assert.ok(!run.stdout.includes('listening'), run.stdout);
    }
  });

  it('--workers 0, abc or nothing - should be a usage error (exit 2) that does not echo the value', async () => {
    for (const args of [['--workers', '0'], ['--workers', 'abc'], ['--workers=1025'], ['--workers']]) {
      const run = await runGatehouse(['serve', ...args], { env: productionMemory, timeoutMs: 8_000 });
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /--workers must be an integer from 1 to 1024/);
      assert.ok(!run.stderr.includes('abc') && !run.stderr.includes('1025'));
      assert.equal(run.stdout, '');
    }
  });

  it('workers crashing in a loop - should be replaced after a growing back-off, the primary never giving up', async () => {
    const loop = await spawnServer({
      args: ['--workers', '2'],
      env: { PORT: '0', GATEHOUSE_MODE: 'development', GATEHOUSE_DATA_DIR: dataDir },
    });
    const killed = new Set<number>();
    const DEATHS = 6;
    try {
      await loop.waitForLog('gatehouse cluster listening');
      // More deaths in a row than the old limit (5 in 10 s) that stopped the cluster for good.
      for (let death = 1; death <= DEATHS; death++) {
        const victim = await waitForLine(
          loop,
          (line) => line.msg === 'gatehouse listening' && !killed.has(line.pid as number),
          `worker to kill (death ${death})`,
          15_000,
        );
        const pid = victim.pid as number;
        killed.add(pid);
        process.kill(pid, 'SIGKILL');
        await waitForLine(loop, (line) => line.msg === 'worker died' && line.workerPid === pid, 'death log');
      }
      const backOff = (line: LogLine) => line.msg === 'replacing the worker after a back-off';
      // The primary writes its log lines asynchronously: the last back-off line can follow the
      // last death line by a moment.
      await waitForLine(
        loop,
        () => loop.logs().filter(backOff).length >= DEATHS,
        'a back-off line per death',
      );
      const delays = loop
        .logs()
        .filter(backOff)
        .map((line) => line.delayMs as number);
      assert.equal(delays.length, DEATHS);
      assert.deepEqual(delays, [100, 200, 400, 800, 1_600, 3_200], 'each death in a row doubles the wait');
      // The last replacement comes, and the port still serves.
      await waitForLine(
        loop,
        () => workerPids(loop).filter((pid) => !killed.has(pid) && isAlive(pid)).length >= 2,
        'two live workers after the loop',
        15_000,
      );
      // With PORT=0 the port is picked anew when no worker was alive for a moment (the primary
      // closes the listening handle with its last worker): ask the newest worker where it is.
      const newest = loop
        .logs()
        .filter((line) => line.msg === 'gatehouse listening')
        .at(-1);
      await assertHealthy(newest?.url as string, 'after the crash loop');
      assert.equal(loop.child.exitCode, null, 'the primary must keep running');
      assert.ok(!loop.logs().some((line) => line.level >= 60), 'nothing fatal was logged');
    } finally {
      await loop.kill();
      for (const pid of workerPids(loop)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('port already taken - should exit 1 without retrying the workers', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    try {
      const port = String((blocker.address() as AddressInfo).port);
      const run = await runGatehouse(['serve', '--workers', '2'], {
        env: { PORT: port, GATEHOUSE_MODE: 'development', GATEHOUSE_DATA_DIR: dataDir },
        timeoutMs: 8_000,
      });
      assert.equal(run.code, 1, run.stdout);
      assert.match(run.stderr, /EADDRINUSE/);
      const deaths = run.stdout.split('\n').filter((line) => line.includes('"msg":"worker died"'));
      assert.ok(deaths.length >= 1 && deaths.length <= 2, `${deaths.length} worker deaths`);
      assert.match(run.stdout, /"msg":"gatehouse cluster stopped"/);
    } finally {
      blocker.close();
    }
  });

  it('--workers 1 over GATEHOUSE_WORKERS=2 - should run one process without a cluster', async () => {
    const single = await spawnServer({
      args: ['--workers', '1'],
      env: { ...productionMemory, GATEHOUSE_WORKERS: '2', GATEHOUSE_MIGRATE_ON_START: 'true' },
    });
    try {
      assert.deepEqual(workerPids(single), [single.child.pid]);
      await assertHealthy(single.url, 'the single process');
      single.child.kill('SIGTERM');
      assert.deepEqual(await single.exited, { code: 0, signal: null });
      assert.ok(!single.logs().some((line) => line.msg.includes('cluster')));
    } finally {
      await single.kill();
    }
  });
});
