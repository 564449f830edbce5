import type { Hono } from 'hono';
import pino, { type Logger } from 'pino';
import {
  CORE_ERROR_CODES,
  ConfigError,
  type ConfigWarning,
  checkTopology,
  createKeyring,
  createMetrics,
  databaseDialectOf,
  type ErrorCatalogue,
  type Keyring,
  type Metrics,
  persistenceWarnings,
  type ResolvedConfig,
  resolveConfig,
} from '../core/index.ts';
import {
  type AnyFeatureDefinition,
  type FeatureOptionsInput,
  featureKeys,
  STORED_SECRETS_PURPOSE,
} from '../feature/index.ts';
import { createKeyService, type KeyService } from '../features/key-rotation/index.ts';
import {
  createAccessPipeline,
  createGuards,
  createHttpApp,
  DEFAULT_INVALID_TOKEN_CODES,
  defaultCredentialSchemes,
  type Guards,
  type HttpAppEnv,
  joinPaths,
  OPENAPI_PATH,
  sessionCookieName,
} from '../http/index.ts';
import {
  createConsoleTransport,
  createMailTransportFromUrl,
  MailError,
  type MailMessage,
  type MailTransport,
} from '../mail/index.ts';
import { createPages, type Pages } from '../pages/index.ts';
import type { Stores } from '../stores/contract.ts';
import { createMemoryStores } from '../stores/memory/index.ts';
import { createRedisStores, type RedisClientLike, type RedisStoresOptions } from '../stores/redis/index.ts';
import type { Repositories } from '../stores/repositories.ts';
import {
  createSqlRepositories,
  type Database,
  type MigrationState,
  migrateUp,
  migrationStatus,
  openDatabase,
  pendingMigrations,
  wrapDatabase,
} from '../stores/sql/index.ts';
import { sqlDatabaseHandle } from '../stores/sql/kit.ts';
import { createEncryptedColumnsRepository } from '../stores/sql/repositories/encrypted-columns.ts';
import type { AuthApi } from './auth-api.ts';
import { type AuthConfig, type AuthConfigInput, joinBuiltInOptions } from './config.ts';
import { buildFeatures, checkRouteClashes, declareFeatures, splitFeatureConfig } from './feature-assembly.ts';
import { BUILT_IN_FEATURES } from './feature-list.ts';
import { prettyLogs, prettyStream, requestObserver } from './logging.ts';
import { createMaintenance, type Maintenance, schedulePruning } from './maintenance.ts';
import { instrumentMail, instrumentStores, registerCoreMetrics } from './metrics.ts';
import { describePosture, type Posture } from './posture.ts';
import { reportingUserWrites } from './user-writes.ts';

/** Credentials and secrets that must never reach a log line, wherever they appear. */
const REDACT_PATHS = [
  'password',
  '*.password',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
];

