/**
 * The `apiKeys` options are declared by the API-key feature itself (its schema and defaults
 * live in its folder), yet `createAuth({ apiKeys: {…} })` behaves as when core validated them:
 * the same defaults, the same problems under the same paths (the ordering check between the
 * default and the maximum lifetime included), one ConfigError with core's problems, and the
 * parsed options visible as `auth.config.apiKeys` and used by the feature.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import {
  type AuthConfigInput,
  ConfigError,
  createAuth,
  DEFAULTS,
  defineFeature,
  generateSecret,
} from '../../src/index.ts';
import { createKeyOwner, parseApiKey, postApiKey } from '../fixtures/api-keys.ts';
import { createHarness, harnessConfig } from '../fixtures/auth-harness.ts';

const DAY_MS = 24 * 3600 * 1000;
let dataDir = '';

before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-api-key-options-'));
});
after(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function configWith(extra: Record<string, unknown>): AuthConfigInput {
  return { ...harnessConfig({ secret: generateSecret(), dataDir }), ...extra } as AuthConfigInput;
}

/** The problems of the ConfigError createAuth must throw for `config`. */
async function problemsOf(config: AuthConfigInput): Promise<readonly { path: string; message: string }[]> {
  try {
    const auth = await createAuth(config);
    await auth.close();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.problems;
  }
  assert.fail('expected a ConfigError');
}

describe('apiKeys options - declared by the API-key feature', () => {
  it('defaults - auth.config.apiKeys should hold the documented defaults, deeply frozen', async () => {
    const auth = await createAuth(configWith({}));
    try {
      assert.deepEqual(auth.config.apiKeys, {
        env: DEFAULTS.apiKeyEnv,
        scopes: [],
        maxActivePerUser: DEFAULTS.apiKeyMaxActivePerUser,
        defaultTtlDays: DEFAULTS.apiKeyDefaultTtlDays,
        maxTtlDays: DEFAULTS.apiKeyMaxTtlDays,
        lastUsedIntervalSeconds: DEFAULTS.apiKeyLastUsedIntervalSeconds,
        signatureWindowSeconds: DEFAULTS.signatureWindowSeconds,
      });
      assert.ok(Object.isFrozen(auth.config.apiKeys));
      assert.ok(Object.isFrozen(auth.config.apiKeys.scopes));
    } finally {
      await auth.close();
    }
  });

  it('values - the feature should issue keys with the configured env and default lifetime', async () => {
    const h = await createHarness({
      config: { apiKeys: { env: 'test', defaultTtlDays: 30, maxTtlDays: 90 } },
    });
    try {
      assert.equal(h.auth.config.apiKeys.env, 'test');
      const owner = await createKeyOwner(h);
      const response = await postApiKey(h, owner.token, { name: 'staging bot' });
      assert.equal(response.status, 201, response.text);
      parseApiKey(response.body.apiKey, { env: 'test' });
      const key = response.body.key as { createdAt: string; expiresAt: string };
      assert.equal(Date.parse(key.expiresAt) - Date.parse(key.createdAt), 30 * DAY_MS);
    } finally {
      await h.close();
    }
  });

  it('default lifetime over the maximum - should be refused under apiKeys.defaultTtlDays', async () => {
    assert.deepEqual(await problemsOf(configWith({ apiKeys: { defaultTtlDays: 400 } })), [
      { path: 'apiKeys.defaultTtlDays', message: 'must not exceed apiKeys.maxTtlDays' },
    ]);
    assert.deepEqual(await problemsOf(configWith({ apiKeys: { defaultTtlDays: 30, maxTtlDays: 20 } })), [
      { path: 'apiKeys.defaultTtlDays', message: 'must not exceed apiKeys.maxTtlDays' },
    ]);
  });

  it('invalid value - should name the option with its message, and skip the lifetime check then', async () => {
    assert.deepEqual(await problemsOf(configWith({ apiKeys: { env: 'Live!', defaultTtlDays: 400 } })), [
      { path: 'apiKeys.env', message: 'must be 1-16 of a-z and 0-9' },
    ]);
  });

  it('unknown option - should be refused under apiKeys, never echoing its value', async () => {
    const problems = await problemsOf(configWith({ apiKeys: { colour: 'sk-not-a-secret-value' } }));
    assert.deepEqual(problems, [{ path: 'apiKeys', message: 'unknown option(s): colour' }]);
  });

  it('with core problems - should list both in one ConfigError', async () => {
    const problems = await problemsOf(configWith({ appName: 42, apiKeys: { maxActivePerUser: 0 } }));
    assert.deepEqual(problems.map((problem) => problem.path).sort(), ['apiKeys.maxActivePerUser', 'appName']);
  });

  it('an application feature claiming apiKeys - should refuse to start, naming the key', async () => {
    const impostor = defineFeature({
      id: 'impostor',
      config: { key: 'apiKeys', schema: z.object({}).prefault({}) },
      build: () => ({}),
    });
    await assert.rejects(
      // @ts-expect-error: the types refuse it as well (the input's apiKeys is the built-in shape)
      createAuth(configWith({}), { features: [impostor] }),
      (error: unknown) => error instanceof TypeError && /configuration key "apiKeys"/.test(error.message),
    );
  });
});
