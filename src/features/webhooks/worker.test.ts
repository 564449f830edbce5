import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retryDelayMs } from './worker.ts';

describe('retryDelayMs', () => {
  const options = { retryBaseMs: 1_000, retryMaxMs: 60_000 };

  it('doubles with each attempt, between half and all of the exponential wait (jitter)', () => {
    for (const [attempts, full] of [
      [1, 1_000],
      [2, 2_000],
      [3, 4_000],
      [6, 32_000],
    ] as const) {
      assert.equal(
        retryDelayMs(attempts, options, () => 0),
        full / 2,
      );
      assert.equal(
        retryDelayMs(attempts, options, () => 0.999999),
        Math.round(full / 2 + (0.999999 * full) / 2),
      );
      const drawn = retryDelayMs(attempts, options);
      assert.ok(drawn >= full / 2 && drawn <= full, `${drawn} within [${full / 2}, ${full}]`);
    }
  });

  it('never waits longer than retryMaxMs, however many attempts failed', () => {
    for (const attempts of [7, 20, 50, 1_000]) {
      assert.ok(retryDelayMs(attempts, options, () => 0.999999) <= options.retryMaxMs);
      assert.equal(
        retryDelayMs(attempts, options, () => 0),
        options.retryMaxMs / 2,
      );
    }
  });
});