export interface Auth {
  /** The validated, frozen configuration: core's options and the built-in features'. */
  readonly config: AuthConfig;
  /** Handles a Web `Request`; mount it anywhere that speaks fetch, or wrap it with `gatehouse/node`. */
  readonly fetch: (request: Request, env?: unknown) => Promise<Response>;
  /** The Hono app, for mounting into a Hono app with `app.route('/', auth.app)`. */
  readonly app: Hono<HttpAppEnv>;
  /**
   * Every route the app serves (method, and path with `http.basePath` and `:param`s), so
   * framework adapters can tell Gatehouse's requests from the host application's.
   */
  readonly routes: readonly { readonly method: string; readonly path: string }[];
  /**
   * The hosted pages (sign-in, sign-up, the mail-link pages, the account page…), served by
   * `fetch` when `ui.enabled`; otherwise mount `auth.pages.fetch` (or some of its paths) yourself.
   */
  readonly pages: Pages;
  readonly keyring: Keyring;
  readonly stores: Stores;
  readonly database: Database;
  readonly mail: MailTransport;
  readonly logger: Logger;
  /** Every code a response can carry (see docs/ERRORS.md). */
  readonly errorCodes: ErrorCatalogue;
  readonly repositories: Repositories;
  /** Server-side API: users, and access-token checks for your own transports. */
  readonly api: AuthApi;
  /** Guards for your own Hono routes (`middleware`, `requireAuth`, `requireRoles`, `requireStepUp`); `check` for other frameworks. */
  readonly guards: Guards;
  /** Authenticates when a credential is present; puts `principal` (or `null`) on the Hono context. */
  middleware: Guards['middleware'];
  /** 401 unless the request carries a valid access token. */
  requireAuth: Guards['requireAuth'];
  /** 401 without a valid token, 403 unless the principal holds every role. */
  requireRoles: Guards['requireRoles'];
  /** 401 without a valid credential; 403 `STEP_UP_REQUIRED` for a 2FA user without a recent second factor. */
  requireStepUp: Guards['requireStepUp'];
  /** 401 without a valid credential; 403 `INSUFFICIENT_SCOPE` for an API key without every scope. */
  requireScopes: Guards['requireScopes'];
  /** What is running and every weakened setting, for logs and `gatehouse doctor`. */
  readonly posture: Posture;
  /**
   * Rotation of the keys that encrypt stored secrets (TOTP seeds): rows per key id, and
   * re-encryption of rows still under an older secret (`gatehouse keys status|reencrypt`).
   */
  readonly keys: KeyService;
  /**
   * This instance's metrics (prom-client registry; `render()` is the Prometheus text). Not a
   * route of the app: the standalone server serves it as `GET /metrics` when enabled.
   */
  readonly metrics: Metrics;
  /** The features' pruning tasks (`gatehouse prune`, the schedule; one process at a time). */
  readonly maintenance: Maintenance;
  /** Applies pending migrations. */
  migrate(): Promise<{ readonly applied: readonly string[] }>;
  migrationStatus(): Promise<readonly MigrationState[]>;
  /** Releases what Gatehouse opened (pools, clients, transports); app-owned objects stay open. */
  close(): Promise<void>;
}

/** Options of `createAuth` beyond the configuration. */
export interface CreateAuthOptions<
  F extends readonly AnyFeatureDefinition[] = readonly AnyFeatureDefinition[],
> {
  /**
   * The application's own features (see `defineFeature`), after Gatehouse's: their routes are
   * served and documented after the built-in ones, their error codes, rate-limit slots and
   * configuration options join the built-in ones, and a clash refuses to start.
   */
  readonly features?: F;
}

/**
 * Validates the built-in options and every feature's own option together: one `ConfigError`
 * lists every problem, and a key no feature claims is still refused as unknown.
 */
function resolveWithFeatureOptions(
  declarations: ReturnType<typeof declareFeatures>,
  input: AuthConfigInput,
): { config: ResolvedConfig; featureOptions: ReadonlyMap<string, unknown> } {
  const split = splitFeatureConfig(declarations, (input ?? {}) as Readonly<Record<string, unknown>>);
  let config: ResolvedConfig;
  try {
    config = resolveConfig(split.rest);
  } catch (error) {
    if (error instanceof ConfigError && split.problems.length > 0) {
      throw new ConfigError([...error.problems, ...split.problems]);
    }
    throw error;
  }
  if (split.problems.length > 0) throw new ConfigError(split.problems);
  return { config, featureOptions: split.options };
}

function buildLogger(config: ResolvedConfig): Logger {
  if (config.logger) return (config.logger as Logger).child({ lib: 'gatehouse' });
  const options = {
    name: 'gatehouse',
    level: config.logLevel,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
  };
  return prettyLogs(config) ? pino(options, prettyStream()) : pino(options);
}

type RedisStoresConfig = Extract<ResolvedConfig['stores'], { backend: 'redis' }>;

/** The one way to reach Redis the config names (resolveConfig checked there is exactly one). */
function redisConnection(stores: RedisStoresConfig): RedisStoresOptions {
  if (stores.url) return { url: stores.url };
  if (stores.cluster) return { cluster: stores.cluster };
  if (stores.sentinels) return { sentinels: stores.sentinels, ...(stores.name ? { name: stores.name } : {}) };
  return { client: stores.client as RedisClientLike };
}

function buildStores(config: ResolvedConfig): Stores {
  const stores = config.stores;
  switch (stores.backend) {
    case 'memory':
      return createMemoryStores({ maxEntries: stores.maxEntries });
    case 'redis':
      return createRedisStores({
        ...redisConnection(stores),
        keyPrefix: stores.keyPrefix,
        commandTimeoutMs: stores.commandTimeoutMs,
        durability: stores.durability,
      });
    case 'custom':
      return stores.bundle as Stores;
  }
}

