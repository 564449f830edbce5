/**
 * `GET /metrics` of the standalone server: the Prometheus text of every worker in one scrape.
 *
 * One process: the instance's registry. `--workers N`: the primary asks every worker for its
 * registry (prom-client's AggregatorRegistry over the cluster's IPC channel) and sums them —
 * shared gauges (an SQL count every worker reads alike) are taken once. With a metrics port of
 * its own the primary listens on it; without one, `/metrics` on the main port reaches any
 * worker, which asks the primary for the aggregate over the same channel.
 *
 * Not part of the JSON API (and of its OpenAPI document): a scrape endpoint for operators,
 * optionally behind a bearer secret, compared in constant time.
 */
import cluster from 'node:cluster';
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AggregatorRegistry, type Registry } from 'prom-client';
import { ConfigError } from '../index.ts';
import type { MetricsSettings } from './operations-env.ts';

const REQUEST = 'gatehouse:metrics-request';
const RESPONSE = 'gatehouse:metrics-response';
/** A scrape that waits longer than this for the workers answers 503. */
const AGGREGATE_TIMEOUT_MS = 5_000;

export type RenderMetrics = () => Promise<{ readonly text: string; readonly contentType: string }>;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Production refuses an open `/metrics`: without a token it must be on a port of its own bound
 * to loopback (a sidecar or node agent scrapes it), never on the public listener.
 */
export function checkMetricsSettings(mode: string, metrics: MetricsSettings | undefined): void {
  if (!metrics || mode !== 'production' || metrics.token !== undefined) return;
  if (metrics.port !== undefined && LOOPBACK.has(metrics.host)) return;
  throw new ConfigError(
    [
      {
        path: 'GATEHOUSE_METRICS_TOKEN',
        message: 'required in production unless GATEHOUSE_METRICS_PORT is set and bound to loopback',
      },
    ],
    'Gatehouse refuses to start',
  );
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** The fetch handler of `/metrics`: GET only, the bearer secret when one is set. */
export function metricsHandler(
  settings: MetricsSettings,
  render: RenderMetrics,
): (request: Request) => Promise<Response> {
  const expected = settings.token === undefined ? undefined : digest(`Bearer ${settings.token}`);
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return new Response(null, { status: 405, headers: { Allow: 'GET, HEAD' } });
    if (expected) {
      const presented = digest(request.headers.get('authorization') ?? '');
      if (!timingSafeEqual(presented, expected))
        return new Response('unauthorized\n', {
          status: 401,
          headers: { 'WWW-Authenticate': 'Bearer realm="metrics"', 'Cache-Control': 'no-store' },
        });
    }
    try {
      const { text, contentType } = await render();
      return new Response(request.method === 'HEAD' ? null : text, {
        status: 200,
        headers: { 'Content-Type': contentType, 'Cache-Control': 'no-store' },
      });
    } catch {
      return new Response('metrics unavailable\n', { status: 503, headers: { 'Retry-After': '5' } });
    }
  };
}

/** A listener of its own that answers only `GET /metrics`. */
export async function listenForMetrics(
  settings: MetricsSettings & { readonly port: number },
  handle: (request: Request) => Promise<Response>,
): Promise<{ readonly server: Server; readonly url: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
      return;
    }
    const headers = new Headers();
    const authorization = req.headers.authorization;
    if (authorization) headers.set('authorization', authorization);
    const response = await handle(
      new Request(`http://metrics${path}`, { method: req.method ?? 'GET', headers }),
    );
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** This process's registry only (a single-process server). */
export function localMetrics(registry: Registry): RenderMetrics {
  return async () => ({ text: await registry.metrics(), contentType: registry.contentType });
}

/**
 * In a cluster worker: answers the primary's aggregation requests from `registry`, and renders
 * a scrape it received by asking the primary for the aggregate of every worker.
 */
export function workerMetrics(registry: Registry): RenderMetrics {
  // Constructing one installs prom-client's worker-side listener; ours is the registry it reports.
  new AggregatorRegistry();
  AggregatorRegistry.setRegistries([registry]);
  let next = 0;
  return () =>
    new Promise((resolve, reject) => {
      const id = `${process.pid}:${next++}`;
      const timer = setTimeout(() => {
        process.off('message', onMessage);
        reject(new Error('the primary did not answer'));
      }, AGGREGATE_TIMEOUT_MS);
      const onMessage = (message: unknown) => {
        const m = message as { type?: unknown; id?: unknown; text?: unknown; error?: unknown };
        if (m?.type !== RESPONSE || m.id !== id) return;
        clearTimeout(timer);
        process.off('message', onMessage);
        if (typeof m.text === 'string') resolve({ text: m.text, contentType: registry.contentType });
        else reject(new Error('aggregation failed'));
      };
      process.on('message', onMessage);
      process.send?.({ type: REQUEST, id });
    });
}

/**
 * In the cluster primary: the aggregate of every worker, and the answer to workers that were
 * scraped on the main port. Returns the renderer (for a metrics port the primary listens on).
 */
export function primaryMetrics(): RenderMetrics {
  const aggregator = new AggregatorRegistry();
  const render: RenderMetrics = async () => ({
    text: await aggregator.clusterMetrics(),
    contentType: aggregator.contentType,
  });
  cluster.on('message', (worker, message: unknown) => {
    const m = message as { type?: unknown; id?: unknown };
    if (m?.type !== REQUEST || typeof m.id !== 'string') return;
    render().then(
      ({ text }) => worker.isConnected() && worker.send({ type: RESPONSE, id: m.id, text }),
      () => worker.isConnected() && worker.send({ type: RESPONSE, id: m.id, error: true }),
    );
  });
  return render;
}
