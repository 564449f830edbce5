/**
 * docs/CONFIGURATION.md must describe the configuration the code accepts: every option of the
 * schema (core's, and each built-in feature's own slice) with its default, every warning code, and every environment variable of the
 * standalone server; README.md's environment table must list exactly those variables. An
 * option, default or variable added to the code without its documentation fails here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { BUILT_IN_FEATURES } from '../../src/auth/feature-list.ts';
import { configSchema } from '../../src/core/index.ts';
import { DEFAULTS } from '../../src/index.ts';
import { SERVER_ENV } from '../../src/server/index.ts';

/**
 * What `createAuth` validates: core's options and, under their keys, the options the built-in
 * features declare in their own folders (`apiKeys`).
 */
const acceptedSchema = z.strictObject({
  ...configSchema.shape,
  ...Object.fromEntries(
    BUILT_IN_FEATURES.flatMap((feature): [string, z.ZodType][] =>
      'config' in feature && feature.config ? [[feature.config.key, feature.config.schema]] : [],
    ),
  ),
});

const ROOT = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(ROOT, path), 'utf8');
const configurationDoc = read('docs/CONFIGURATION.md');
const readme = read('README.md');

/** The cells of each table row whose first cell is a code span, keyed by that span. */
function tableRows(markdown: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of markdown.split('\n')) {
    const match = /^\| `([^`]+)` \|(.*)\|\s*$/.exec(line);
    if (!match) continue;
    // Cells are separated by pipes that are not escaped.
    const cells = match[2]!.split(/(?<!\\)\|/).map((cell) => cell.trim());
    assert.ok(!rows.has(match[1]!), `${match[1]} has two rows in one table section`);
    rows.set(match[1]!, cells);
  }
  return rows;
}

/** The text of a `## ` section, up to the next heading of the same level. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  assert.notEqual(start, -1, `section "## ${heading}" is missing`);
  const end = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, end === -1 ? undefined : end);
}

type JsonNode = {
  properties?: Record<string, JsonNode>;
  anyOf?: JsonNode[];
  oneOf?: JsonNode[];
  items?: JsonNode;
  default?: unknown;
};

/**
 * Every option path of the schema (`http.bodyLimitBytes`, `secrets[].id`, …) with the default
 * the schema applies, merged over the variants of unions (`stores`, `database`).
 */
function schemaOptions(): Map<string, { default?: unknown }> {
  const schema = z.toJSONSchema(acceptedSchema, { io: 'input', unrepresentable: 'any' }) as JsonNode;
  const options = new Map<string, { default?: unknown }>();
  const record = (path: string, value: unknown) => {
    const entry = options.get(path) ?? {};
    if (value !== undefined && entry.default === undefined) entry.default = value;
    options.set(path, entry);
  };
  const walk = (node: JsonNode, path: string): void => {
    for (const variant of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) walk(variant, path);
    for (const [name, child] of Object.entries(node.properties ?? {})) {
      const childPath = path === '' ? name : `${path}.${name}`;
      record(childPath, undefined);
      // An object default (`stores: { backend: 'memory' }`) is the default of its members.
      if (typeof child.default === 'object' && child.default !== null) {
        for (const [key, value] of Object.entries(child.default)) record(`${childPath}.${key}`, value);
      } else {
        record(childPath, child.default);
      }
      walk(child, childPath);
    }
    if (node.items) walk(node.items, `${path}[]`);
  };
  walk(schema, '');
  return options;
}

function isLeaf(path: string, all: Iterable<string>): boolean {
  for (const other of all) if (other.startsWith(`${path}.`) || other.startsWith(`${path}[]`)) return false;
  return true;
}

const code = (value: unknown) => `\`${JSON.stringify(value)}\``;

/**
 * Where each entry of DEFAULTS shows in the option tables: the option it is the default of, and
 * the text its default cell must contain. A new entry of DEFAULTS must be added here (and to
 * the documentation) before this test passes.
 */
const DEFAULT_LOCATIONS: Record<
  keyof typeof DEFAULTS,
  { option: string; shows: (value: unknown) => string }
