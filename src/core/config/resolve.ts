import { resolve as resolvePath } from 'node:path';
import type { z } from 'zod';
import { ConfigError, type ConfigProblem } from '../errors/index.ts';
import { parseOrigin } from '../origin.ts';
import { checkTopology } from '../posture/topology.ts';
import {
  HOW_TO_GENERATE,
  loadOrCreateDevSecret,
  type SecretEntry,
  secretWeakness,
} from '../secrets/index.ts';
import { DEFAULTS } from './defaults.ts';
import type { Mode } from './mode.ts';
import { type AuthConfigInput, configSchema, type ParsedConfig } from './schema.ts';
import { signingKeyProblems } from './signing-keys.ts';
import type { ConfigWarning } from './warning.ts';

export type ResolvedDatabase =
  | { readonly kind: 'url'; readonly url: string; readonly poolSize: number }
  | { readonly kind: 'kysely'; readonly kysely: unknown; readonly dialect: 'sqlite' | 'postgres' };

/** The configuration after validation and mode-specific defaults; deeply frozen. */
export interface ResolvedConfig
  extends Omit<ParsedConfig, 'mode' | 'secrets' | 'database' | 'baseUrl' | 'migrations'> {
  readonly mode: Mode;
  readonly baseUrl: string;
  readonly secrets: readonly SecretEntry[];
  /** Where the secrets came from: the config, or the generated development file. */
  readonly secretSource: 'config' | 'development-file';
  readonly database: ResolvedDatabase;
  readonly migrations: { readonly runOnStart: boolean };
  readonly warnings: readonly ConfigWarning[];
}

