/**
 * A Gatehouse server for the HTTP benchmarks, run in its own process (see
 * {@link startServerProcess}) so the load generator does not share its event loop: `node:http`
 * with the Node adapter, as the standalone server serves it, on a free loopback port, with a
 * SQLite file in a temp dir and memory stores.
 *
 * It creates the users the benchmark logs in as, signs one more in for probe requests, and
 * reports `{ url, emails, probeToken }` over IPC. It stops when told (`'stop'`) or when the
 * parent goes away (the IPC channel closes), so it never outlives the benchmark.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toNodeHandler } from '../../src/http/adapters/node/index.ts';
import { createBenchAuth, createBenchUser, loginInProcess } from './gatehouse.ts';

export interface ServerProcessOptions {
  /** Users created for the login flood (one hash each at start-up). */
  readonly users: number;
  /**
   * Keep the default rate limits on. Off by default: a flood of logins from one address to a
   * few accounts is exactly what the per-account and per-address login limits refuse (after
   * 10 logins per account), so with them on the benchmark would time refusals, not logins.
   */
  readonly rateLimits?: boolean;
}

export interface ServerReady {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Emails of the flood users; their password is `BENCH_PASSWORD`. */
  readonly emails: readonly string[];
  /** An access token of a separate user, for `GET /users/me` probes. */
  readonly probeToken: string;
}

/** CPU the server has used so far, in microseconds. */
export interface ServerCpu {
  /** The main thread only: the event loop (HTTP, routes, SQLite, JSON). */
  readonly eventLoopMicros: number;
  /** The part of `eventLoopMicros` spent in the kernel (socket and file writes). */
  readonly eventLoopSystemMicros: number;
  /** Every thread of the process: the event loop plus the libuv pool (argon2) and V8's helpers. */
  readonly processMicros: number;
}

export interface ServerProcess extends ServerReady {
  /** The server's CPU use so far; take two readings and subtract. */
  cpu(): Promise<ServerCpu>;
  /** Asks the server to stop, and kills it if it has not exited within 5 s. Idempotent. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 5_000;

/**
 * Forks this module as a server process with the parent's Node flags and environment (so the
 * same `UV_THREADPOOL_SIZE`), and waits until it listens.
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(options)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send('stop');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  try {
    const ready = await new Promise<ServerReady>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the server did not start in time')), START_TIMEOUT_MS);
      child.once('message', (message) => {
        clearTimeout(timer);
        resolve(message as ServerReady);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the server exited during start-up (${code})`));
      });
    });
    const cpu = (): Promise<ServerCpu> =>
      new Promise((resolve) => {
        child.once('message', (message) => resolve(message as ServerCpu));
        child.send('cpu');
      });
    return { ...ready, cpu, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function serve(options: ServerProcessOptions): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-server-'));
  const auth = await createBenchAuth({
    databaseUrl: `sqlite:${join(dataDir, 'gatehouse.db')}`,
    stores: { backend: 'memory' },
    dataDir,
    ...(options.rateLimits === true ? {} : { config: { rateLimits: { enabled: false } } }),
  });
  const emails = Array.from({ length: options.users }, (_, i) => `flood-${i}@bench.example.com`);
  for (const email of emails) await createBenchUser(auth, email);
  await createBenchUser(auth, 'probe@bench.example.com');
  const probeToken = await loginInProcess(auth, 'probe@bench.example.com');

  const server = createServer(toNodeHandler(auth, { overrideGlobalObjects: true }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  let stopping = false;
  const shutdown = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await auth.close();
    await rm(dataDir, { recursive: true, force: true });
    process.exit(0);
  };
  process.on('message', (message) => {
    if (message === 'stop') void shutdown();
    if (message === 'cpu') {
      const thread = process.threadCpuUsage();
      const all = process.cpuUsage();
      const cpu: ServerCpu = {
        eventLoopMicros: thread.user + thread.system,
        eventLoopSystemMicros: thread.system,
        processMicros: all.user + all.system,
      };
      process.send?.(cpu);
    }
  });
  process.on('disconnect', () => void shutdown());
  const ready: ServerReady = { url: `http://127.0.0.1:${port}`, emails, probeToken };
  process.send?.(ready);
}

// Run as the forked child: the parent passes the options as the first argument.
if (process.send !== undefined && process.argv[1] === fileURLToPath(import.meta.url)) {
  await serve(JSON.parse(process.argv[2] ?? '{}') as ServerProcessOptions);
}