> = {
  appName: { option: 'appName', shows: code },
  dataDir: { option: 'dataDir', shows: code },
  databaseFile: { option: 'database.url', shows: (value) => `\`sqlite:<dataDir>/${String(value)}\`` },
  databasePoolSize: { option: 'database.poolSize', shows: code },
  memoryStoreMaxEntries: { option: 'stores.maxEntries', shows: code },
  redisKeyPrefix: { option: 'stores.keyPrefix', shows: code },
  redisCommandTimeoutMs: { option: 'stores.commandTimeoutMs', shows: code },
  redisDurabilityReplicas: { option: 'stores.durability.replicas', shows: code },
  redisDurabilityTimeoutMs: { option: 'stores.durability.timeoutMs', shows: code },
  bodyLimitBytes: { option: 'http.bodyLimitBytes', shows: code },
  trustedProxyHops: { option: 'http.trustedProxyHops', shows: code },
  basePath: { option: 'http.basePath', shows: code },
  cookieName: { option: 'cookies.name', shows: code },
  cookieSecure: { option: 'cookies.secure', shows: code },
  cookieSameSite: { option: 'cookies.sameSite', shows: code },
  sessionIdleTimeoutSeconds: { option: 'cookies.idleTimeoutSeconds', shows: code },
  sessionAbsoluteTimeoutSeconds: { option: 'cookies.absoluteTimeoutSeconds', shows: code },
  sessionRememberMeTimeoutSeconds: { option: 'cookies.rememberMeTimeoutSeconds', shows: code },
  sessionTouchIntervalSeconds: { option: 'cookies.touchIntervalSeconds', shows: code },
  sessionCacheTtlSeconds: { option: 'cookies.cacheTtlSeconds', shows: code },
  corsMaxAgeSeconds: { option: 'cors.maxAgeSeconds', shows: code },
  accessTokenKind: { option: 'tokens.access', shows: code },
  totpAlgorithm: { option: 'twoFactor.totp.algorithm', shows: code },
  totpDigits: { option: 'twoFactor.totp.digits', shows: code },
  totpPeriodSeconds: { option: 'twoFactor.totp.periodSeconds', shows: code },
  totpWindow: { option: 'twoFactor.totp.window', shows: code },
  stepUpWindowSeconds: { option: 'twoFactor.stepUpWindowSeconds', shows: code },
  pendingLoginTtlSeconds: { option: 'twoFactor.pendingLoginTtlSeconds', shows: code },
  enrollmentTtlSeconds: { option: 'twoFactor.enrollmentTtlSeconds', shows: code },
  twoFactorOnEnable: { option: 'twoFactor.onEnable', shows: code },
  oauthFetchTimeoutMs: { option: 'oauth.fetchTimeoutMs', shows: code },
  apiKeyEnv: { option: 'apiKeys.env', shows: code },
  apiKeyMaxActivePerUser: { option: 'apiKeys.maxActivePerUser', shows: code },
  apiKeyDefaultTtlDays: { option: 'apiKeys.defaultTtlDays', shows: code },
  apiKeyMaxTtlDays: { option: 'apiKeys.maxTtlDays', shows: code },
  apiKeyLastUsedIntervalSeconds: { option: 'apiKeys.lastUsedIntervalSeconds', shows: code },
  signatureWindowSeconds: { option: 'apiKeys.signatureWindowSeconds', shows: code },
  accountDeletionMode: { option: 'accounts.deletion.mode', shows: code },
  accountDeletionGraceDays: { option: 'accounts.deletion.graceDays', shows: code },
  auditRetentionDays: { option: 'audit.retentionDays', shows: code },
  webhookMaxAttempts: { option: 'webhooks.maxAttempts', shows: code },
  webhookRetryBaseMs: { option: 'webhooks.retryBaseMs', shows: code },
  passkeyUserVerification: { option: 'passkeys.userVerification', shows: code },
  passkeyCounterRegression: { option: 'passkeys.counterRegression', shows: code },
  passkeyMaxPerUser: { option: 'passkeys.maxPerUser', shows: code },
  webhookRetryMaxMs: { option: 'webhooks.retryMaxMs', shows: code },
  webhookTimeoutMs: { option: 'webhooks.timeoutMs', shows: code },
  webhookConcurrency: { option: 'webhooks.concurrency', shows: code },
  webhookPollIntervalMs: { option: 'webhooks.pollIntervalMs', shows: code },
  webhookDeliveredRetentionDays: { option: 'webhooks.deliveredRetentionDays', shows: code },
  emailCodeEnabled: { option: 'emailCode.enabled', shows: code },
  emailCodeLength: { option: 'emailCode.codeLength', shows: code },
  emailCodeTtlSeconds: { option: 'emailCode.ttlSeconds', shows: code },
  emailCodeMaxAttempts: { option: 'emailCode.maxAttempts', shows: code },
  emailCodeLinkPath: { option: 'emailCode.linkPath', shows: code },
  workers: { option: 'workers', shows: code },
  mailFrom: { option: 'mail.from', shows: code },
  verifyEmailPath: { option: 'mail.links.verifyEmail', shows: code },
  resetPasswordPath: { option: 'mail.links.resetPassword', shows: code },
  confirmEmailPath: { option: 'mail.links.confirmEmail', shows: code },
  uiEnabled: { option: 'ui.enabled', shows: code },
  uiBasePath: { option: 'ui.basePath', shows: code },
  logLevel: { option: 'logLevel', shows: code },
  logFormat: { option: 'logFormat', shows: code },
  accessLog: { option: 'http.accessLog', shows: code },
  pruneIntervalSeconds: { option: 'maintenance.pruneIntervalSeconds', shows: code },
  pruneBatchSize: { option: 'maintenance.batchSize', shows: code },
  runMigrationsOnStartInDevelopment: {
    option: 'migrations.runOnStart',
    shows: (value) => `development: \`${String(value)}\``,
  },
  runMigrationsOnStartInProduction: {
    option: 'migrations.runOnStart',
    shows: (value) => `production: \`${String(value)}\``,
  },
  passwordMinLength: { option: 'passwords.minLength', shows: code },
  passwordMaxLength: { option: 'passwords.maxLength', shows: code },
  breachedPasswordsUrl: { option: 'passwords.breachCheck.url', shows: code },
  breachedPasswordsTimeoutMs: { option: 'passwords.breachCheck.timeoutMs', shows: code },
  breachedPasswordsOnError: { option: 'passwords.breachCheck.onError', shows: code },
  argon2MemoryKiB: { option: 'passwords.argon2.memoryKiB', shows: code },
  argon2TimeCost: { option: 'passwords.argon2.timeCost', shows: code },
  argon2Parallelism: { option: 'passwords.argon2.parallelism', shows: code },
  passwordHashingNiceIncrement: { option: 'passwords.hashing.niceIncrement', shows: code },
  registrationMode: { option: 'registration.mode', shows: code },
  tokenAlgorithm: { option: 'tokens.algorithm', shows: code },
  tokenClientId: { option: 'tokens.clientId', shows: code },
  accessTokenTtlSeconds: { option: 'tokens.accessTokenTtlSeconds', shows: code },
  tokenLeewaySeconds: { option: 'tokens.leewaySeconds', shows: code },
  refreshAbsoluteTtlSeconds: { option: 'tokens.refreshAbsoluteTtlSeconds', shows: code },
  refreshIdleTtlSeconds: { option: 'tokens.refreshIdleTtlSeconds', shows: code },
  verifyTokenTtlSeconds: { option: 'tokens.verifyTokenTtlSeconds', shows: code },
  resetTokenTtlSeconds: { option: 'tokens.resetTokenTtlSeconds', shows: code },
  rateLimitIpv6PrefixLength: { option: 'rateLimits.ipv6PrefixLength', shows: code },
  lockoutMaxFailures: { option: 'lockout.maxFailures', shows: code },
  lockoutWindowSeconds: { option: 'lockout.windowSeconds', shows: code },
  lockoutBaseLockSeconds: { option: 'lockout.baseLockSeconds', shows: code },
  lockoutMaxLockSeconds: { option: 'lockout.maxLockSeconds', shows: code },
  lockoutIpMaxFailures: { option: 'lockout.ipMaxFailures', shows: code },
  lockoutKnownDeviceDays: { option: 'lockout.knownDeviceDays', shows: code },
};

