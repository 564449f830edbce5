import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateSecret } from '../../crypto/random.ts';
import { ConfigError } from '../errors/index.ts';
import { DEFAULTS } from './defaults.ts';
import { resolveConfig } from './resolve.ts';
import type { AuthConfigInput } from './schema.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'gh-config-'));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const good = { secrets: [{ id: 'k1', secret: generateSecret() }] };
const problemsOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, 'expected a ConfigError');
    return error.problems;
  }
  assert.fail('expected resolveConfig to throw');
};

describe('resolveConfig', () => {
  it('resolveConfig - should apply the defaults table and freeze the result deeply', () => {
    const config = resolveConfig({ ...good, dataDir: tempDir() }, { env: {} });
    assert.equal(config.mode, 'development');
    assert.equal(config.http.bodyLimitBytes, DEFAULTS.bodyLimitBytes);
    assert.equal(config.http.trustedProxyHops, 0);
    assert.equal(config.stores.backend, 'memory');
    assert.equal(config.cookies.secure, true);
    assert.equal(config.migrations.runOnStart, true);
    assert.ok(Object.isFrozen(config) && Object.isFrozen(config.http) && Object.isFrozen(config.secrets[0]));
    assert.throws(() => {
      (config.http as { bodyLimitBytes: number }).bodyLimitBytes = 1;
    }, TypeError);
  });

  it('resolveConfig - should reject unknown keys and report every problem in one error', () => {
    const problems = problemsOf(() =>
      resolveConfig(
        {
          bogus: 1,
          http: { bodyLimitBytes: 'big', extra: true },
          workers: 0,
          secrets: [{ id: 'a', secret: 'x' }],
        } as unknown as AuthConfigInput,
        { env: {} },
      ),
    );
    const paths = problems.map((p) => p.path).sort();
    assert.deepEqual(paths, ['', 'http', 'http.bodyLimitBytes', 'secrets.0.secret', 'workers']);
    assert.match(problems.find((p) => p.path === '')!.message, /unknown option\(s\): bogus/);
  });

  it('resolveConfig - should reject a weak secret without echoing it', () => {
    const problems = problemsOf(() =>
      resolveConfig(
        { secrets: [{ id: 'a', secret: 'hunter2hunter2hunter2hunter2hunter2hunter2hunter2' }] },
        { env: {} },
      ),
    );
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.path, 'secrets.0.secret');
    assert.ok(!problems[0]!.message.includes('hunter2'));
    assert.match(problems[0]!.message, /generate-secret/);
  });

  it('resolveConfig - should list every unsafe production setting at once', () => {
    const problems = problemsOf(() =>
      resolveConfig(
        {
          mode: 'production',
          baseUrl: 'http://auth.example.com',
          cookies: { secure: false },
          mail: { url: 'console' },
        },
        { env: {} },
      ),
    );
    assert.deepEqual(problems.map((p) => p.path).sort(), [
      'baseUrl',
      'cookies.secure',
      'mail.url',
      'secrets',
    ]);
    const missingBase = problemsOf(() => resolveConfig({ ...good, mode: 'production' }, { env: {} }));
    assert.deepEqual(
      missingBase.map((p) => p.path),
      ['baseUrl'],
    );
  });

  it('resolveConfig - should take production mode from NODE_ENV when the config does not say', () => {
    const problems = problemsOf(() => resolveConfig({}, { env: { NODE_ENV: 'production' } }));
    assert.ok(problems.some((p) => p.path === 'secrets'));
    const config = resolveConfig(
      { ...good, baseUrl: 'https://auth.example.com/' },
      { env: { NODE_ENV: 'production' } },
    );
    assert.equal(config.mode, 'production');
    assert.equal(config.baseUrl, 'https://auth.example.com');
    assert.equal(config.migrations.runOnStart, false);
  });

  it('resolveConfig - should refuse SameSite=None without Secure in any mode', () => {
    const problems = problemsOf(() =>
      resolveConfig(
        { ...good, dataDir: tempDir(), cookies: { secure: false, sameSite: 'none' } },
        { env: {} },
      ),
    );
    assert.deepEqual(
      problems.map((p) => p.path),
      ['cookies.sameSite'],
    );
  });

  it('resolveConfig - should create a 0600 development secret once, reuse it, and warn every time', () => {
    const dataDir = join(tempDir(), 'nested');
    const first = resolveConfig({ dataDir }, { env: {} });
    const path = join(dataDir, 'secret');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(path, 'utf8').trim(), first.secrets[0]!.secret);
    assert.equal(first.secretSource, 'development-file');
    assert.ok(first.warnings.some((w) => w.code === 'DEVELOPMENT_SECRET'));
    const second = resolveConfig({ dataDir }, { env: {} });
    assert.equal(second.secrets[0]!.secret, first.secrets[0]!.secret);
    assert.ok(second.warnings.some((w) => w.code === 'DEVELOPMENT_SECRET'));
  });

  it('resolveConfig - should not create a development secret when the rest of the config is invalid', () => {
    const dataDir = join(tempDir(), 'untouched');
    problemsOf(() => resolveConfig({ dataDir, workers: -1 }, { env: {} }));
    assert.throws(() => statSync(join(dataDir, 'secret')), /ENOENT/);
  });

  it('resolveConfig - should require exactly one of url or client for redis stores', () => {
    const problems = problemsOf(() => resolveConfig({ ...good, stores: { backend: 'redis' } }, { env: {} }));
    assert.deepEqual(
      problems.map((p) => p.path),
      ['stores'],
    );
  });

  it('resolveConfig - should refuse every spelling of an in-memory database and of console mail in production', () => {
    const base = { ...good, mode: 'production' as const, baseUrl: 'https://auth.example.com' };
    for (const url of ['sqlite::memory:', ':memory:', 'sqlite://:memory:', ' sqlite::memory: ']) {
      assert.deepEqual(
        problemsOf(() => resolveConfig({ ...base, database: { url } }, { env: {} })).map((p) => p.path),
        ['database.url'],
        url,
      );
    }
    for (const url of ['console', 'console:', ' console ']) {
      assert.deepEqual(
        problemsOf(() => resolveConfig({ ...base, mail: { url } }, { env: {} })).map((p) => p.path),
        ['mail.url'],
        url,
      );
    }
  });

  it('resolveConfig - should report process-local stores for several workers together with every other problem', () => {
    const problems = problemsOf(() => resolveConfig({ mode: 'production', workers: 4 }, { env: {} }));
    assert.deepEqual(problems.map((p) => p.path).sort(), ['baseUrl', 'secrets', 'workers']);
    assert.match(problems.find((p) => p.path === 'workers')!.message, /once \(memory\)/);
    const shared = resolveConfig(
      {
        ...good,
        mode: 'production',
        baseUrl: 'https://a.example',
        workers: 4,
        stores: { backend: 'redis', url: 'redis://127.0.0.1:6379' },
        database: { url: 'postgres://db/auth' },
      },
      { env: {} },
    );
    assert.equal(shared.workers, 4);
    assert.deepEqual(
      shared.warnings.map((w) => w.code),
      ['MAIL_NOT_CONFIGURED'],
    );
  });
});
