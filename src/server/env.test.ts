import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, createAuth, generateSecret } from '../index.ts';
import { SERVER_ENV, settingsFromEnv } from './env.ts';

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
