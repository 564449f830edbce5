/**
 * `lazyAuth`: one start shared by concurrent callers, a failed start answered from memory for
 * the cool-down (503 problem+json with Retry-After, logged once, no secret in the body) and
 * started again after it, `close()` reaching a start still in flight, and the `globalKey`
 * singleton. The helper keeps no timers: the cool-down is a deadline compared on each call.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { generateSecret } from '../crypto/random.ts';
import { createAuth } from './create-auth.ts';
import { LazyAuthClosedError, lazyAuth } from './lazy-auth.ts';

/** A started instance: answers with its serial number, counts its closes. */
class FakeInstance {
  closes = 0;
  readonly serial: number;
  constructor(serial: number) {
    this.serial = serial;
  }
  async fetch(request: Request): Promise<Response> {
    return Response.json({ serial: this.serial, path: new URL(request.url).pathname });
  }
  async close(): Promise<void> {
    this.closes += 1;
  }
}

/** A factory that fails its first `failures` starts with an error holding a secret. */
function flakyFactory(failures: number, delayMs = 5) {
  const calls = { count: 0 };
  const secret = `db-password-${generateSecret().slice(0, 12)}`;
  const factory = async (): Promise<FakeInstance> => {
    calls.count += 1;
    const serial = calls.count;
    await sleep(delayMs);
    if (serial <= failures) throw new Error(`could not open postgres://app:${secret}@db/app`);
    return new FakeInstance(serial);
  };
  return { factory, calls, secret };
}

function recordingLogger() {
  const lines: { object: object; message: string }[] = [];
  return { lines, logger: { error: (object: object, message: string) => lines.push({ object, message }) } };
}

