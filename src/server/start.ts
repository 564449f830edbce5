import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FetchTarget, toNodeHandler } from '../http/adapters/node/index.ts';
import { type Auth, createAuth } from '../index.ts';
import {
  type DatabaseStartStep,
  firstDatabaseAttempt,
  retryDatabaseStep,
  runDatabaseStep,
  startupUnavailableResponse,
} from './database-startup.ts';
import type { ServerSettings } from './env.ts';
import {
  checkMetricsSettings,
  listenForMetrics,
  localMetrics,
  metricsHandler,
  workerMetrics,
} from './metrics.ts';
import { withPruningByDefault } from './operations-env.ts';
import { withPagesByDefault } from './ui-env.ts';

export interface RunningServer {
  readonly auth: Auth;
  readonly server: Server;
  /** The bound address, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  /** Where `/metrics` answers when it has a port of its own (not in a cluster worker: the primary serves it). */
  readonly metricsUrl?: string;
  /** Stops accepting, lets in-flight requests finish (bounded), then closes pools and clients. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Migrate on start even in production (`gatehouse serve --migrate`). */
  readonly migrate?: boolean;
  /**
   * Serve only once no migration is pending (a cluster worker whose primary migrates). Ignored
   * when this process migrates itself.
   */
  readonly awaitSchema?: boolean;
  /** Longest wait for in-flight requests on shutdown before connections are cut. @default 10000 */
  readonly shutdownGraceMs?: number;
  /** A worker of `gatehouse serve --workers`: `/metrics` answers the aggregate the primary gathers. */
  readonly clusterWorker?: boolean;
}

/** The address of the pages' root (`/` redirects to sign-in or the account) under `baseUrl`. */
function pagesRoot(baseUrl: string, basePath: string): string {
  return basePath === '/' ? `${baseUrl}/` : `${baseUrl}${basePath}`;
}

/**
 * Starts the standalone server: builds Gatehouse from the settings, migrates when the mode
 * says so (development always; production only when told), logs the posture with every
 * warning, and listens.
 *
 * A database that cannot be reached does not stop it: it listens anyway, answers `/health`
 * 200, `/ready` and every other route 503 with `Retry-After`, and retries the migration (or
 * the status check) in the background until the database answers. Any other failure of that
 * step (a wrong password, a failing migration) still rejects.
 */
export async function startServer(
  settings: ServerSettings,
  options: StartOptions = {},
): Promise<RunningServer> {
  const auth = await createAuth(withPruningByDefault(withPagesByDefault(settings.config)));
  const { logger } = auth;
  try {
    checkMetricsSettings(auth.config.mode, settings.metrics);
  } catch (error) {
    await auth.close();
    throw error;
  }
  const metricsSettings = settings.metrics;
  const serveMetrics = metricsSettings
    ? metricsHandler(
        metricsSettings,
        options.clusterWorker ? workerMetrics(auth.metrics.registry) : localMetrics(auth.metrics.registry),
      )
    : undefined;
  // On the main port only without a port of its own.
  const metricsPath =
    metricsSettings?.port === undefined ? `${auth.config.http.basePath}/metrics` : undefined;
  const step: DatabaseStartStep =
    options.migrate || auth.config.migrations.runOnStart
      ? 'migrate'
      : options.awaitSchema
        ? 'await-schema'
        : 'check';
  let databaseDone: boolean;
  try {
    databaseDone = await firstDatabaseAttempt(auth, step, logger);
  } catch (error) {
    await auth.close();
    throw error;
  }
  const retries = databaseDone
    ? undefined
    : retryDatabaseStep({ attempt: () => runDatabaseStep(auth, step, logger), logger, step });
  const healthPath = `${auth.config.http.basePath}/health`;
  const readyPath = `${auth.config.http.basePath}/ready`;
  // Until the database step passed, only the probes reach the app.
  const gated: FetchTarget = {
    async fetch(request, env) {
      // Answered even while the database is not ready: a scrape is how an operator sees why.
      if (serveMetrics && metricsPath !== undefined && new URL(request.url).pathname === metricsPath)
        return serveMetrics(request);
      if (retries === undefined || retries.isDone()) return auth.fetch(request, env);
      const path = new URL(request.url).pathname;
      if (path !== healthPath && path !== readyPath) return startupUnavailableResponse();
      if (path === readyPath) {
        // A readiness probe is a good moment to try again; until the step passed it stays 503.
        if (!(await retries.attemptNow())) {
          const response = await auth.fetch(request, env);
          return response.status === 503 ? response : startupUnavailableResponse();
        }
      }
      return auth.fetch(request, env);
    },
  };

  // The server owns its process, so it may use the node-server's faster Request/Response.
  const handle = toNodeHandler(gated, { overrideGlobalObjects: true });
  /** Responses still being produced; told to close their connection once shutdown begins. */
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  const server = createServer((req, res) => {
    // A keep-alive connection would otherwise hold server.close() open until the grace ends.
    if (draining) res.shouldKeepAlive = false;
    inFlight.add(res);
    res.once('close', () => {
      inFlight.delete(res);
      if (draining) server.closeIdleConnections();
    });
    handle(req, res);
  });
  // Slow-header clients must not hold sockets forever.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(settings.listen.port, settings.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // e.g. the port is taken: an open pool or Redis client would keep the process alive.
    retries?.stop();
    await auth.close();
    throw error;
  }
  let metricsListener: Awaited<ReturnType<typeof listenForMetrics>> | undefined;
  if (serveMetrics && metricsSettings?.port !== undefined && !options.clusterWorker) {
    try {
      metricsListener = await listenForMetrics(
        { ...metricsSettings, port: metricsSettings.port },
        serveMetrics,
      );
    } catch (error) {
      retries?.stop();
      server.close();
      await auth.close();
      throw error;
    }
  }
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  // What a person opens in a browser: the base URL, the origin mail links point to, so the
  // pages and the links share one origin and one set of cookies (not the bound address).
  const pages = auth.config.ui.enabled ? pagesRoot(auth.config.baseUrl, auth.config.ui.basePath) : undefined;
  logger.info(
    {
      url,
      ...(pages ? { pages } : {}),
      mode: auth.config.mode,
      database: auth.posture.database,
      stores: auth.posture.stores,
    },
    'gatehouse listening',
  );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const grace = options.shutdownGraceMs ?? 10_000;
      retries?.stop();
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.shouldKeepAlive = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive sockets with no request in flight would hold close() open.
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        logger.warn('shutdown grace period over: closing remaining connections');
        server.closeAllConnections();
      }, grace);
      await closed;
      clearTimeout(timer);
      await metricsListener?.close();
      await auth.close();
      logger.info('gatehouse stopped');
    })();
    return stopping;
  };
  return { auth, server, url, stop, ...(metricsListener ? { metricsUrl: metricsListener.url } : {}) };
}
