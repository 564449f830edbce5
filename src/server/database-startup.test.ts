import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import { retryDatabaseStep, startupUnavailableResponse } from './database-startup.ts';

function capturingLogger(): { logger: pino.Logger; lines: { level: number; msg: string }[] } {
  const lines: { level: number; msg: string }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

const refused = (): Error =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('retryDatabaseStep', () => {
  it('retryDatabaseStep - should retry an unreachable database with a growing delay until the step passes, then call onDone once', async () => {
    const { logger, lines } = capturingLogger();
    const attemptsAt: number[] = [];
    let done = 0;
    const retries = retryDatabaseStep({
      attempt: async () => {
        attemptsAt.push(performance.now());
        if (attemptsAt.length < 4) throw refused();
        return true;
      },
      logger,
      step: 'migrate',
      initialMs: 20,
      maxMs: 60,
      onDone: () => done++,
    });
    await until(() => retries.isDone());
    assert.equal(attemptsAt.length, 4);
    assert.equal(done, 1);
    const gaps = attemptsAt.slice(1).map((at, i) => at - (attemptsAt[i] as number));
    // 20, 40, then capped at 60 (timers never fire early).
    assert.ok((gaps[0] as number) >= 39 && (gaps[1] as number) >= 59, `gaps ${gaps.map(Math.round)}`);
    assert.equal(lines.filter((line) => line.msg === 'database still unreachable').length, 3);
    assert.equal(lines.filter((line) => line.msg === 'database ready: serving requests').length, 1);
    assert.equal(await retries.attemptNow(), true, 'no attempt once done');
    assert.equal(attemptsAt.length, 4);
  });

  it('retryDatabaseStep - should join concurrent attemptNow calls into one attempt, and keep retrying failures that are not unreachability, logged as errors', async () => {
    const { logger, lines } = capturingLogger();
    let attempts = 0;
    let release: (value: boolean) => void = () => {};
    const retries = retryDatabaseStep({
      attempt: () => {
        attempts++;
        if (attempts === 1) return Promise.reject(new Error('migration 0006 failed'));
        return new Promise<boolean>((resolve) => {
          release = resolve;
        });
      },
      logger,
      step: 'migrate',
      initialMs: 60_000,
    });
    try {
      assert.equal(await retries.attemptNow(), false);
      assert.equal(lines.filter((line) => line.level === 50).length, 1, 'a real failure is an error line');
      const joined = [retries.attemptNow(), retries.attemptNow(), retries.attemptNow()];
      assert.equal(attempts, 2, 'one attempt for three concurrent calls');
      release(true);
      assert.deepEqual(await Promise.all(joined), [true, true, true]);
      assert.equal(retries.isDone(), true);
    } finally {
      retries.stop();
    }
  });

  it('retryDatabaseStep - should attempt nothing more once stopped', async () => {
    const { logger } = capturingLogger();
    let attempts = 0;
    const retries = retryDatabaseStep({
      attempt: async () => {
        attempts++;
        throw refused();
      },
      logger,
      step: 'check',
      initialMs: 10,
    });
    await until(() => attempts >= 1);
    retries.stop();
    const stoppedAt = attempts;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.ok(attempts <= stoppedAt + 1, 'an attempt already running may finish, none starts');
    assert.equal(await retries.attemptNow(), false);
  });
});

describe('startupUnavailableResponse', () => {
  it('startupUnavailableResponse - should be a 503 problem with Retry-After and no store', async () => {
    const response = startupUnavailableResponse();
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('content-type'), 'application/problem+json');
    assert.match(response.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.code, 'SERVICE_UNAVAILABLE');
    assert.equal(body.status, 503);
    assert.equal(body.type, 'urn:gatehouse:error:service-unavailable');
  });
});
