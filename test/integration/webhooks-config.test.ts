/**
 * The `webhooks` option: endpoints subscribe to documented audit event types only, secrets
 * are Standard Webhooks secrets, production wants https on public addresses; every problem is
 * a ConfigError naming the field without repeating a value (a secret must never reach a log).
 * GATEHOUSE_WEBHOOKS carries the option into the standalone server.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WEBHOOK_EVENT_TYPES } from '../../src/features/webhooks/index.ts';
import { type AuthConfigInput, ConfigError, createAuth, generateSecret } from '../../src/index.ts';
import { settingsFromEnv } from '../../src/server/env.ts';
import { capturingTransport, harnessConfig } from '../fixtures/auth-harness.ts';
import { webhookSecret } from '../fixtures/webhook-receiver.ts';

let dataDir = '';
before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-webhooks-config-'));
});
after(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

function developmentConfig(webhooks: unknown): AuthConfigInput {
  return { ...harnessConfig({ secret: generateSecret(), dataDir }), webhooks } as AuthConfigInput;
}

function productionConfig(webhooks: unknown): AuthConfigInput {
  return {
    mode: 'production',
    dataDir,
    logLevel: 'silent',
    baseUrl: 'https://auth.example.com',
    database: { url: `sqlite:${join(dataDir, 'production.db')}` },
    secrets: [{ id: 'k1', secret: generateSecret() }],
    mail: { transport: capturingTransport([]) },
    webhooks,
  } as AuthConfigInput;
}

async function problemsOf(
  config: AuthConfigInput,
): Promise<{ problems: readonly { path: string; message: string }[]; text: string }> {
  try {
    const auth = await createAuth(config);
    await auth.close();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return { problems: error.problems, text: `${error.message}\n${JSON.stringify(error.problems)}` };
  }
  assert.fail('expected a ConfigError');
}

describe('webhooks options', () => {
  it('the subscribable types are exactly the audit types docs/AUDIT.md lists', async () => {
    const doc = await readFile(resolve(import.meta.dirname, '../../docs/AUDIT.md'), 'utf8');
    const documented = [...doc.matchAll(/^\| `([a-z0-9_.]+)` \|/gm)].map((match) => match[1]);
    assert.deepEqual([...WEBHOOK_EVENT_TYPES].sort(), documented.sort());
  });

  it('an unknown event type or a malformed secret is refused, named by its path, the secret never echoed', async () => {
    const secret = 'whsec_not-base64-but-secret-looking-value!!';
    const { problems, text } = await problemsOf(
      developmentConfig({
        endpoints: [
          { url: 'https://hooks.example.com/a', secret, events: ['user.registered', 'user.exploded'] },
        ],
      }),
    );
    const paths = problems.map((problem) => problem.path).sort();
    assert.deepEqual(paths, ['webhooks.endpoints.0.events.1', 'webhooks.endpoints.0.secret']);
    assert.ok(!text.includes('not-base64'), 'the secret is not repeated');
    assert.ok(!text.includes('user.exploded'), 'nor the value given');
  });

  it('production refuses plain http and non-public addresses, unless private networks are allowed', async () => {
    const secret = webhookSecret();
    const endpoint = (url: string) => ({ url, secret, events: ['*'] });
    const { problems } = await problemsOf(
      productionConfig({
        endpoints: [
          endpoint('http://hooks.example.com/a'),
          endpoint('https://127.0.0.1:8443/b'),
          endpoint('https://[::1]/c'),
          endpoint('https://10.1.2.3/d'),
          endpoint('https://localhost/e'),
          endpoint('https://hooks.example.com/f'),
        ],
      }),
    );
    assert.deepEqual(
      problems.map((problem) => problem.path),
      [0, 1, 2, 3, 4].map((index) => `webhooks.endpoints[${index}].url`),
    );
    const allowed = await createAuth(
      productionConfig({ endpoints: [endpoint('https://10.1.2.3/d')], allowPrivateNetworks: true }),
    );
    await allowed.close();
  });

  it('GATEHOUSE_WEBHOOKS takes the option as JSON, or its endpoints as an array, and refuses anything else unechoed', () => {
    const endpoints = [
      { url: 'https://hooks.example.com/a', secret: webhookSecret(), events: ['login.success'] },
    ];
    const asArray = settingsFromEnv({ GATEHOUSE_WEBHOOKS: JSON.stringify(endpoints) });
    assert.deepEqual((asArray.config as { webhooks?: unknown }).webhooks, { endpoints });
    const asObject = settingsFromEnv({ GATEHOUSE_WEBHOOKS: JSON.stringify({ endpoints, maxAttempts: 3 }) });
    assert.deepEqual((asObject.config as { webhooks?: unknown }).webhooks, { endpoints, maxAttempts: 3 });
    assert.throws(
      () => settingsFromEnv({ GATEHOUSE_WEBHOOKS: '{"endpoints": [whsec_secret' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.some((problem) => problem.path === 'GATEHOUSE_WEBHOOKS') &&
        !error.message.includes('whsec_secret'),
    );
  });
});
