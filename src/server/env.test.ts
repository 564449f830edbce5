import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, createAuth, DEFAULTS, generateSecret } from '../index.ts';
import { SERVER_ENV, settingsFromEnv } from './env.ts';
import { attributeToEnv } from './env-attribution.ts';

type Env = Record<string, string | undefined>;

/** The ConfigError `settingsFromEnv(env)` must throw. */
function envError(env: Env): ConfigError {
  try {
    settingsFromEnv(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('settingsFromEnv', () => {
  it('empty environment - should give an empty config and listen on 127.0.0.1:3000', () => {
    assert.deepEqual(settingsFromEnv({}), { config: {}, listen: { port: 3000, host: '127.0.0.1' } });
  });

  it('empty strings - should count as unset', () => {
    const env = Object.fromEntries(Object.keys(SERVER_ENV).map((name) => [name, '']));
    assert.deepEqual(settingsFromEnv(env), { config: {}, listen: { port: 3000, host: '127.0.0.1' } });
  });

  it('every variable - should map to its configuration option', () => {
    const secret = generateSecret();
    const settings = settingsFromEnv({
      PORT: '8080',
      HOST: '0.0.0.0',
      GATEHOUSE_MODE: 'production',
      GATEHOUSE_DATA_DIR: '/var/lib/gatehouse',
      GATEHOUSE_DATABASE_URL: 'postgres://auth@db.internal:5432/auth',
      GATEHOUSE_REDIS_URL: 'redis://cache.internal:6379',
      GATEHOUSE_SECRETS: `2026-11:${secret}`,
      GATEHOUSE_BASE_URL: 'https://auth.example.com',
      GATEHOUSE_MAIL_URL: 'smtp://mail.internal:587',
      GATEHOUSE_MAIL_FROM: 'Example <no-reply@example.com>',
      GATEHOUSE_TRUSTED_PROXY_HOPS: '2',
      GATEHOUSE_WORKERS: '4',
      GATEHOUSE_MIGRATE_ON_START: 'true',
      GATEHOUSE_LOG_LEVEL: 'warn',
      GATEHOUSE_SHUTDOWN_GRACE_MS: '2500',
      GATEHOUSE_CORS_ORIGINS: 'https://app.example.com, https://admin.example.com',
      GATEHOUSE_ACCESS_TOKENS: 'opaque',
    });
    assert.deepEqual(settings, {
      config: {
        mode: 'production',
        dataDir: '/var/lib/gatehouse',
        database: { url: 'postgres://auth@db.internal:5432/auth' },
        stores: { backend: 'redis', url: 'redis://cache.internal:6379' },
        secrets: [{ id: '2026-11', secret }],
        baseUrl: 'https://auth.example.com',
        mail: { url: 'smtp://mail.internal:587', from: 'Example <no-reply@example.com>' },
        http: { trustedProxyHops: 2 },
        workers: 4,
        migrations: { runOnStart: true },
        logLevel: 'warn',
        cors: { origins: ['https://app.example.com', 'https://admin.example.com'] },
        tokens: { access: 'opaque' },
      },
      listen: { port: 8080, host: '0.0.0.0' },
      shutdownGraceMs: 2500,
    });
  });

  it('settings - should be a configuration createAuth accepts as is', async () => {
    const { config } = settingsFromEnv({
      GATEHOUSE_MODE: 'development',
      GATEHOUSE_DATABASE_URL: 'sqlite::memory:',
      GATEHOUSE_SECRETS: `k1:${generateSecret()},k0:${generateSecret()}`,
      GATEHOUSE_BASE_URL: 'http://localhost:4000',
      GATEHOUSE_MAIL_URL: 'console',
      GATEHOUSE_TRUSTED_PROXY_HOPS: '2',
      GATEHOUSE_WORKERS: '1',
      GATEHOUSE_MIGRATE_ON_START: 'false',
      GATEHOUSE_LOG_LEVEL: 'silent',
    });
    const auth = await createAuth(config);
    try {
      assert.equal(auth.config.mode, 'development');
      assert.equal(auth.config.http.trustedProxyHops, 2);
      assert.equal(auth.config.migrations.runOnStart, false);
      assert.equal(auth.config.logLevel, 'silent');
      assert.equal(auth.config.baseUrl, 'http://localhost:4000');
      assert.deepEqual(auth.posture.secrets, { ids: ['k1', 'k0'], source: 'config' });
      assert.equal(auth.posture.database, 'sqlite (:memory:)');
      assert.equal(auth.posture.mail, 'console');
    } finally {
      await auth.close();
    }
  });

  it('GATEHOUSE_MIGRATE_ON_START=false - should turn migration on start off', () => {
    assert.deepEqual(settingsFromEnv({ GATEHOUSE_MIGRATE_ON_START: 'false' }).config, {
      migrations: { runOnStart: false },
    });
  });

  it('PORT=0 - should be accepted, so the OS picks a free port', () => {
    assert.equal(settingsFromEnv({ PORT: '0' }).listen.port, 0);
  });

  it('GATEHOUSE_SECRETS - should split entries on commas and each entry on its first colon', () => {
    const { config } = settingsFromEnv({ GATEHOUSE_SECRETS: ' new:abc:def:ghi , old:x:y,, ' });
    assert.deepEqual(config.secrets, [
      { id: 'new', secret: 'abc:def:ghi' },
      { id: 'old', secret: 'x:y' },
    ]);
  });

  it('GATEHOUSE_SECRETS - should report entries without an id, by position, never echoing them', () => {
    const leaked = 'Zm9vYmFyYmF6cXV4LXNlY3JldC12YWx1ZQ';
    const error = envError({ GATEHOUSE_SECRETS: `good:${generateSecret()},${leaked},:${leaked}` });
    assert.deepEqual(error.problems, [
      { path: 'GATEHOUSE_SECRETS[1]', message: 'must be id:secret' },
      { path: 'GATEHOUSE_SECRETS[2]', message: 'must be id:secret' },
    ]);
    assert.ok(!error.message.includes(leaked));
  });

  for (const [name, value] of [
    ['PORT', '65536'],
    ['PORT', '80a'],
    ['PORT', '-1'],
    ['PORT', '1e3'],
    ['PORT', ' 80'],
    ['GATEHOUSE_TRUSTED_PROXY_HOPS', '11'],
    ['GATEHOUSE_TRUSTED_PROXY_HOPS', '1.5'],
    ['GATEHOUSE_WORKERS', '0'],
    ['GATEHOUSE_SHUTDOWN_GRACE_MS', '600001'],
    ['GATEHOUSE_MODE', 'staging'],
    ['GATEHOUSE_MIGRATE_ON_START', 'yes'],
    ['GATEHOUSE_ACCESS_TOKENS', 'paseto'],
  ] as const) {
    it(`${name}=${JSON.stringify(value)} - should be refused, naming the variable`, () => {
      const error = envError({ [name]: value });
      assert.deepEqual(
        error.problems.map((p) => p.path),
        [name],
      );
      // Numbers may coincide with the stated bounds; words must never come back.
      if (/[a-z]/i.test(value)) assert.ok(!error.problems[0]?.message.includes(value.trim()));
    });
  }

  it('GATEHOUSE_OAUTH_PROVIDERS - should build presets and pass provider objects through', () => {
    const settings = settingsFromEnv({
      GATEHOUSE_OAUTH_PROVIDERS: JSON.stringify({
        google: { preset: 'google', clientId: 'g-id', clientSecret: 'g-secret' },
        company: { kind: 'oidc', issuer: 'https://login.example.com', clientId: 'c-id' },
      }),
      GATEHOUSE_OAUTH_REDIRECT_ORIGINS: 'https://app.example.com, https://admin.example.com',
    });
    const oauth = settings.config.oauth as {
      providers: Record<string, Record<string, unknown>>;
      redirectOrigins: string[];
    };
    assert.equal(oauth.providers.google?.kind, 'oidc');
    assert.equal(oauth.providers.google?.issuer, 'https://accounts.google.com');
    assert.equal(oauth.providers.google?.clientId, 'g-id');
    assert.deepEqual(oauth.providers.company, {
      kind: 'oidc',
      issuer: 'https://login.example.com',
      clientId: 'c-id',
    });
    assert.deepEqual(oauth.redirectOrigins, ['https://app.example.com', 'https://admin.example.com']);
  });

  it('GATEHOUSE_OAUTH_PROVIDERS - should refuse bad JSON and bad presets without quoting secrets', () => {
    for (const value of [
      '{not json',
      '["google"]',
      JSON.stringify({ google: { preset: 'google', clientId: 'id' } }),
      JSON.stringify({ x: { preset: 'myspace', clientId: 'id', clientSecret: 'hunter2-secret' } }),
    ]) {
      const error = envError({ GATEHOUSE_OAUTH_PROVIDERS: value });
      assert.equal(error.problems.length, 1, value);
      assert.match(error.problems[0]?.path ?? '', /^GATEHOUSE_OAUTH_PROVIDERS/);
      assert.ok(!error.message.includes('hunter2-secret'));
    }
  });

  it('several malformed variables - should report every one in a single ConfigError', () => {
    const error = envError({
      PORT: 'abc',
      GATEHOUSE_TRUSTED_PROXY_HOPS: '-1',
      GATEHOUSE_WORKERS: 'many',
      GATEHOUSE_MODE: 'prod',
      GATEHOUSE_MIGRATE_ON_START: '1',
      GATEHOUSE_SHUTDOWN_GRACE_MS: 'soon',
      GATEHOUSE_SECRETS: 'no-colon-here',
    });
    assert.deepEqual(error.problems.map((p) => p.path).sort(), [
      'GATEHOUSE_MIGRATE_ON_START',
      'GATEHOUSE_MODE',
      'GATEHOUSE_SECRETS[0]',
      'GATEHOUSE_SHUTDOWN_GRACE_MS',
      'GATEHOUSE_TRUSTED_PROXY_HOPS',
      'GATEHOUSE_WORKERS',
      'PORT',
    ]);
    assert.ok(error.message.startsWith('Invalid environment:'));
    assert.ok(!error.message.includes('no-colon-here'));
  });

  it('SERVER_ENV - should document exactly the variables settingsFromEnv reads', () => {
    const read = new Set<string>();
    const recording = new Proxy<Env>(
      {},
      {
        get(_target, name) {
          if (typeof name === 'string') read.add(name);
          return undefined;
        },
      },
    );
    settingsFromEnv(recording);
    assert.deepEqual([...read].sort(), Object.keys(SERVER_ENV).sort());
  });
});

describe('settingsFromEnv - token algorithm, signing keys and rate limits', () => {
  const ed = generateKeyPairSync('ed25519');
  const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pkcs8 = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
  const spki = (key: KeyObject) => key.export({ format: 'pem', type: 'spki' }).toString();
  /** Lines of a PEM body: none may ever appear in an error. */
  const bodyOf = (pem: string) => pem.split('\n').filter((line) => line && !line.startsWith('-----'));

  /** createAuth's ConfigError for the config `env` gives, as the CLI prints it. */
  async function createAuthError(env: Env): Promise<ConfigError> {
    const { config } = settingsFromEnv(env);
    try {
      const auth = await createAuth({ ...config, database: { url: 'sqlite::memory:' }, logLevel: 'silent' });
      await auth.close();
    } catch (error) {
      assert.ok(error instanceof ConfigError, String(error));
      return attributeToEnv(error, env);
    }
    assert.fail('expected createAuth to refuse the configuration');
  }

  const secrets = `k1:${generateSecret()}`;

  it('GATEHOUSE_TOKEN_ALGORITHM - should set tokens.algorithm, in any casing, beside GATEHOUSE_ACCESS_TOKENS', () => {
    assert.deepEqual(settingsFromEnv({ GATEHOUSE_TOKEN_ALGORITHM: 'EdDSA' }).config, {
      tokens: { algorithm: 'EdDSA' },
    });
    assert.deepEqual(
      settingsFromEnv({ GATEHOUSE_TOKEN_ALGORITHM: 'es256', GATEHOUSE_ACCESS_TOKENS: 'jwt' }).config,
      { tokens: { access: 'jwt', algorithm: 'ES256' } },
    );
    const error = envError({ GATEHOUSE_TOKEN_ALGORITHM: 'RS256' });
    assert.deepEqual(error.problems, [
      { path: 'GATEHOUSE_TOKEN_ALGORITHM', message: 'must be HS256, EdDSA or ES256' },
    ]);
  });

  it('GATEHOUSE_SIGNING_KEYS - should read a JSON array of {kid, pem} entries and JWKs, first signs', () => {
    const previous = { ...p256.publicKey.export({ format: 'jwk' }), kid: 'old' };
    const { config } = settingsFromEnv({
      GATEHOUSE_SIGNING_KEYS: JSON.stringify([{ kid: 'new', pem: pkcs8(p256.privateKey) }, previous]),
    });
    assert.deepEqual(config.tokens?.signingKeys, [
      { kid: 'new', key: pkcs8(p256.privateKey) },
      { key: previous },
    ]);
  });

  it('GATEHOUSE_SIGNING_KEYS - should read a JWK Set and concatenated PEM blocks', () => {
    const jwk = ed.privateKey.export({ format: 'jwk' });
    assert.deepEqual(
      settingsFromEnv({ GATEHOUSE_SIGNING_KEYS: JSON.stringify({ keys: [jwk] }) }).config.tokens,
      {
        signingKeys: [{ key: jwk }],
      },
    );
    const pems = `${pkcs8(ed.privateKey)}\n${spki(generateKeyPairSync('ed25519').publicKey)}`;
    const keys = settingsFromEnv({ GATEHOUSE_SIGNING_KEYS: pems }).config.tokens?.signingKeys ?? [];
    assert.equal(keys.length, 2);
    assert.equal(keys[0]?.key, pkcs8(ed.privateKey).trim());
    assert.match(String(keys[1]?.key), /^-----BEGIN PUBLIC KEY-----[\s\S]+-----END PUBLIC KEY-----$/);
  });

  it('GATEHOUSE_SIGNING_KEYS_FILE - should read the same formats from a file, and refuse both variables at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-env-keys-'));
    try {
      const file = join(dir, 'jwt.pem');
      writeFileSync(file, pkcs8(ed.privateKey), { mode: 0o600 });
      assert.deepEqual(settingsFromEnv({ GATEHOUSE_SIGNING_KEYS_FILE: file }).config.tokens, {
        signingKeys: [{ key: pkcs8(ed.privateKey).trim() }],
      });
      assert.deepEqual(envError({ GATEHOUSE_SIGNING_KEYS_FILE: join(dir, 'missing.pem') }).problems, [
        { path: 'GATEHOUSE_SIGNING_KEYS_FILE', message: 'names a file that cannot be read' },
      ]);
      assert.equal(
        envError({ GATEHOUSE_SIGNING_KEYS_FILE: file, GATEHOUSE_SIGNING_KEYS: pkcs8(ed.privateKey) })
          .problems[0]?.path,
        'GATEHOUSE_SIGNING_KEYS',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('GATEHOUSE_SIGNING_KEYS - malformed values should be refused by position, never echoing key material', () => {
    const pem = pkcs8(ed.privateKey);
    for (const [value, path] of [
      [`[{"pem": ${JSON.stringify(pem)}`, 'GATEHOUSE_SIGNING_KEYS'],
      ['[]', 'GATEHOUSE_SIGNING_KEYS'],
      [JSON.stringify([{ kid: 'a', pem }, { secret: pem }]), 'GATEHOUSE_SIGNING_KEYS[1]'],
      [JSON.stringify([{ kid: 7, pem }]), 'GATEHOUSE_SIGNING_KEYS[0]'],
      [pem.slice(0, 60), 'GATEHOUSE_SIGNING_KEYS'],
    ] as const) {
      const error = envError({ GATEHOUSE_SIGNING_KEYS: value });
      assert.deepEqual(
        error.problems.map((p) => p.path),
        [path],
        value,
      );
      for (const line of bodyOf(pem)) assert.ok(!error.message.includes(line.slice(0, 40)));
    }
  });

  it('a key of the wrong type - should be refused at start, naming the variable and the position only', async () => {
    const env = {
      GATEHOUSE_SECRETS: secrets,
      GATEHOUSE_TOKEN_ALGORITHM: 'ES256',
      GATEHOUSE_SIGNING_KEYS: JSON.stringify([
        { pem: pkcs8(p256.privateKey) },
        { pem: pkcs8(ed.privateKey) },
      ]),
    };
    const error = await createAuthError(env);
    assert.deepEqual(error.problems, [
      { path: 'GATEHOUSE_SIGNING_KEYS[1]', message: 'is an Ed25519 key; ES256 needs a P-256 (EC) key' },
    ]);
    for (const line of [...bodyOf(pkcs8(ed.privateKey)), ...bodyOf(pkcs8(p256.privateKey))]) {
      assert.ok(!error.message.includes(line));
    }
  });

  it('signing keys without an asymmetric algorithm - should be refused, naming the variable', async () => {
    const error = await createAuthError({
      GATEHOUSE_SECRETS: secrets,
      GATEHOUSE_SIGNING_KEYS: pkcs8(ed.privateKey),
    });
    assert.equal(error.problems[0]?.path, 'GATEHOUSE_SIGNING_KEYS');
    assert.match(error.problems[0]?.message ?? '', /EdDSA and ES256/);
  });

  it('GATEHOUSE_RATE_LIMITS - should map onto rateLimits, and its lockout member onto lockout', async () => {
    const value = {
      slots: {
        login: { limit: 3, windowSeconds: 60, scope: 'ip' },
        register: false,
        session: { group: 'signIn' },
      },
      groups: { signIn: { limit: 20, windowSeconds: 600, scope: 'ip' } },
      ipv6PrefixLength: 56,
      lockout: { maxFailures: 3, baseLockSeconds: 30, maxLockSeconds: 600 },
    };
    const { config } = settingsFromEnv({ GATEHOUSE_RATE_LIMITS: JSON.stringify(value) });
    const { lockout, ...rateLimits } = value;
    assert.deepEqual(config, { rateLimits, lockout });
    const auth = await createAuth({
      ...config,
      secrets: [{ id: 'k1', secret: generateSecret() }],
      database: { url: 'sqlite::memory:' },
      logLevel: 'silent',
    });
    try {
      assert.equal(auth.config.rateLimits.ipv6PrefixLength, 56);
      assert.deepEqual(auth.config.rateLimits.slots.login, { limit: 3, windowSeconds: 60, scope: 'ip' });
      assert.equal(auth.config.lockout.maxFailures, 3);
      // Options not given keep their defaults.
      assert.equal(auth.config.lockout.windowSeconds, DEFAULTS.lockoutWindowSeconds);
      assert.ok(auth.config.warnings.some((w) => w.code === 'RATE_LIMIT_SLOT_OFF'));
    } finally {
      await auth.close();
    }
  });

  it('GATEHOUSE_RATE_LIMITS - should be refused when it is not a JSON object', () => {
    for (const value of ['{"slots":', '[1,2]', '"fast"', 'null']) {
      assert.deepEqual(envError({ GATEHOUSE_RATE_LIMITS: value }).problems, [
        { path: 'GATEHOUSE_RATE_LIMITS', message: 'must be a JSON object' },
      ]);
    }
  });

  it('GATEHOUSE_RATE_LIMITS - values the schema refuses should name the variable and the path', async () => {
    const error = await createAuthError({
      GATEHOUSE_SECRETS: secrets,
      GATEHOUSE_RATE_LIMITS: JSON.stringify({
        slots: { login: { limit: 0, windowSeconds: 60, scope: 'ip' }, session: { group: 'nowhere' } },
        lockout: { maxFailures: 5, baseLockSeconds: 900, maxLockSeconds: 60 },
        burst: 3,
      }),
    });
    const paths = error.problems.map((p) => p.path);
    assert.ok(paths.includes('GATEHOUSE_RATE_LIMITS.slots.login.limit'), paths.join());
    assert.ok(paths.includes('GATEHOUSE_RATE_LIMITS'), paths.join()); // the unknown member `burst`
    assert.ok(
      paths.every((path) => path.startsWith('GATEHOUSE_RATE_LIMITS')),
      paths.join(),
    );
    // Cross-field checks come after the shape is valid: a second run, once the shape is fixed.
    const later = await createAuthError({
      GATEHOUSE_SECRETS: secrets,
      GATEHOUSE_RATE_LIMITS: JSON.stringify({
        slots: { session: { group: 'nowhere' } },
        lockout: { baseLockSeconds: 900, maxLockSeconds: 60 },
      }),
    });
    assert.deepEqual(later.problems.map((p) => p.path).sort(), [
      'GATEHOUSE_RATE_LIMITS.lockout.baseLockSeconds',
      'GATEHOUSE_RATE_LIMITS.slots.session.group',
    ]);
  });

  it('attributeToEnv - should leave paths alone when the variable was not set', () => {
    const error = new ConfigError([{ path: 'rateLimits.slots.login.limit', message: 'too small' }]);
    assert.equal(attributeToEnv(error, {}), error);
    assert.equal(
      attributeToEnv(error, { GATEHOUSE_RATE_LIMITS: '{}' }).problems[0]?.path,
      'GATEHOUSE_RATE_LIMITS.slots.login.limit',
    );
  });
});

describe('settingsFromEnv - development base URL from PORT and HOST', () => {
  const baseUrlOf = (env: Env) => settingsFromEnv(env).config.baseUrl;

  it('PORT=4000 without GATEHOUSE_BASE_URL - should point links at http://localhost:4000', () => {
    assert.equal(baseUrlOf({ PORT: '4000' }), 'http://localhost:4000');
    assert.equal(
      baseUrlOf({ PORT: '4000', GATEHOUSE_MODE: 'development', NODE_ENV: 'production' }),
      'http://localhost:4000',
    );
  });

  for (const host of ['0.0.0.0', '::', '127.0.0.1', '127.0.1.1', '::1', 'localhost', 'LOCALHOST']) {
    it(`HOST=${host} - should be reached at localhost (one origin with the README's, a valid passkey RP ID)`, () => {
      assert.equal(baseUrlOf({ PORT: '4000', HOST: host }), 'http://localhost:4000');
    });
  }

  for (const [host, url] of [
    ['auth.lan', 'http://auth.lan:4000'],
    ['192.168.1.20', 'http://192.168.1.20:4000'],
    ['fd00::1', 'http://[fd00::1]:4000'],
  ] as const) {
    it(`HOST=${host} - should name the specific host in the base URL`, () => {
      assert.equal(baseUrlOf({ PORT: '4000', HOST: host }), url);
    });
  }

  it('HOST without PORT - should use the default port 3000', () => {
    assert.equal(baseUrlOf({ HOST: 'auth.lan' }), 'http://auth.lan:3000');
  });

  it('neither PORT nor HOST - should leave the base URL to the configuration default', () => {
    assert.equal(baseUrlOf({ GATEHOUSE_MODE: 'development' }), undefined);
  });

  it('GATEHOUSE_BASE_URL - should win over PORT and HOST', () => {
    assert.equal(
      baseUrlOf({ PORT: '4000', HOST: 'auth.lan', GATEHOUSE_BASE_URL: 'http://localhost:5173' }),
      'http://localhost:5173',
    );
  });

  it('PORT=0 - should not guess: the port is known only once listening', () => {
    assert.equal(baseUrlOf({ PORT: '0' }), undefined);
  });

  it('production - should still require an explicit GATEHOUSE_BASE_URL', async () => {
    for (const mode of [{ GATEHOUSE_MODE: 'production' }, { NODE_ENV: 'production' }]) {
      const { config } = settingsFromEnv({ ...mode, PORT: '4000', HOST: '0.0.0.0' });
      assert.equal(config.baseUrl, undefined);
      await assert.rejects(
        createAuth({ ...config, mode: 'production', secrets: [{ id: 'k1', secret: generateSecret() }] }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.problems.some((p) => p.path === 'baseUrl' && p.message.startsWith('required')),
      );
    }
  });

  it('PORT=4000 - should be the base URL createAuth resolves (what serve and every CLI command use)', async () => {
    const { config } = settingsFromEnv({
      PORT: '4000',
      GATEHOUSE_DATABASE_URL: 'sqlite::memory:',
      GATEHOUSE_LOG_LEVEL: 'silent',
    });
    const auth = await createAuth({
      ...config,
      mode: 'development',
      secrets: [{ id: 'k1', secret: generateSecret() }],
    });
    try {
      assert.equal(auth.config.baseUrl, 'http://localhost:4000');
    } finally {
      await auth.close();
    }
  });
});

describe('settingsFromEnv - provider display names', () => {
  it('GATEHOUSE_OAUTH_PROVIDERS - presets should carry their name, overridable; custom entries keep theirs', () => {
    const { config } = settingsFromEnv({
      GATEHOUSE_OAUTH_PROVIDERS: JSON.stringify({
        github: { preset: 'github', clientId: 'gh-id', clientSecret: 'gh-secret' },
        microsoft: { preset: 'microsoft', clientId: 'ms-id', clientSecret: 'ms-secret' },
        work: { preset: 'google', clientId: 'g-id', clientSecret: 'g-secret', displayName: 'Example Corp' },
        corp: {
          kind: 'oidc',
          issuer: 'https://login.example.com',
          clientId: 'c-id',
          displayName: 'Corp SSO',
        },
        plain: { kind: 'oidc', issuer: 'https://idp.example.net', clientId: 'p-id' },
      }),
    });
    const names = Object.fromEntries(
      Object.entries(config.oauth?.providers ?? {}).map(([key, provider]) => [key, provider.displayName]),
    );
    assert.deepEqual(names, {
      github: 'GitHub',
      microsoft: 'Microsoft',
      work: 'Example Corp',
      corp: 'Corp SSO',
      plain: undefined,
    });
  });

  it('GATEHOUSE_OAUTH_PROVIDERS - an empty displayName should be refused by createAuth', async () => {
    const { config } = settingsFromEnv({
      GATEHOUSE_OAUTH_PROVIDERS: JSON.stringify({
        github: { preset: 'github', clientId: 'gh-id', clientSecret: 'gh-secret', displayName: ' ' },
      }),
    });
    await assert.rejects(
      createAuth({ ...config, mode: 'development', secrets: [{ id: 'k1', secret: generateSecret() }] }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((p) => p.path === 'oauth.providers.github.displayName'),
    );
  });
});

describe('settingsFromEnv - Redis Cluster and Sentinel', () => {
  it('GATEHOUSE_REDIS_CLUSTER - should give cluster seed nodes, split on commas', () => {
    const { config } = settingsFromEnv({ GATEHOUSE_REDIS_CLUSTER: '10.0.0.1:7000, 10.0.0.2:7000' });
    assert.deepEqual(config.stores, { backend: 'redis', cluster: ['10.0.0.1:7000', '10.0.0.2:7000'] });
  });

  it('GATEHOUSE_REDIS_SENTINELS - should give sentinels with the primary name and the WAIT policy', () => {
    const { config } = settingsFromEnv({
      GATEHOUSE_REDIS_SENTINELS: 's1:26379,s2:26379,s3:26379',
      GATEHOUSE_REDIS_SENTINEL_NAME: 'gatehouse',
      GATEHOUSE_REDIS_WAIT_REPLICAS: '1',
    });
    assert.deepEqual(config.stores, {
      backend: 'redis',
      sentinels: ['s1:26379', 's2:26379', 's3:26379'],
      name: 'gatehouse',
      durability: { replicas: 1 },
    });
  });

  it('two Redis topologies, or sentinels without a name - should be refused', () => {
    assert.throws(
      () => settingsFromEnv({ GATEHOUSE_REDIS_URL: 'redis://a:6379', GATEHOUSE_REDIS_CLUSTER: 'b:7000' }),
      ConfigError,
    );
    assert.throws(() => settingsFromEnv({ GATEHOUSE_REDIS_SENTINELS: 's1:26379' }), ConfigError);
    assert.throws(
      () => settingsFromEnv({ GATEHOUSE_REDIS_URL: 'redis://a:6379', GATEHOUSE_REDIS_WAIT_REPLICAS: 'x' }),
      ConfigError,
    );
  });

  it('cluster seeds - should be a configuration createAuth accepts, and refuse a braced key prefix', async () => {
    const stores = { backend: 'redis' as const, cluster: ['127.0.0.1:1'], keyPrefix: '{app}:' };
    await assert.rejects(
      createAuth({ secrets: [{ id: 'k1', secret: generateSecret() }], stores }),
      (error: unknown) => error instanceof ConfigError && /stores\.keyPrefix/.test(String(error.message)),
    );
  });
});
