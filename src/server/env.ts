import { type AuthConfigInput, ConfigError, type ConfigProblem } from '../index.ts';
import { listeningBaseUrl } from './base-url-env.ts';
import { emailCodeFromEnv } from './email-code-env.ts';
import { oauthProvidersFromEnv } from './oauth-env.ts';
import { type MetricsSettings, operationsFromEnv } from './operations-env.ts';
import { rateLimitsFromEnv } from './rate-limits-env.ts';
import { signingKeysFromEnv } from './signing-keys-env.ts';
import { uiFromEnv } from './ui-env.ts';
import { webhooksFromEnv } from './webhooks-env.ts';

/** Where the standalone server listens. */
export interface ListenOptions {
  readonly port: number;
  readonly host: string;
}

export interface ServerSettings {
  readonly config: AuthConfigInput;
  readonly listen: ListenOptions;
  /** Longest wait for in-flight requests on shutdown; unset: `startServer`'s default. */
  readonly shutdownGraceMs?: number;
  /** `GET /metrics` (GATEHOUSE_METRICS=true); unset: not served. */
  readonly metrics?: MetricsSettings;
}

/**
 * The environment variables the standalone server reads. All are optional in development;
 * production needs at least GATEHOUSE_SECRETS and GATEHOUSE_BASE_URL.
 */
export const SERVER_ENV = Object.freeze({
  PORT: 'port to listen on (default 3000)',
  HOST: 'address to bind (default 127.0.0.1)',
  GATEHOUSE_MODE: '`development` or `production` (default: production when NODE_ENV=production)',
  GATEHOUSE_DATA_DIR: 'directory for the SQLite file and the development secret (default ./data)',
  GATEHOUSE_DATABASE_URL: '`postgres://…` switches to PostgreSQL; `sqlite:<path>` picks another SQLite file',
  GATEHOUSE_REDIS_URL: '`redis://…` or `rediss://…` switches every shared store to Redis',
  GATEHOUSE_REDIS_CLUSTER: '`host:port,host:port,…`: Redis Cluster seed nodes for every shared store',
  GATEHOUSE_REDIS_SENTINELS:
    '`host:port,…`: Redis Sentinels naming the primary (with GATEHOUSE_REDIS_SENTINEL_NAME)',
  GATEHOUSE_REDIS_SENTINEL_NAME: "the primary's name as the sentinels know it",
  GATEHOUSE_REDIS_WAIT_REPLICAS:
    'replicas that must acknowledge each revocation and single-use consumption (WAIT; default 0: off)',
  GATEHOUSE_SECRETS: '`id:secret,id:secret`, first active (generate with `gatehouse generate-secret`)',
  GATEHOUSE_BASE_URL:
    'public origin, https in production (links in mail, token issuer); development default `http://localhost:PORT`',
  GATEHOUSE_MAIL_URL:
    '`console`, `file:///absolute/dir` (one .eml per message), `smtp://host:port` or `smtps://host:port`',
  GATEHOUSE_MAIL_FROM: 'sender of every mail, e.g. `Example <no-reply@example.com>`',
  GATEHOUSE_UI: '`false` turns the hosted pages (sign-in, sign-up, mail links, account) off (default true)',
  GATEHOUSE_APP_NAME: 'the name the pages, mail and authenticator apps show (default Gatehouse)',
  GATEHOUSE_PUBLIC_URL:
    'public URL of the pages when not GATEHOUSE_BASE_URL: mail links point there and its origin may post forms',
  GATEHOUSE_MAIL_LINK_BASE:
    'where links in mail point (default GATEHOUSE_PUBLIC_URL, else GATEHOUSE_BASE_URL)',
  GATEHOUSE_MAIL_LINKS:
    'JSON of the mail-link paths, e.g. `{"verifyEmail":"/verify-email","resetPassword":"/reset-password","confirmEmail":"/confirm-email"}`',
  GATEHOUSE_CORS_ORIGINS:
    'comma-separated origins allowed to call with credentials from a browser (CORS; also trusted for CSRF)',
  GATEHOUSE_ACCESS_TOKENS: '`jwt` (default) or `opaque` (stored as keyed digests, revocable at once)',
  GATEHOUSE_TOKEN_ALGORITHM:
    '`HS256` (default, only this server verifies), `EdDSA` or `ES256` (public keys at /.well-known/jwks.json)',
  GATEHOUSE_SIGNING_KEYS:
    'EdDSA/ES256 keys instead of derived ones, first signs: JSON `[{"kid":"…","pem":"-----BEGIN PRIVATE KEY-----\\n…"}]`, JWKs or a JWK Set, or PEM blocks',
  GATEHOUSE_SIGNING_KEYS_FILE: 'a file holding what GATEHOUSE_SIGNING_KEYS would hold',
  GATEHOUSE_RATE_LIMITS:
    'JSON of the `rateLimits` option plus a `lockout` member, e.g. `{"slots":{"login":{"limit":5,"windowSeconds":60,"scope":"ipIdentifier"}},"lockout":{"maxFailures":3}}`',
  GATEHOUSE_OAUTH_PROVIDERS:
    'JSON object of sign-in providers, e.g. `{"google":{"preset":"google","clientId":"…","clientSecret":"…"}}`',
  GATEHOUSE_OAUTH_REDIRECT_ORIGINS:
    'comma-separated origins an OAuth `redirectTo` may point to besides the base URL',
  GATEHOUSE_BREACHED_PASSWORDS_URL:
    'base URL of a k-anonymity range API (`https://api.pwnedpasswords.com`) that turns the breached-password check on',
  GATEHOUSE_BREACHED_PASSWORDS_ON_ERROR:
    '`allow` (default: accept and warn) or `refuse` (503) when the range API cannot answer',
  GATEHOUSE_BREACHED_PASSWORDS_TIMEOUT_MS: 'milliseconds a range API call may take (default 2000)',
  GATEHOUSE_TRUSTED_PROXY_HOPS: 'number of reverse proxies whose X-Forwarded-For is trusted (default 0)',
  GATEHOUSE_WORKERS: 'number of processes serving this app (more than one needs Redis; default 1)',
  GATEHOUSE_MIGRATE_ON_START: '`true` to migrate on start in production (development always does)',
  GATEHOUSE_LOG_LEVEL: 'fatal, error, warn, info (default), debug, trace or silent',
  GATEHOUSE_LOG_FORMAT:
    '`auto` (default: readable in development at a terminal, else JSON), `json` or `pretty`',
  GATEHOUSE_ACCESS_LOG:
    '`true` logs one line per request (method, route template, status, duration, request id)',
  GATEHOUSE_PRUNE_INTERVAL_SECONDS:
    'seconds between prune runs of expired rows, one process at a time (default 3600; 0 turns the schedule off)',
  GATEHOUSE_METRICS: '`true` serves `GET /metrics` (Prometheus text, aggregated across workers)',
  GATEHOUSE_METRICS_PORT: 'a port of its own for `/metrics` (default: the main port)',
  GATEHOUSE_METRICS_HOST: 'bind address of the metrics port (default 127.0.0.1)',
  GATEHOUSE_METRICS_TOKEN:
    'bearer secret a scrape must send (32+ characters); required in production unless the metrics port is bound to loopback',
  GATEHOUSE_WEBHOOKS:
    'JSON of the `webhooks` option, or of its endpoints as an array: `[{"url":"https://…","secret":"whsec_…","events":["user.registered"]}]`',
  GATEHOUSE_EMAIL_CODE:
    '`true` to offer sign-in by a mailed code and link (off by default), or JSON of the `emailCode` option',
  GATEHOUSE_PASSWORD_HASHING:
    'JSON of the `passwords.hashing` option, e.g. `{"threads":2,"maxQueued":64,"niceIncrement":0}` (default: one thread per CPU, 32 queued per thread, nice +10)',
  GATEHOUSE_SHUTDOWN_GRACE_MS:
    'milliseconds in-flight requests get to finish after SIGTERM/SIGINT before connections are cut (default 10000)',
});

