/**
 * `GET /metrics` of a real `gatehouse serve` after a scripted workload: the counts are the
 * requests that were made (by route template and status), the refused sign-ins are counted by
 * outcome, the bearer secret is required, and with `--workers 2` one scrape sums what both
 * workers served (each served part of it, as their access-log lines show).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findFreePort } from '../fixtures/redis-server.ts';
import { type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';

const TOKEN = 'metrics-scrape-secret-0123456789abcdef';

/** GET on a fresh connection, so a cluster hands each request to a worker anew. */
function getStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = get(url, { agent: false }, (response) => {
      response.resume();
      response.once('end', () => resolve(response.statusCode ?? 0));
    });
    request.once('error', reject);
  });
}

async function failedLogin(url: string, email: string): Promise<number> {
  const response = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', connection: 'close' },
    body: JSON.stringify({ email, password: 'not-the-password-of-anyone-1' }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function scrape(url: string, token?: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  return { status: response.status, text: await response.text() };
}

/** The value of one sample line (exact labels), or undefined. */
function sample(text: string, line: string): number | undefined {
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

async function serve(args: string[], extra: Record<string, string>) {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-metrics-'));
  const server = await spawnServer({
    args,
    env: {
      PORT: '0',
      GATEHOUSE_MODE: 'development',
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_LOG_LEVEL: 'info',
      GATEHOUSE_LOG_FORMAT: 'json',
      GATEHOUSE_ACCESS_LOG: 'true',
      GATEHOUSE_METRICS: 'true',
      GATEHOUSE_METRICS_TOKEN: TOKEN,
      ...extra,
    },
  });
  return { server, dataDir };
}

describe('GET /metrics - one process, on a port of its own', () => {
  let server: ServerProcess;
  let dataDir = '';
  let metricsUrl = '';

  before(async () => {
    const port = await findFreePort();
    ({ server, dataDir } = await serve([], { GATEHOUSE_METRICS_PORT: String(port) }));
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
  });
  after(async () => {
    await server?.kill();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('counts the scripted requests by route template and status, and refused sign-ins by outcome', async () => {
    for (let i = 0; i < 5; i++) assert.equal(await getStatus(`${server.url}/health`), 200);
    for (let i = 0; i < 2; i++) assert.equal(await getStatus(`${server.url}/no-such-route/${i}`), 404);
    for (let i = 0; i < 3; i++) assert.equal(await failedLogin(server.url, `nobody${i}@example.com`), 401);
    assert.equal(await getStatus(`${server.url}/metrics`), 404, 'not on the main port when it has its own');

    assert.equal((await scrape(metricsUrl)).status, 401, 'the bearer secret is required');
    assert.equal((await scrape(metricsUrl, `${TOKEN}x`)).status, 401);
    const { status, text } = await scrape(metricsUrl, TOKEN);
    assert.equal(status, 200);
    assert.equal(sample(text, 'gatehouse_http_requests_total{method="GET",route="/health",status="200"}'), 5);
    assert.equal(
      sample(text, 'gatehouse_http_requests_total{method="GET",route="unmatched",status="404"}'),
      3,
    );
    assert.equal(
      sample(text, 'gatehouse_http_requests_total{method="POST",route="/auth/login",status="401"}'),
      3,
    );
    assert.equal(sample(text, 'gatehouse_sign_ins_total{outcome="failure"}'), 3);
    assert.equal(
      sample(text, 'gatehouse_http_request_duration_seconds_count{method="GET",route="/health"}'),
      5,
    );
    assert.ok(
      (sample(text, 'gatehouse_db_query_duration_seconds_count') ?? 0) > 0,
      'SQL round trips are timed',
    );
    assert.ok(text.includes('gatehouse_store_duration_seconds_count{store="rateLimiter",op="consume"}'));
    assert.equal(sample(text, 'gatehouse_active_sessions'), 0);
  });
});

describe('GET /metrics - gatehouse serve --workers 2, on the main port', () => {
  let server: ServerProcess;
  let dataDir = '';

  before(async () => {
    ({ server, dataDir } = await serve(['--workers', '2'], {}));
    await server.waitForLog('gatehouse cluster listening');
  });
  after(async () => {
    const pids = server
      .logs()
      .filter((line) => line.msg === 'gatehouse listening')
      .map((line) => line.pid as number);
    await server?.kill();
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it('one scrape sums what both workers served', async () => {
    const total = 24;
    for (let i = 0; i < total; i++) assert.equal(await getStatus(`${server.url}/health`), 200);
    for (let i = 0; i < 2; i++) assert.equal(await failedLogin(server.url, `nobody${i}@example.com`), 401);
    assert.equal((await scrape(`${server.url}/metrics`)).status, 401);
    const { status, text } = await scrape(`${server.url}/metrics`, TOKEN);
    assert.equal(status, 200, text);
    assert.equal(
      sample(text, 'gatehouse_http_requests_total{method="GET",route="/health",status="200"}'),
      total,
    );
    assert.equal(sample(text, 'gatehouse_sign_ins_total{outcome="failure"}'), 2);
    // A shared gauge (an SQL count both workers read alike) is taken once, not doubled.
    assert.equal(sample(text, 'gatehouse_active_sessions'), 0);

    // Each worker served part of the load (so the scrape really summed two registries).
    const deadline = Date.now() + 5_000;
    let byPid = new Map<number, number>();
    while (Date.now() < deadline) {
      byPid = new Map();
      for (const line of server.logs()) {
        if (line.msg === 'request' && line.route === '/health')
          byPid.set(line.pid as number, (byPid.get(line.pid as number) ?? 0) + 1);
      }
      if ([...byPid.values()].reduce((a, b) => a + b, 0) >= total) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(byPid.size, 2, `both workers served /health: ${JSON.stringify([...byPid])}`);
    assert.equal(
      [...byPid.values()].reduce((a, b) => a + b, 0),
      total,
    );
  });
});