export interface ResolveOptions {
  /** Environment used to pick the mode; defaults to `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

function zodProblems(issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
  return issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    if (issue.code === 'unrecognized_keys') {
      return { path, message: `unknown option(s): ${issue.keys.join(', ')}` };
    }
    return { path, message: issue.message };
  });
}

/** Weak secrets among whatever entries look like `{ secret: string }` (input may be malformed). */
function secretProblems(secrets: unknown): ConfigProblem[] {
  if (!Array.isArray(secrets)) return [];
  return secrets.flatMap((entry: unknown, index) => {
    const secret = (entry as { secret?: unknown } | null)?.secret;
    const weakness = typeof secret === 'string' ? secretWeakness(secret) : null;
    return weakness ? [{ path: `secrets.${index}.secret`, message: weakness }] : [];
  });
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Every spelling the SQL layer reads as an in-memory SQLite database. */
const IN_MEMORY_DATABASE = /^\s*(sqlite:(\/\/)?)?:memory:\s*$/i;
/** Every spelling the mail layer reads as the console transport. */
const CONSOLE_MAIL = /^\s*console:?\s*$/i;

/**
 * Validates the whole configuration once: every problem is collected into one `ConfigError`
 * (unknown keys, bad values, weak secrets, and in production every unsafe setting), defaults
 * come from `DEFAULTS`, and the result is frozen.
 *
 * In development without secrets it creates (or reuses) `<dataDir>/secret` and warns; this
 * side effect happens only once the rest of the configuration is valid.
 */
export function resolveConfig(input: AuthConfigInput, options: ResolveOptions = {}): ResolvedConfig {
  const env = options.env ?? process.env;
  const parsed = configSchema.safeParse(input ?? {});
  // Weak secrets are reported even when the shape is wrong, so one run lists both.
  if (!parsed.success)
    throw new ConfigError([...zodProblems(parsed.error.issues), ...secretProblems(input?.secrets)]);
  const config = parsed.data;
  const mode: Mode = config.mode ?? (env.NODE_ENV === 'production' ? 'production' : 'development');
  const production = mode === 'production';
  const problems: ConfigProblem[] = secretProblems(config.secrets);
  const warnings: ConfigWarning[] = [];

  if (config.secrets && new Set(config.secrets.map((s) => s.id)).size !== config.secrets.length) {
    problems.push({ path: 'secrets', message: 'secret ids must be unique' });
  }

  let baseUrl = config.baseUrl?.replace(/\/+$/, '');
  if (production) {
    if (!config.secrets) {
      problems.push({ path: 'secrets', message: `required in production; ${HOW_TO_GENERATE}` });
    }
    if (!baseUrl) {
      problems.push({ path: 'baseUrl', message: 'required in production (the public https origin)' });
    } else if (!baseUrl.startsWith('https://')) {
      problems.push({ path: 'baseUrl', message: 'must use https in production' });
    }
    if (!config.cookies.secure) {
      problems.push({ path: 'cookies.secure', message: 'cannot be turned off in production' });
    }
    // Over plain http the hash prefixes travel in clear, and anyone on the path decides which
    // passwords count as breached.
    if (config.passwords.breachCheck && !config.passwords.breachCheck.url.startsWith('https://')) {
      problems.push({ path: 'passwords.breachCheck.url', message: 'must use https in production' });
    }
    if (config.oauth.allowInsecureLoopback) {
      problems.push({
        path: 'oauth.allowInsecureLoopback',
        message: 'is for tests and local development only',
      });
    }
    if (config.database && 'url' in config.database && IN_MEMORY_DATABASE.test(config.database.url)) {
      problems.push({
        path: 'database.url',
        message: 'an in-memory database loses every account on restart',
      });
    }
    if (config.mail.url !== undefined && CONSOLE_MAIL.test(config.mail.url)) {
      problems.push({ path: 'mail.url', message: 'the console transport would write tokens into logs' });
    }
    if (!config.mail.url && !config.mail.transport) {
      warnings.push({
        code: 'MAIL_NOT_CONFIGURED',
        message: 'no mail transport: verification and reset mail cannot be delivered',
      });
    }
  } else {
    baseUrl ??= 'http://localhost:3000';
    if (!config.cookies.secure) {
      warnings.push({ code: 'INSECURE_COOKIES', message: 'cookies.secure is off (development only)' });
    }
  }
  if (config.cookies.sameSite === 'none' && !config.cookies.secure) {
    problems.push({ path: 'cookies.sameSite', message: 'SameSite=None requires secure cookies' });
  }
  if (
    baseUrl &&
    !production &&
    baseUrl.startsWith('http://') &&
    !LOOPBACK_HOSTS.has(new URL(baseUrl).host.replace(/:\d+$/, ''))
  ) {
    warnings.push({ code: 'BASE_URL_NOT_HTTPS', message: 'baseUrl is plain http on a non-loopback host' });
  }
  if (config.cookies.rememberMeTimeoutSeconds < config.cookies.absoluteTimeoutSeconds) {
    problems.push({
      path: 'cookies.rememberMeTimeoutSeconds',
      message: 'must not be shorter than cookies.absoluteTimeoutSeconds',
    });
  }
  for (const [path, list] of [
    ['cors.origins', config.cors.origins],
    ['csrf.trustedOrigins', config.csrf.trustedOrigins],
    ['oauth.redirectOrigins', config.oauth.redirectOrigins],
  ] as const) {
    list.forEach((value, index) => {
      const origin = parseOrigin(value);
      if (origin === null) {
        problems.push({
          path: `${path}[${index}]`,
          message: value.includes('*')
            ? 'wildcards are refused: credentials are allowed, so name each origin'
            : 'must be an origin like https://app.example.com (scheme, host, optional port; no path)',
        });
      } else {
        if (production && origin.startsWith('http://') && !LOOPBACK_HOSTS.has(new URL(origin).hostname)) {
          problems.push({ path: `${path}[${index}]`, message: 'must use https in production' });
        }
      }
    });
  }
  if (config.stores.backend === 'redis') {
    const { url, client, cluster, sentinels, name, keyPrefix, durability, commandTimeoutMs } = config.stores;
    if ([url, client, cluster, sentinels].filter(Boolean).length !== 1) {
      problems.push({
        path: 'stores',
        message: 'redis stores need exactly one of url, client, cluster or sentinels',
      });
    }
    if (Boolean(sentinels) !== Boolean(name)) {
      problems.push({
        path: 'stores.name',
        message: 'goes with stores.sentinels (the primary name), and only with it',
      });
    }
    if (cluster && /[{}]/.test(keyPrefix)) {
      problems.push({ path: 'stores.keyPrefix', message: 'must not contain { or } on Redis Cluster' });
    }
    if (durability.replicas > 0 && durability.timeoutMs >= commandTimeoutMs) {
      problems.push({
        path: 'stores.durability.timeoutMs',
        message: 'must be below stores.commandTimeoutMs',
      });
    }
  }
  if (config.registration.mode === 'enumeration-safe' && config.registration.requireVerifiedEmail === false) {
    problems.push({
      path: 'registration.requireVerifiedEmail',
      message:
        'enumeration-safe registration always requires a verified email (use mode "open" to turn it off)',
    });
  }
  for (const [slot, rule] of Object.entries(config.rateLimits.slots)) {
    if (rule && 'group' in rule && !config.rateLimits.groups[rule.group]) {
      problems.push({
        path: `rateLimits.slots.${slot}.group`,
        message: 'names no group of rateLimits.groups',
      });
    }
    if (rule === false) {
      warnings.push({ code: 'RATE_LIMIT_SLOT_OFF', message: `the ${slot} rate limit is turned off` });
    }
  }
  if (!config.lockout.enabled) {
    warnings.push({ code: 'LOCKOUT_OFF', message: 'failed-login lockout is turned off' });
  }
  if (config.lockout.baseLockSeconds > config.lockout.maxLockSeconds) {
    problems.push({ path: 'lockout.baseLockSeconds', message: 'must not exceed lockout.maxLockSeconds' });
  }
  if (!config.rateLimits.enabled) {
    warnings.push({ code: 'RATE_LIMITS_OFF', message: 'rate limiting is turned off for every route' });
  }
  if (config.passwords.minLength > config.passwords.maxLength) {
    problems.push({ path: 'passwords.minLength', message: 'must not exceed passwords.maxLength' });
  }
  problems.push(...signingKeyProblems(config.tokens));
  if (config.tokens.refreshIdleTtlSeconds > config.tokens.refreshAbsoluteTtlSeconds) {
    problems.push({
      path: 'tokens.refreshIdleTtlSeconds',
      message: 'must not exceed refreshAbsoluteTtlSeconds',
    });
  }
  if (config.mail.url && config.mail.transport) {
    problems.push({ path: 'mail', message: 'give either url or transport, not both' });
  }
  // Built-in backends are known now, so a topology problem is reported with all the others;
  // an app-supplied bundle is checked by createAuth once its capability flags can be read.
  if (config.stores.backend !== 'custom') {
    const shared = config.stores.backend === 'redis';
    const facts = { backend: config.stores.backend, shared };
    const topology = checkTopology({
      mode,
      workers: config.workers,
      stores: { keyValue: facts, once: facts, counters: facts, denylist: facts },
      databaseDialect: databaseDialectOf(config.database),
    });
    problems.push(...topology.problems);
    warnings.push(...topology.warnings);
  }
  if (problems.length > 0) {
    throw new ConfigError(problems, production ? 'Gatehouse refuses to start in production' : undefined);
  }

  let secrets: readonly SecretEntry[];
  let secretSource: ResolvedConfig['secretSource'] = 'config';
  if (config.secrets) {
    secrets = config.secrets;
  } else {
    const dev = loadOrCreateDevSecret(config.dataDir);
    const weakness = secretWeakness(dev.secret);
    if (weakness)
      throw new ConfigError([{ path: 'dataDir', message: `the secret file is unusable: ${weakness}` }]);
    secrets = [{ id: 'dev', secret: dev.secret }];
    secretSource = 'development-file';
    warnings.push({
      code: 'DEVELOPMENT_SECRET',
      message: `using a generated development secret stored at ${resolvePath(dev.path)}; set real secrets before production`,
    });
  }

  const database: ResolvedDatabase =
    config.database && 'kysely' in config.database
      ? { kind: 'kysely', kysely: config.database.kysely, dialect: config.database.dialect }
      : {
          kind: 'url',
          url: config.database?.url ?? `sqlite:${resolvePath(config.dataDir, DEFAULTS.databaseFile)}`,
          poolSize: config.database?.poolSize ?? DEFAULTS.databasePoolSize,
        };

  const runOnStart =
    config.migrations.runOnStart ??
    (production ? DEFAULTS.runMigrationsOnStartInProduction : DEFAULTS.runMigrationsOnStartInDevelopment);

  return deepFreeze({
    ...config,
    mode,
    baseUrl: baseUrl!,
    secrets: secrets.map((s) => ({ ...s })),
    secretSource,
    database,
    migrations: { runOnStart },
    // Normalised (`https://App.example.com:443/` → `https://app.example.com`), so they compare
    // with request origins as strings.
    cors: { ...config.cors, origins: config.cors.origins.map((o) => parseOrigin(o) as string) },
    csrf: { trustedOrigins: config.csrf.trustedOrigins.map((o) => parseOrigin(o) as string) },
    oauth: {
      ...config.oauth,
      redirectOrigins: config.oauth.redirectOrigins.map((o) => parseOrigin(o) as string),
    },
    warnings,
  });
}

/** Which SQL dialect a database option speaks (no option: the embedded SQLite default). */
export function databaseDialectOf(
  database: { readonly url: string } | { readonly dialect: 'sqlite' | 'postgres' } | undefined,
): 'sqlite' | 'postgres' {
  if (!database) return 'sqlite';
  if ('dialect' in database) return database.dialect;
  return /^\s*postgres(ql)?:/i.test(database.url) ? 'postgres' : 'sqlite';
}

/** Options whose values belong to the app (clients, loggers, transports): never frozen by us. */
const APP_OWNED_KEYS = new Set(['kysely', 'client', 'bundle', 'transport', 'logger', 'clock']);

/** Freezes our plain data recursively and leaves app-owned objects as they are. */
function deepFreeze<T>(value: T): T {
  if (Array.isArray(value)) {
    for (const item of value) deepFreeze(item);
    return Object.freeze(value);
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const [key, item] of Object.entries(value)) {
      if (!APP_OWNED_KEYS.has(key)) deepFreeze(item);
    }
    return Object.freeze(value);
  }
  return value;
}