describe('lazyAuth', () => {
  it('starts once for concurrent callers and answers the same instance afterwards', async () => {
    const { factory, calls } = flakyFactory(0);
    const auth = lazyAuth(factory);
    assert.equal(auth.started, false);
    assert.equal(calls.count, 0, 'nothing starts before the first call');
    const instances = await Promise.all(Array.from({ length: 20 }, () => auth.get()));
    assert.equal(calls.count, 1);
    assert.ok(instances.every((instance) => instance === instances[0]));
    assert.equal(auth.started, true);
    assert.equal(await auth.get(), instances[0]);
    const response = await auth.fetch(new Request('http://app.test/api/auth/login'));
    assert.deepEqual(await response.json(), { serial: 1, path: '/api/auth/login' });
    assert.equal(calls.count, 1);
  });

  it('answers a failed start from memory during the cool-down (503, logged once, no secret) and starts again after it', async () => {
    const { factory, calls, secret } = flakyFactory(1);
    const { lines, logger } = recordingLogger();
    const auth = lazyAuth(factory, { retryAfterMs: 150, logger });

    // Concurrent callers of the failing start share it: one start, one log line.
    const first = await Promise.allSettled(Array.from({ length: 10 }, () => auth.get()));
    assert.ok(first.every((outcome) => outcome.status === 'rejected'));
    assert.equal(calls.count, 1);
    assert.equal(lines.length, 1);

    // During the cool-down: the same error at once, nothing started, nothing logged again.
    const during = await Promise.all(
      Array.from({ length: 10 }, () => auth.fetch(new Request('http://app.test/api/auth/login'))),
    );
    for (const response of during) {
      assert.equal(response.status, 503);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      const retryAfter = Number(response.headers.get('retry-after'));
      assert.ok(retryAfter >= 1 && Number.isInteger(retryAfter), `Retry-After ${retryAfter}`);
      const text = await response.text();
      assert.equal((JSON.parse(text) as { code: string }).code, 'SERVICE_UNAVAILABLE');
      assert.ok(!text.includes(secret) && !text.includes('postgres://'), 'the cause stays out of the body');
    }
    await assert.rejects(auth.get(), (error: Error) => error.message.includes(secret));
    assert.equal(calls.count, 1, 'no start during the cool-down');
    assert.equal(lines.length, 1);

    await sleep(170);
    const instance = await auth.get();
    assert.equal(calls.count, 2, 'the first call after the cool-down started again');
    assert.equal(instance.serial, 2);
    const response = await auth.fetch(new Request('http://app.test/api/me'));
    assert.equal(response.status, 200);
    assert.equal(lines.length, 1);
  });

  it('logs each failed start once, and a second failure after the cool-down again', async () => {
    const { factory, calls } = flakyFactory(2, 1);
    const { lines, logger } = recordingLogger();
    const auth = lazyAuth(factory, { retryAfterMs: 0, logger });
    await assert.rejects(auth.get());
    await assert.rejects(auth.get());
    assert.equal((await auth.get()).serial, 3);
    assert.equal(calls.count, 3);
    assert.equal(lines.length, 2);
  });

  it('closes a start still in flight when it lands, and refuses calls after close()', async () => {
    const { factory } = flakyFactory(0, 30);
    let landed: FakeInstance | undefined;
    const auth = lazyAuth(async () => {
      landed = await factory();
      return landed;
    });
    const pending = auth.get();
    await auth.close();
    assert.ok(landed, 'close() waited for the start in flight');
    assert.equal(landed.closes, 1);
    await assert.rejects(pending, LazyAuthClosedError);
    await assert.rejects(auth.get(), LazyAuthClosedError);
    const refused = await auth.fetch(new Request('http://app.test/api/me'));
    assert.equal(refused.status, 503);
    assert.equal(auth.started, false);
  });

  it('close() closes a started instance once', async () => {
    const { factory } = flakyFactory(0, 1);
    const auth = lazyAuth(factory);
    const instance = await auth.get();
    await auth.close();
    await auth.close();
    assert.equal(instance.closes, 1);
  });

  it('globalKey: a module evaluated again gets the first value (one instance), other keys their own', async () => {
    const key = `test-${generateSecret().slice(0, 8)}`;
    const one = flakyFactory(0, 1);
    const two = flakyFactory(0, 1);
    const first = lazyAuth(one.factory, { globalKey: key });
    const again = lazyAuth(two.factory, { globalKey: key });
    const other = lazyAuth(two.factory, { globalKey: `${key}-other` });
    assert.equal(again, first);
    assert.notEqual(other, first);
    assert.equal(await again.get(), await first.get());
    assert.equal(one.calls.count, 1);
    assert.equal(two.calls.count, 0);
    await first.close();
    await other.close();
  });

  it('refuses a factory that is not a function and a negative cool-down', () => {
    assert.throws(() => lazyAuth(undefined as never), TypeError);
    assert.throws(() => lazyAuth(async () => new FakeInstance(1), { retryAfterMs: -1 }), TypeError);
  });
});

describe('lazyAuth with createAuth', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('retries after a start that failed on an unusable data folder, once the folder is fixed', async () => {
    const root = await mkdtemp(join(tmpdir(), 'gatehouse-lazy-auth-'));
    dirs.push(root);
    // The data folder's path goes through a regular file: nothing can be created under it.
    const blocker = join(root, 'blocked');
    await writeFile(blocker, 'not a folder');
    const dataDir = join(blocker, 'data');
    const { lines, logger } = recordingLogger();
    const auth = lazyAuth(
      async () => {
        const instance = await createAuth({ dataDir, secrets: [{ id: 'k1', secret: generateSecret() }] });
        await instance.migrate();
        return instance;
      },
      { retryAfterMs: 50, logger },
    );
    const refused = await auth.fetch(new Request('http://app.test/health'));
    assert.equal(refused.status, 503);
    assert.equal(lines.length, 1);

    await rm(blocker);
    await sleep(60);
    const health = await auth.fetch(new Request('http://app.test/health'));
    assert.equal(health.status, 200, await health.clone().text());
    await auth.close();
  });
});