/** Production without a configured transport: sending fails loudly instead of dropping mail. */
const unconfiguredMail: MailTransport = Object.freeze({
  kind: 'none',
  async send(): Promise<void> {
    throw new MailError('unknown', { reason: 'NOT_CONFIGURED' });
  },
});

function buildMail(config: ResolvedConfig, logger: Logger): MailTransport {
  const { mail } = config;
  if (typeof mail.transport === 'function') {
    const deliver = mail.transport as (message: MailMessage) => unknown;
    return { kind: 'function', send: async (message) => void (await deliver(message)) };
  }
  if (mail.transport) return mail.transport as MailTransport;
  const mailLogger = { warn: (message: string) => logger.warn(message) };
  if (mail.url) return createMailTransportFromUrl(mail.url, { from: mail.from, logger: mailLogger });
  if (config.mode === 'development') return createConsoleTransport({ from: mail.from });
  return unconfiguredMail;
}

async function buildDatabase(
  config: ResolvedConfig,
  logger: Logger,
  onQuery: (event: { readonly durationMs: number; readonly failed: boolean }) => void,
): Promise<Database> {
  const db = config.database;
  if (db.kind === 'kysely') {
    return wrapDatabase(db.kysely as Parameters<typeof wrapDatabase>[0], db.dialect);
  }
  return openDatabase({
    url: db.url,
    poolSize: db.poolSize,
    onQuery,
    // A PostgreSQL restart cuts pooled connections: worth a line, never the process. The code
    // only: driver messages may name hosts and users.
    onIdleConnectionError: (error) =>
      logger.warn(
        { code: (error as { code?: unknown }).code },
        'a PostgreSQL connection failed outside a query; the pool replaces it',
      ),
  });
}

/**
 * Builds a Gatehouse instance: validates the whole configuration (throwing one `ConfigError`
 * that lists every problem), opens the database and the stores, and assembles the HTTP app.
 *
 * Nothing is migrated here: call `auth.migrate()` (the standalone server does so on start in
 * development, and in production only when told).
 *
 * @example
 * const auth = await createAuth({ secrets: [{ id: '2026-11', secret: process.env.AUTH_SECRET! }] });
 * await auth.migrate();
 * serve({ fetch: auth.fetch, port: 3000 });
 */
