/**
 * The prune runner on memory stores (the lock in process): one run at a time, a run that lost
 * its lock past the TTL stops at its next batch, a failing task is reported without stopping
 * the others, and a task that keeps saying "more" is bounded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { MaintenanceTask } from '../feature/index.ts';
import { createMemoryStores } from '../stores/memory/index.ts';
import { createMaintenance, LockLost } from './maintenance.ts';

const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A task that removes `total` rows, `batchSize` at a time, waiting `delayMs` per batch. */
function counting(name: string, total: number, delayMs = 0): MaintenanceTask & { left(): number } {
  let left = total;
  return {
    name,
    left: () => left,
    async prune({ batchSize }) {
      if (delayMs) await sleep(delayMs);
      const removed = Math.min(batchSize, left);
      left -= removed;
      return { removed, more: removed === batchSize };
    },
  };
}

describe('createMaintenance', () => {
  it('runs every task to completion in batches and reports each', async () => {
    const a = counting('a.rows', 25);
    const b = counting('b.rows', 0);
    const maintenance = createMaintenance({
      tasks: [a, b],
      stores: createMemoryStores(),
      now: Date.now,
      logger,
    });
    const outcome = await maintenance.prune({ batchSize: 10, pauseMs: 0 });
    assert.ok(outcome.ran);
    assert.deepEqual(
      outcome.tasks.map((task) => [task.name, task.removed, task.batches]),
      [
        ['a.rows', 25, 3],
        ['b.rows', 0, 1],
      ],
    );
    assert.equal(a.left(), 0);
  });

  it('one run at a time: a second run while the first holds the lock does nothing', async () => {
    const stores = createMemoryStores();
    const slow = counting('slow.rows', 3, 30);
    const maintenance = createMaintenance({ tasks: [slow], stores, now: Date.now, logger });
    const [first, second] = await Promise.all([
      maintenance.prune({ batchSize: 1, pauseMs: 0 }),
      maintenance.prune({ batchSize: 1, pauseMs: 0 }),
    ]);
    assert.equal([first, second].filter((outcome) => outcome.ran).length, 1);
    assert.deepEqual(
      [first, second].find((outcome) => !outcome.ran),
      { ran: false, reason: 'locked' },
    );
    const third = await maintenance.prune({ batchSize: 1, pauseMs: 0 });
    assert.ok(third.ran, 'released once the holder finished');
  });

  it('a run that stalls past the lock TTL loses the lock to the next run and stops at its next batch', async () => {
    const stores = createMemoryStores();
    const stalling = counting('stalling.rows', 10, 80);
    const slow = createMaintenance({ tasks: [stalling], stores, now: Date.now, logger, lockTtlMs: 40 });
    const quick = createMaintenance({ tasks: [counting('quick.rows', 1)], stores, now: Date.now, logger });
    const stalled = slow.prune({ batchSize: 1, pauseMs: 0 });
    await sleep(60);
    const taken = await quick.prune({ pauseMs: 0 });
    assert.ok(taken.ran, 'the expired lock was taken');
    await assert.rejects(stalled, (error: unknown) => error instanceof LockLost);
    assert.ok(stalling.left() >= 8, 'the stalled run stopped instead of pruning beside the new holder');
  });

  it('a failing task is reported and the others still run; a task that always says more is bounded', async () => {
    const failing: MaintenanceTask = {
      name: 'failing.rows',
      prune: async () => {
        throw new Error('database unreachable');
      },
    };
    const endless: MaintenanceTask = {
      name: 'endless.rows',
      prune: async () => ({ removed: 1, more: true }),
    };
    const after = counting('after.rows', 2);
    const maintenance = createMaintenance({
      tasks: [failing, endless, after],
      stores: createMemoryStores(),
      now: Date.now,
      logger,
    });
    const outcome = await maintenance.prune({ batchSize: 1, maxBatches: 5, pauseMs: 0 });
    assert.ok(outcome.ran);
    const [f, e, a] = outcome.tasks;
    assert.equal(f?.error, 'database unreachable');
    assert.equal(e?.batches, 5);
    assert.equal(a?.removed, 2);
  });
});
