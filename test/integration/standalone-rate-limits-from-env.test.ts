/**
 * Operators tune rate limits and lockout without code, and the tuned limits are enforced.
 *
 * Invariant: a `gatehouse serve` process started with `GATEHOUSE_RATE_LIMITS` enforces that
 * budget, not the default: with a login limit of N per address, N parallel logins from one
 * address get an answer and every other one gets 429 `RATE_LIMITED` with `Retry-After` —
 * exactly N winners, within one process and across two processes sharing one Redis. A value
 * the configuration schema refuses stops the start and names the variable and the path.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { generateSecret } from '../../src/index.ts';
import { type JsonReply, jsonCall } from '../fixtures/production-server.ts';
import { type RedisServer, startRedis } from '../fixtures/redis-server.ts';
import { runGatehouse, type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';

/** Far below the default login budget (10 a minute per address and account). */
const LIMIT = 3;
const ATTEMPTS = 10;
const RATE_LIMITS = JSON.stringify({
  // Per address, an hour: the budget cannot refill while the test runs.
  slots: { login: { limit: LIMIT, windowSeconds: 3600, scope: 'ip' } },
  lockout: { maxFailures: 50 },
});

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function newDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-rate-env-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(extra: Record<string, string>): Promise<ServerProcess> {
  const server = await spawnServer({
    env: {
      PORT: '0',
      GATEHOUSE_MODE: 'development',
      GATEHOUSE_DATA_DIR: await newDataDir(),
      GATEHOUSE_SECRETS: `k1:${SECRET}`,
      GATEHOUSE_RATE_LIMITS: RATE_LIMITS,
      ...extra,
    },
  });
  cleanups.push(() => server.kill());
  return server;
}
const SECRET = generateSecret();

/** `ATTEMPTS` logins at once, each for a different unknown account, spread over `servers`. */
function loginStorm(servers: readonly ServerProcess[]): Promise<JsonReply[]> {
  return Promise.all(
    Array.from({ length: ATTEMPTS }, (_, index) =>
      jsonCall((servers[index % servers.length] as ServerProcess).url, 'POST', '/auth/login', {
        body: { email: `nobody-${index}@example.test`, password: 'not the password at all' },
        timeoutMs: 15_000,
      }),
    ),
  );
}

function assertExactlyLimitAnswered(replies: readonly JsonReply[]): void {
  const limited = replies.filter((reply) => reply.status === 429);
  const answered = replies.filter((reply) => reply.status !== 429);
  assert.equal(answered.length, LIMIT, `statuses: ${replies.map((r) => r.status).join(',')}`);
  // The requests within the budget reach the login itself (a wrong password).
  for (const reply of answered) assert.equal(reply.code, 'LOGIN_BAD_CREDENTIALS');
  for (const reply of limited) {
    assert.equal(reply.code, 'RATE_LIMITED');
    assert.match(String(reply.retryAfter), /^[1-9]\d*$/);
  }
}

describe('standalone server - GATEHOUSE_RATE_LIMITS', () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
    cleanups.push(() => redis.stop());
  });

  it(`one process - ${ATTEMPTS} parallel logins from one address: exactly ${LIMIT} answered, the rest 429`, async () => {
    const server = await serve({});
    assertExactlyLimitAnswered(await loginStorm([server]));
  });

  it(`two processes sharing Redis - ${ATTEMPTS} parallel logins across both: exactly ${LIMIT} answered in all`, async () => {
    const [a, b] = await Promise.all([
      serve({ GATEHOUSE_REDIS_URL: redis.url }),
      serve({ GATEHOUSE_REDIS_URL: redis.url }),
    ]);
    assertExactlyLimitAnswered(await loginStorm([a as ServerProcess, b as ServerProcess]));
  });

  it('a value the schema refuses - should stop the start, naming the variable and the path', async () => {
    const run = await runGatehouse(['serve'], {
      env: {
        PORT: '0',
        GATEHOUSE_DATA_DIR: await newDataDir(),
        GATEHOUSE_SECRETS: `k1:${SECRET}`,
        GATEHOUSE_RATE_LIMITS: JSON.stringify({
          slots: { login: { limit: 0, windowSeconds: 60, scope: 'ip' } },
          lockout: { maxFailures: 'five' },
        }),
      },
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /GATEHOUSE_RATE_LIMITS\.slots\.login\.limit: /);
    assert.match(run.stderr, /GATEHOUSE_RATE_LIMITS\.lockout\.maxFailures: /);
  });
});