export async function createAuth<const F extends readonly AnyFeatureDefinition[] = readonly []>(
  input: AuthConfigInput & FeatureOptionsInput<F> = {} as AuthConfigInput & FeatureOptionsInput<F>,
  options: CreateAuthOptions<F> = {},
): Promise<Auth> {
  // What every feature declares, merged; a clash (a slot, code, purpose or option declared
  // twice, a missing or cyclic requirement) refuses to start before anything is opened.
  const declarations = declareFeatures([...BUILT_IN_FEATURES, ...(options.features ?? [])], {
    errors: CORE_ERROR_CODES,
  });
  const { config, featureOptions } = resolveWithFeatureOptions(declarations, input);
  // Only what Gatehouse built is closed by it; a bundle or transport passed in is the app's.
  const ownsStores = config.stores.backend !== 'custom';
  const ownsMail = !config.mail.transport;
  const logger = buildLogger(config);
  // Built before anything is opened: a mail URL that cannot be used must not leak a pool or a
  // Redis client (which would keep the process alive after the error).
  // One registry per instance: two instances in one process (tests) never share counts.
  const metrics = createMetrics();
  const coreMetrics = registerCoreMetrics(metrics);
  const mail = instrumentMail(buildMail(config, logger), metrics);
  const stores = instrumentStores(buildStores(config), metrics);
  const closeStores = async (): Promise<void> => {
    if (ownsStores) await stores.close();
  };
  const capabilities = {
    keyValue: stores.keyValue.capabilities,
    once: stores.once.capabilities,
    counters: stores.counters.capabilities,
    denylist: stores.denylist.capabilities,
  };
  // Built-in backends were checked with the rest of the config; an app-supplied bundle can
  // only be judged now, by the capability flags it declares.
  const topology =
    config.stores.backend === 'custom'
      ? checkTopology({
          mode: config.mode,
          workers: config.workers,
          stores: capabilities,
          databaseDialect: databaseDialectOf(config.database),
        })
      : { problems: [], warnings: [] };
  if (topology.problems.length > 0) {
    await closeStores();
    throw new ConfigError(topology.problems, 'Gatehouse refuses to start');
  }
  const warnings: ConfigWarning[] = [...config.warnings, ...topology.warnings];
  // Asked while the database opens; it never rejects (an unreachable Redis is `unknown`).
  const persistence = stores.persistence?.();
  let keyring: Keyring;
  let database: Database;
  try {
    // Every purpose a feature declared is derived now, not on a first request.
    keyring = createKeyring(config.secrets, {
      eagerPurposes: [STORED_SECRETS_PURPOSE, PAGES_FORM_PURPOSE, ...declarations.keyPurposes],
    });
    database = await buildDatabase(config, logger, coreMetrics.observeQuery);
  } catch (error) {
    await closeStores();
    throw error;
  }
  const errorCodes = declarations.errors;
  const featureMigrations = declarations.migrations;

  // A write to a user is heard by every feature once the features exist (the repositories are
  // handed to them first): the sessions feature then gives the user a new version.
  let userWritten = async (_userId: string): Promise<void> => {};
  const repositories = reportingUserWrites(createSqlRepositories(database), (id) => userWritten(id));
  // Every feature reads the time from the configured clock (tests move it forward).
  const clock = config.clock;
  const now = clock ? () => clock.now() : Date.now;
  let features: Awaited<ReturnType<typeof buildFeatures>>;
  try {
    features = await buildFeatures(
      declarations,
      {
        config,
        keys: featureKeys(keyring),
        stores,
        repositories,
        database: sqlDatabaseHandle(database),
        mail,
        logger,
        now,
        metrics,
        readiness: [
          { name: 'database', check: () => database.ping() },
          { name: 'stores', check: () => stores.ping() },
          {
            name: 'schema',
            check: async () => {
              if ((await pendingMigrations(database, featureMigrations)).length > 0)
                throw new Error('migrations pending');
            },
          },
        ],
      },
      featureOptions,
    );
    checkRouteClashes(features.routes);
    const built = features;
    userWritten = (id) =>
      built.userChanged(id, { kind: 'updated', rolesChanged: false, isActive: undefined });
    for (const route of features.routes) {
      // A slot missing from the table would silently leave the route unlimited.
      if (route.rateLimit && !Object.hasOwn(declarations.rateLimitSlots, route.rateLimit.slot)) {
        throw new TypeError(`route ${route.operationId} names an unknown rate-limit slot`);
      }
    }
  } catch (error) {
    // Nothing opened may outlive a refused start (a pool or a Redis client keeps the process up).
    await Promise.allSettled([database.close(), closeStores()]);
    throw error;
  }
  const routes = features.routes;

  // One access pipeline, built once: Gatehouse's routes and the application's guards run it.
  const access = createAccessPipeline({
    authenticators: features.authenticators,
    ...(features.stepUp ? { stepUp: features.stepUp } : {}),
    ...(features.checkScopes ? { checkScopes: features.checkScopes } : {}),
    ...(features.onAccessDenied ? { onAccessDenied: features.onAccessDenied } : {}),
  });
  const invalidTokenCodes = [...DEFAULT_INVALID_TOKEN_CODES, ...declarations.invalidTokenCodes];
  const app = createHttpApp({
    routes,
    catalogue: errorCodes,
    logger,
    bodyLimitBytes: config.http.bodyLimitBytes,
    trustedProxyHops: config.http.trustedProxyHops,
    basePath: config.http.basePath,
    openapi: { title: `${config.appName} API`, version: '0.1.0' },
    access,
    invalidTokenCodes,
    cors: config.cors,
    sessionCookieName: sessionCookieName(config.cookies.name, { secure: config.cookies.secure }),
    // For the OpenAPI document: every credential the authenticator accepts, and what step-up answers.
    credentials: [
      ...defaultCredentialSchemes(sessionCookieName(config.cookies.name, { secure: config.cookies.secure })),
      ...declarations.credentialSchemes,
    ],
    ...(declarations.stepUp
      ? { stepUpErrorCodes: declarations.stepUp.errorCodes, stepUpCodeHeader: declarations.stepUp.codeHeader }
      : {}),
    ...(features.rateLimit ? { rateLimit: features.rateLimit } : {}),
    onRequestDone: requestObserver(
      coreMetrics,
      config.http.accessLog ? logger.child({ access: true }) : null,
    ),
  });
  const guards = createGuards({
    access,
    trustedProxyHops: config.http.trustedProxyHops,
    catalogue: errorCodes,
    invalidTokenCodes,
    logger,
  });
  // Stored secrets are encrypted with the `secret-encryption` purpose key of each master secret.
  const keys = createKeyService({
    aead: featureKeys(keyring).storedSecrets,
    columns: createEncryptedColumnsRepository(database.db),
    activeKeyId: keyring.activeId,
    ringKeyIds: keyring.ids,
  });
  warnings.push(...persistenceWarnings(await persistence));
  const posture = describePosture({ config, database, stores: capabilities, mail, warnings });
  // Secure by default, loud when weakened: every weakened setting is logged on every start.
  for (const warning of warnings) logger.warn({ code: warning.code }, warning.message);

  // The pages call the JSON app in-process: every rule of the API applies to them as is.
  const pages = createPages({
    config,
    api: async (request, env) => app.fetch(request, env),
    formDigests: featureKeys(keyring).digester(PAGES_FORM_PURPOSE),
    logger,
    // The API-key page offers the scopes and lifetimes the apikeys feature accepts.
    apiKeys: joinBuiltInOptions(config, featureOptions).apiKeys,
    // The email-code pages exist only when the feature is on, and the mailed link opens one.
    emailCode: joinBuiltInOptions(config, featureOptions).emailCode,
    // The sign-in page offers passkeys when the feature is on.
    passkeys: joinBuiltInOptions(config, featureOptions).passkeys,
  });
  const fetch = config.ui.enabled
    ? pagesBeside(
        app,
        pages,
        routes.map((route) => joinPaths(config.http.basePath, route.path)),
      )
    : async (request: Request, env?: unknown) => app.fetch(request, env);

  const maintenance = createMaintenance({
    tasks: features.maintenance,
    stores,
    now,
    logger,
    observe: coreMetrics.observePrune,
  });
  // One process of those sharing the stores prunes at a time (the lock in the shared store).
  const schedule =
    config.maintenance.pruneIntervalSeconds > 0
      ? schedulePruning(maintenance, {
          intervalMs: config.maintenance.pruneIntervalSeconds * 1000,
          batchSize: config.maintenance.batchSize,
          logger,
        })
      : undefined;

  let closing: Promise<void> | undefined;
  const auth: Auth = Object.freeze({
    config: joinBuiltInOptions(config, featureOptions),
    fetch,
    app,
    pages,
    routes: Object.freeze(
      [...routes, { method: 'GET', path: OPENAPI_PATH }].map((route) =>
        Object.freeze({ method: route.method, path: joinPaths(config.http.basePath, route.path) }),
      ),
    ),
    keyring,
    stores,
    database,
    mail,
    logger,
    errorCodes,
    repositories,
    api: features.api as unknown as AuthApi,
    guards,
    middleware: guards.middleware,
    requireAuth: guards.requireAuth,
    requireRoles: guards.requireRoles,
    requireStepUp: guards.requireStepUp,
    requireScopes: guards.requireScopes,
    posture,
    keys,
    metrics,
    maintenance,
    migrate: () => migrateUp(database, featureMigrations),
    migrationStatus: () => migrationStatus(database, featureMigrations),
    close: () => {
      closing ??= (schedule?.stop() ?? Promise.resolve())
        // Background work (the webhook worker) ends before what it uses closes.
        .then(() => features.close())
        .then(() =>
          Promise.allSettled([database.close(), closeStores(), ownsMail ? mail.close?.() : undefined]),
        )
        .then(() => undefined);
      return closing;
    },
  });
  return auth;
}

/** Key purpose of the hosted pages' form tokens (their own key, like every other use). */
const PAGES_FORM_PURPOSE = 'pages-form-csrf';

/**
 * One fetch handler for the JSON API and the pages: a page path goes to the pages, anything
 * else to the API. A page path that is also an API route refuses to start.
 */
function pagesBeside(
  app: Hono<HttpAppEnv>,
  pages: Pages,
  apiPaths: readonly string[],
): (request: Request, env?: unknown) => Promise<Response> {
  const clash = apiPaths.find((path) => pages.handles(path));
  if (clash !== undefined) throw new TypeError(`ui.basePath puts a page on the API route ${clash}`);
  return async (request, env) => {
    const start = request.url.indexOf('/', request.url.indexOf('//') + 2);
    const end = request.url.search(/[?#]/);
    const pathname = start === -1 ? '/' : request.url.slice(start, end === -1 ? undefined : end);
    return pages.handles(pathname) ? pages.fetch(request, env) : app.fetch(request, env);
  };
}
