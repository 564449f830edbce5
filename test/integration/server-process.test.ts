/**
 * `gatehouse serve` as a real child process: configured only by environment variables,
 * listening on a port the OS picked, stopped by signals the way an orchestrator stops it.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSecret } from '../../src/index.ts';
import { MIGRATION_NAMES } from '../fixtures/migrations.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';
import { runGatehouse, type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';

/** Long enough that a test passing "before the grace period ends" proves a prompt drain. */
const LONG_GRACE_MS = 8_000;
const SHORT_GRACE_MS = 500;

/** Opens a raw connection and sends a request line and one header, but not the blank line. */
async function startPartialRequest(url: string): Promise<{ socket: Socket; received: () => string }> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  socket.write(`GET /health HTTP/1.1\r\nHost: ${hostname}\r\n`);
  // Give the server time to accept the connection and parse what was sent.
  await new Promise((resolve) => setTimeout(resolve, 100));
  return { socket, received: () => received };
}

/** Resolves with the error code of one new connection attempt (`null` when it connected). */
function connectError(url: string): Promise<string | null> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(null);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'unknown'));
  });
}

/**
 * Resolves once a new connection is refused. The shutdown log line is written just before
 * the listener closes, so an attempt racing it may still be accepted by the kernel.
 */
async function waitUntilRefused(url: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last: string | null = null;
  while (performance.now() < deadline) {
    last = await connectError(url);
    if (last === 'ECONNREFUSED') return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(
    `new connections were still ${last === null ? 'accepted' : `failing with ${last}`} after ${timeoutMs} ms`,
  );
}

function assertNoneContain(haystacks: readonly string[], needle: string, label: string): void {
  assert.ok(needle.length >= 16, 'the needle must be distinctive');
  for (const haystack of haystacks)
    assert.ok(!haystack.includes(needle), `${label} was written to the output`);
}

describe('gatehouse serve - development, zero configuration', () => {
  let dataDir = '';
  let server: ServerProcess;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-serve-dev-'));
    server = await spawnServer({
      env: { PORT: '0', GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_SHUTDOWN_GRACE_MS: String(LONG_GRACE_MS) },
    });
  });

  after(async () => {
    await server?.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('listening - should log a loopback URL on the port the OS picked', () => {
    const url = new URL(server.url);
    assert.equal(url.hostname, '127.0.0.1');
    assert.ok(Number(url.port) > 0);
  });

  it('GET /health - should answer 200 with an X-Request-Id', async () => {
    const response = await fetch(`${server.url}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
    assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    const echoed = await fetch(`${server.url}/health`, { headers: { 'X-Request-Id': 'trace-1234' } });
    assert.equal(echoed.headers.get('x-request-id'), 'trace-1234');
  });

  it('GET /openapi.json - should describe /health and /ready', async () => {
    const response = await fetch(`${server.url}/openapi.json`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const document = (await response.json()) as { openapi: string; paths: Record<string, unknown> };
    assert.match(document.openapi, /^3\.1/);
    assert.ok('/health' in document.paths);
    assert.ok('/ready' in document.paths);
  });

  it('GET /ready - should answer 200 because development migrates on start', async () => {
    const applied = server.logs().find((line) => line.msg === 'migrations applied');
    assert.deepEqual(applied?.applied, MIGRATION_NAMES);
    const response = await fetch(`${server.url}/ready`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      status: 'ready',
      checks: { database: 'ok', stores: 'ok', schema: 'ok' },
    });
  });

  it('data dir - should hold the generated secret (mode 0600) and the SQLite file', async () => {
    const secretFile = await stat(join(dataDir, 'secret'));
    assert.equal(secretFile.mode & 0o777, 0o600);
    assert.ok((await stat(join(dataDir, 'gatehouse.db'))).size > 0);
  });

  it('posture - should warn that a generated development secret is in use', () => {
    const warning = server.logs().find((line) => line.code === 'DEVELOPMENT_SECRET');
    assert.ok(warning, 'no DEVELOPMENT_SECRET warning logged');
    assert.equal(warning.level, 40);
    assert.equal(server.logs().find((line) => line.msg === 'gatehouse listening')?.mode, 'development');
  });

  it('output - should never contain the secret value', async () => {
    const secret = (await readFile(join(dataDir, 'secret'), 'utf8')).trim();
    assertNoneContain([server.stdout(), server.stderr()], secret, 'the development secret');
    assert.equal(server.stderr(), '');
  });

  it('SIGTERM - should refuse new connections, finish the request in flight and exit 0 before the grace ends', async () => {
    const inFlight = await startPartialRequest(server.url);
    const signalled = performance.now();
    server.child.kill('SIGTERM');
    await server.waitForLog('shutting down');

    await waitUntilRefused(server.url, 2_000);
    assert.equal(server.child.exitCode, null, 'the process must wait for the request in flight');

    inFlight.socket.write('\r\n');
    await once(inFlight.socket, 'close');
    const response = inFlight.received();
    assert.match(response, /^HTTP\/1\.1 200 OK\r\n/);
    // Told not to reuse the connection, so the drain does not wait for a keep-alive timeout.
    assert.match(response, /\r\nConnection: close\r\n/i);
    assert.match(response, /\{"status":"ok"\}$/);

    assert.deepEqual(await server.exited, { code: 0, signal: null });
    const elapsed = performance.now() - signalled;
    assert.ok(elapsed < LONG_GRACE_MS / 2, `shutdown took ${Math.round(elapsed)} ms`);
    assert.ok(server.logs().some((line) => line.msg === 'gatehouse stopped'));
    assert.ok(!server.logs().some((line) => line.msg.includes('grace period over')));
  });

  it('restart - should reuse the data dir: same secret, nothing left to migrate', async () => {
    const secretBefore = await readFile(join(dataDir, 'secret'), 'utf8');
    const again = await spawnServer({ env: { PORT: '0', GATEHOUSE_DATA_DIR: dataDir } });
    try {
      assert.equal(await readFile(join(dataDir, 'secret'), 'utf8'), secretBefore);
      assert.ok(!again.logs().some((line) => line.msg === 'migrations applied'));
      assert.equal((await fetch(`${again.url}/ready`)).status, 200);
      again.child.kill('SIGTERM');
      assert.deepEqual(await again.exited, { code: 0, signal: null });
    } finally {
      await again.kill();
    }
  });
});

describe('gatehouse serve - shutdown grace period', () => {
  let dataDir = '';
  let server: ServerProcess | undefined;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-serve-grace-'));
  });

  after(async () => {
    await server?.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('SIGINT - should cut a request that never completes once the grace period ends, then exit 0', async () => {
    server = await spawnServer({
      env: { PORT: '0', GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_SHUTDOWN_GRACE_MS: String(SHORT_GRACE_MS) },
    });
    const stuck = await startPartialRequest(server.url);
    const signalled = performance.now();
    server.child.kill('SIGINT');

    assert.deepEqual(await server.exited, { code: 0, signal: null });
    const elapsed = performance.now() - signalled;
    assert.ok(
      elapsed >= SHORT_GRACE_MS - 50,
      `exited after ${Math.round(elapsed)} ms, before the grace ended`,
    );
    assert.ok(elapsed < SHORT_GRACE_MS + 3_000, `exited after ${Math.round(elapsed)} ms`);
    assert.ok(stuck.socket.destroyed || (await once(stuck.socket, 'close')));
    const messages = server.logs().map((line) => line.msg);
    assert.ok(messages.includes('shutting down'));
    assert.ok(messages.includes('shutdown grace period over: closing remaining connections'));
    assert.ok(messages.includes('gatehouse stopped'));
  });
});

describe('gatehouse serve - production with PostgreSQL and Redis', () => {
  const secret = generateSecret();
  /** PostgreSQL trusts loopback in the test cluster, so this password is sent and ignored. */
  const password = 'pg-Password-That-Must-Not-Leak';
  let postgres: PostgresServer;
  let redis: RedisServer;
  let dataDir = '';
  let env: Record<string, string> = {};
  const servers: ServerProcess[] = [];

  before(async () => {
    [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-serve-prod-'));
    const databaseUrl = new URL(await postgres.createDatabase());
    databaseUrl.password = password;
    env = {
      PORT: '0',
      GATEHOUSE_MODE: 'production',
      GATEHOUSE_SECRETS: `2026-11:${secret}`,
      GATEHOUSE_BASE_URL: 'https://auth.example.test',
      GATEHOUSE_DATABASE_URL: databaseUrl.href,
      GATEHOUSE_REDIS_URL: redis.url,
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_SHUTDOWN_GRACE_MS: '2000',
    };
  });

  after(async () => {
    await Promise.all(servers.map((server) => server.kill()));
    await Promise.all([postgres?.stop(), redis?.stop()]);
    await rm(dataDir, { recursive: true, force: true });
  });

  async function stopGracefully(server: ServerProcess): Promise<void> {
    server.child.kill('SIGTERM');
    assert.deepEqual(await server.exited, { code: 0, signal: null });
  }

  it('serve - should start without migrating, say so in the log, and answer /ready 503', async () => {
    const server = await spawnServer({ env });
    servers.push(server);
    const pending = server.logs().find((line) => line.msg.startsWith('migrations pending'));
    assert.ok(pending, 'no "migrations pending" log line');
    assert.equal(pending.level, 50);
    assert.deepEqual(pending.pending, MIGRATION_NAMES);
    assert.ok(!server.logs().some((line) => line.msg === 'migrations applied'));

    const ready = await fetch(`${server.url}/ready`);
    assert.equal(ready.status, 503);
    assert.match(ready.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    const body = (await ready.json()) as { code: string; checks: Record<string, string> };
    assert.equal(body.code, 'SERVICE_UNAVAILABLE');
    assert.deepEqual(body.checks, { database: 'ok', stores: 'ok', schema: 'failed' });
    assert.equal((await fetch(`${server.url}/health`)).status, 200);

    const listening = server.logs().find((line) => line.msg === 'gatehouse listening');
    assert.equal(listening?.mode, 'production');
    assert.match(String(listening?.database), /^postgres \(127\.0\.0\.1:\d+\/gh_\w+\)$/);
    assert.deepEqual(
      Object.values(listening?.stores as Record<string, string>),
      Array(4).fill('redis (shared)'),
    );
    assert.ok(server.logs().some((line) => line.code === 'MAIL_NOT_CONFIGURED'));
    await assert.rejects(stat(join(dataDir, 'secret')), { code: 'ENOENT' });

    await stopGracefully(server);
    assertNoneContain([server.stdout(), server.stderr()], secret, 'the master secret');
    assertNoneContain([server.stdout(), server.stderr()], password, 'the database password');
  });

  it('serve --migrate - should apply the migrations and answer /ready 200', async () => {
    const server = await spawnServer({ env, args: ['--migrate'] });
    servers.push(server);
    assert.deepEqual(
      server.logs().find((line) => line.msg === 'migrations applied')?.applied,
      MIGRATION_NAMES,
    );
    const ready = await fetch(`${server.url}/ready`);
    assert.equal(ready.status, 200);
    assert.deepEqual(await ready.json(), {
      status: 'ready',
      checks: { database: 'ok', stores: 'ok', schema: 'ok' },
    });

    // A second server on the same port cannot listen; it must exit, not hang on its open
    // Redis client and database pool.
    const clash = await runGatehouse(['serve'], {
      env: { ...env, PORT: new URL(server.url).port },
      timeoutMs: 8_000,
    });
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, /EADDRINUSE/);

    await stopGracefully(server);
    assertNoneContain([server.stdout(), server.stderr()], secret, 'the master secret');
    assertNoneContain([server.stdout(), server.stderr()], password, 'the database password');
  });
});