type Env = Readonly<Record<string, string | undefined>>;

const TOKEN_ALGORITHMS = ['HS256', 'EdDSA', 'ES256'] as const;

function parseInteger(
  env: Env,
  name: string,
  problems: ConfigProblem[],
  bounds: [number, number],
): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < bounds[0] || value > bounds[1]) {
    problems.push({ path: name, message: `must be an integer from ${bounds[0]} to ${bounds[1]}` });
    return undefined;
  }
  return value;
}

const listOf = (raw: string): string[] =>
  raw
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);

/** One of GATEHOUSE_REDIS_URL, _CLUSTER or _SENTINELS (+ _SENTINEL_NAME), and the WAIT policy. */
function redisFromEnv(env: Env, problems: ConfigProblem[]): Record<string, unknown> | undefined {
  const {
    GATEHOUSE_REDIS_URL: url,
    GATEHOUSE_REDIS_CLUSTER: cluster,
    GATEHOUSE_REDIS_SENTINELS: sentinels,
  } = env;
  const name = env.GATEHOUSE_REDIS_SENTINEL_NAME;
  const replicas = env.GATEHOUSE_REDIS_WAIT_REPLICAS;
  const given = [url, cluster, sentinels].filter(Boolean).length;
  if (given > 1) {
    problems.push({
      path: 'GATEHOUSE_REDIS_URL',
      message: 'set only one of GATEHOUSE_REDIS_URL, GATEHOUSE_REDIS_CLUSTER and GATEHOUSE_REDIS_SENTINELS',
    });
    return undefined;
  }
  if (Boolean(sentinels) !== Boolean(name)) {
    problems.push({
      path: 'GATEHOUSE_REDIS_SENTINEL_NAME',
      message: 'GATEHOUSE_REDIS_SENTINELS and GATEHOUSE_REDIS_SENTINEL_NAME go together',
    });
    return undefined;
  }
  if (given === 0) return undefined;
  const stores: Record<string, unknown> = { backend: 'redis' };
  if (url) stores.url = url;
  if (cluster) stores.cluster = listOf(cluster);
  if (sentinels) Object.assign(stores, { sentinels: listOf(sentinels), name });
  if (replicas) {
    if (/^\d{1,2}$/.test(replicas)) stores.durability = { replicas: Number(replicas) };
    else problems.push({ path: 'GATEHOUSE_REDIS_WAIT_REPLICAS', message: 'must be an integer from 0 to 16' });
  }
  return stores;
}