const optionRows = tableRows(section(configurationDoc, 'Options'));
const OPTION_CELLS = 3; // type, default, meaning

describe('docs/CONFIGURATION.md', () => {
  it('CONFIGURATION.md - should document every top-level option of the schema', () => {
    const documented = [...optionRows.keys()];
    for (const name of Object.keys(acceptedSchema.shape)) {
      assert.ok(
        documented.some(
          (path) => path === name || path.startsWith(`${name}.`) || path.startsWith(`${name}[]`),
        ),
        `top-level option ${name} has no row in the Options section`,
      );
    }
  });

  it('CONFIGURATION.md - should have one row per option the schema accepts, and none it does not', () => {
    const options = schemaOptions();
    for (const path of options.keys()) {
      if (isLeaf(path, options.keys())) assert.ok(optionRows.has(path), `option ${path} has no row`);
    }
    for (const [path, cells] of optionRows) {
      assert.ok(options.has(path), `row ${path} names an option the schema does not accept`);
      assert.equal(cells.length, OPTION_CELLS, `row ${path} should have type, default and meaning`);
    }
  });

  it('CONFIGURATION.md - should show the default the schema applies to each option', () => {
    for (const [path, option] of schemaOptions()) {
      if (option.default === undefined) continue;
      const defaultCell = optionRows.get(path)?.[1] ?? '';
      assert.ok(
        defaultCell.includes(code(option.default)),
        `${path}: default cell should show ${code(option.default)}`,
      );
    }
  });

  it('CONFIGURATION.md - should show every entry of DEFAULTS as the default of its option', () => {
    assert.deepEqual(
      Object.keys(DEFAULT_LOCATIONS).sort(),
      Object.keys(DEFAULTS).sort(),
      'every DEFAULTS entry needs a documented option (update DEFAULT_LOCATIONS and the doc)',
    );
    for (const [key, location] of Object.entries(DEFAULT_LOCATIONS)) {
      const value = DEFAULTS[key as keyof typeof DEFAULTS];
      const defaultCell = optionRows.get(location.option)?.[1] ?? '';
      assert.ok(
        defaultCell.includes(location.shows(value)),
        `DEFAULTS.${key}: the default cell of ${location.option} should show ${location.shows(value)}`,
      );
    }
  });

  it('CONFIGURATION.md - should list every warning code that configuration checks can raise', () => {
    const sources = [
      'src/core/config/resolve.ts',
      'src/core/posture/topology.ts',
      'src/core/posture/persistence.ts',
    ]
      .map(read)
      .join('\n');
    const codes = [...sources.matchAll(/code: '([A-Z][A-Z0-9_]*)'/g)].map((m) => m[1]!);
    assert.ok(codes.length > 0, 'no warning codes found in the sources; has the code moved?');
    const warningRows = tableRows(section(configurationDoc, 'Warnings'));
    for (const warning of codes) assert.ok(warningRows.has(warning), `warning ${warning} is not documented`);
  });

  it('CONFIGURATION.md - should map every environment variable of the standalone server', () => {
    const envRows = tableRows(section(configurationDoc, 'Standalone server environment'));
    assert.deepEqual([...envRows.keys()].sort(), Object.keys(SERVER_ENV).sort());
  });
});

describe('README.md', () => {
  it('README.md - should list exactly the environment variables the server reads', () => {
    const listed = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]!);
    assert.equal(new Set(listed).size, listed.length, 'a variable is listed twice');
    assert.deepEqual(listed.sort(), Object.keys(SERVER_ENV).sort());
  });
});