function parseSecrets(raw: string, problems: ConfigProblem[]): { id: string; secret: string }[] {
  return raw
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .flatMap((part, index) => {
      const colon = part.indexOf(':');
      if (colon < 1) {
        // Never echo the value: it is a secret, possibly mistyped.
        problems.push({ path: `GATEHOUSE_SECRETS[${index}]`, message: 'must be id:secret' });
        return [];
      }
      return [{ id: part.slice(0, colon), secret: part.slice(colon + 1) }];
    });
}

/** `passwords.breachCheck` from the GATEHOUSE_BREACHED_PASSWORDS_* variables; the URL turns it on. */
function breachCheckFromEnv(env: Env, problems: ConfigProblem[]): Record<string, unknown> | undefined {
  const url = env.GATEHOUSE_BREACHED_PASSWORDS_URL;
  const onError = env.GATEHOUSE_BREACHED_PASSWORDS_ON_ERROR;
  const timeoutMs = parseInteger(env, 'GATEHOUSE_BREACHED_PASSWORDS_TIMEOUT_MS', problems, [100, 30_000]);
  if (onError !== undefined && onError !== '' && onError !== 'allow' && onError !== 'refuse') {
    problems.push({ path: 'GATEHOUSE_BREACHED_PASSWORDS_ON_ERROR', message: 'must be allow or refuse' });
  }
  if (!url) {
    if (onError || timeoutMs !== undefined) {
      problems.push({
        path: 'GATEHOUSE_BREACHED_PASSWORDS_URL',
        message: 'required with the other GATEHOUSE_BREACHED_PASSWORDS_* variables',
      });
    }
    return undefined;
  }
  return {
    url,
    ...(onError === 'allow' || onError === 'refuse' ? { onError } : {}),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

/**
 * Reads the server's settings from environment variables. Every malformed variable is reported
 * in one `ConfigError`; the config itself is validated later by `createAuth`.
 */
export function settingsFromEnv(env: Env = process.env): ServerSettings {
  const problems: ConfigProblem[] = [];
  const config: Record<string, unknown> = {};
  const mode = env.GATEHOUSE_MODE;
  if (mode !== undefined && mode !== '') {
    if (mode === 'development' || mode === 'production') config.mode = mode;
    else problems.push({ path: 'GATEHOUSE_MODE', message: 'must be development or production' });
  }
  if (env.GATEHOUSE_DATA_DIR) config.dataDir = env.GATEHOUSE_DATA_DIR;
  if (env.GATEHOUSE_DATABASE_URL) config.database = { url: env.GATEHOUSE_DATABASE_URL };
  const redis = redisFromEnv(env, problems);
  if (redis) config.stores = redis;
  if (env.GATEHOUSE_SECRETS) config.secrets = parseSecrets(env.GATEHOUSE_SECRETS, problems);
  if (env.GATEHOUSE_BASE_URL) config.baseUrl = env.GATEHOUSE_BASE_URL;
  if (env.GATEHOUSE_MAIL_URL || env.GATEHOUSE_MAIL_FROM) {
    config.mail = {
      ...(env.GATEHOUSE_MAIL_URL ? { url: env.GATEHOUSE_MAIL_URL } : {}),
      ...(env.GATEHOUSE_MAIL_FROM ? { from: env.GATEHOUSE_MAIL_FROM } : {}),
    };
  }
  const ui = uiFromEnv(env, problems);
  if (ui.ui) config.ui = ui.ui;
  if (ui.appName) config.appName = ui.appName;
  if (ui.mail) config.mail = { ...(config.mail as object), ...ui.mail };
  if (ui.trustedOrigin) config.csrf = { trustedOrigins: [ui.trustedOrigin] };
  if (env.GATEHOUSE_LOG_LEVEL) config.logLevel = env.GATEHOUSE_LOG_LEVEL;
  if (env.GATEHOUSE_CORS_ORIGINS) {
    // Each entry is validated by the config (exact origins, no wildcards).
    config.cors = { origins: env.GATEHOUSE_CORS_ORIGINS.split(',').map((origin) => origin.trim()) };
  }
  if (env.GATEHOUSE_OAUTH_PROVIDERS || env.GATEHOUSE_OAUTH_REDIRECT_ORIGINS) {
    const providers = env.GATEHOUSE_OAUTH_PROVIDERS
      ? oauthProvidersFromEnv(env.GATEHOUSE_OAUTH_PROVIDERS, problems)
      : undefined;
    config.oauth = {
      ...(providers ? { providers } : {}),
      ...(env.GATEHOUSE_OAUTH_REDIRECT_ORIGINS
        ? { redirectOrigins: env.GATEHOUSE_OAUTH_REDIRECT_ORIGINS.split(',').map((origin) => origin.trim()) }
        : {}),
    };
  }
  const access = env.GATEHOUSE_ACCESS_TOKENS;
  if (access !== undefined && access !== '') {
    if (access === 'jwt' || access === 'opaque') config.tokens = { access };
    else problems.push({ path: 'GATEHOUSE_ACCESS_TOKENS', message: 'must be jwt or opaque' });
  }
  const algorithm = env.GATEHOUSE_TOKEN_ALGORITHM;
  if (algorithm !== undefined && algorithm !== '') {
    const known = TOKEN_ALGORITHMS.find((name) => name.toLowerCase() === algorithm.trim().toLowerCase());
    if (known) config.tokens = { ...(config.tokens as object), algorithm: known };
    else problems.push({ path: 'GATEHOUSE_TOKEN_ALGORITHM', message: 'must be HS256, EdDSA or ES256' });
  }
  const signingKeys = signingKeysFromEnv(env, problems);
  if (signingKeys) config.tokens = { ...(config.tokens as object), signingKeys };
  if (env.GATEHOUSE_RATE_LIMITS)
    Object.assign(config, rateLimitsFromEnv(env.GATEHOUSE_RATE_LIMITS, problems));
  if (env.GATEHOUSE_WEBHOOKS) Object.assign(config, webhooksFromEnv(env.GATEHOUSE_WEBHOOKS, problems));
  if (env.GATEHOUSE_EMAIL_CODE) Object.assign(config, emailCodeFromEnv(env.GATEHOUSE_EMAIL_CODE, problems));
  const breachCheck = breachCheckFromEnv(env, problems);
  if (breachCheck) config.passwords = { breachCheck };
  const hashing = jsonObjectFromEnv(env, 'GATEHOUSE_PASSWORD_HASHING', problems);
  if (hashing) config.passwords = { ...(config.passwords as object), hashing };
  const hops = parseInteger(env, 'GATEHOUSE_TRUSTED_PROXY_HOPS', problems, [0, 10]);
  if (hops !== undefined) config.http = { trustedProxyHops: hops };
  const operations = operationsFromEnv(env, problems);
  Object.assign(config, operations.config);
  if (operations.accessLog !== undefined)
    config.http = { ...(config.http as object), accessLog: operations.accessLog };
  const workers = parseInteger(env, 'GATEHOUSE_WORKERS', problems, [1, 1024]);
  if (workers !== undefined) config.workers = workers;
  const migrate = env.GATEHOUSE_MIGRATE_ON_START;
  if (migrate !== undefined && migrate !== '') {
    if (migrate === 'true' || migrate === 'false') config.migrations = { runOnStart: migrate === 'true' };
    else problems.push({ path: 'GATEHOUSE_MIGRATE_ON_START', message: 'must be true or false' });
  }
  const port = parseInteger(env, 'PORT', problems, [0, 65535]) ?? 3000;
  const host = env.HOST || '127.0.0.1';
  const listeningBase = listeningBaseUrl(env, { port, host });
  if (listeningBase) config.baseUrl = listeningBase;
  const shutdownGraceMs = parseInteger(env, 'GATEHOUSE_SHUTDOWN_GRACE_MS', problems, [0, 600_000]);
  if (problems.length > 0) throw new ConfigError(problems, 'Invalid environment');
  return {
    config: config as AuthConfigInput,
    listen: { port, host },
    ...(shutdownGraceMs === undefined ? {} : { shutdownGraceMs }),
    ...(operations.metrics === undefined ? {} : { metrics: operations.metrics }),
  };
}

/** A JSON object from `name` (only its shape is checked here; `createAuth` validates the option). */
function jsonObjectFromEnv(
  env: Env,
  name: string,
  problems: ConfigProblem[],
): Record<string, unknown> | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push({ path: name, message: 'must be a JSON object' });
    return undefined;
  }
  return parsed as Record<string, unknown>;
}
