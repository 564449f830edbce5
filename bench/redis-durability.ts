/**
 * What `stores.durability` (WAIT after revocations and single-use consumption) costs: a
 * primary and one replica (throwaway redis-servers on loopback, started and stopped here),
 * store calls timed with `replicas: 0` and `replicas: 1`, and the per-request revocation read
 * (one MGET) timed while durable writes run beside it (they use a connection of their own, so
 * reads must not queue behind a WAIT).
 *
 *   node bench/redis-durability.ts [--concurrency=16] [--duration=1500]
 *
 * Loopback replication is far faster than across machines: the WAIT cost here is the floor,
 * and in production it is one primary→replica round trip per durable write.
 */
import { randomUUID } from 'node:crypto';
import { createRedisStores } from '../src/stores/redis/index.ts';
import { startRedis } from '../test/fixtures/redis-server.ts';
import { boundedRun } from './lib/lifecycle.ts';
import { assertNoFailures, closedLoop, machineLine, numberArg, percentile } from './lib/measure.ts';

const concurrency = numberArg('concurrency', 16);
const durationMs = numberArg('duration', 1500);
const run = boundedRun('redis-durability', 120_000);

try {
  const primary = await startRedis();
  run.defer(() => primary.stop());
  const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
  run.defer(() => replica.stop());
  console.log(machineLine());
  console.log(`concurrency ${concurrency}, ${durationMs} ms per figure; p50 / p99 latency in ms\n`);

  for (const replicas of [0, 1]) {
    const stores = createRedisStores({ url: primary.url, durability: { replicas, timeoutMs: 100 } });
    run.defer(() => stores.close());
    await stores.ping();
    const prefix = randomUUID();
    let n = 0;
    const figures: [string, () => Promise<unknown>][] = [
      ['consumeOnce (SET NX)', () => stores.once.consumeOnce(`${prefix}:${n++}`, 60_000)],
      ['denylist.add (script)', () => stores.denylist.add(`${prefix}:d:${n++}`, 60_000)],
      ['getMany (the request read)', () => stores.denylist.getMany(['{t}a', '{t}b', '{t}c', '{t}d'])],
    ];
    for (const [name, call] of figures) {
      const result = await closedLoop(call, { concurrency, durationMs, recordLatencies: true });
      assertNoFailures(name, result);
      console.log(
        `replicas=${replicas}  ${name.padEnd(28)} ${Math.round(result.perSecond).toString().padStart(7)}/s  ` +
          `p50 ${percentile(result.latenciesMs, 50).toFixed(3)}  p99 ${percentile(result.latenciesMs, 99).toFixed(3)}`,
      );
    }
    // Reads while durable writes run at the same time (one writer per 4 readers).
    const writes = closedLoop(() => stores.once.consumeOnce(`${prefix}:m:${n++}`, 60_000), {
      concurrency: Math.max(1, concurrency / 4),
      durationMs,
    });
    const reads = await closedLoop(() => stores.denylist.getMany(['{t}a', '{t}b', '{t}c', '{t}d']), {
      concurrency,
      durationMs,
      recordLatencies: true,
    });
    const mixedWrites = await writes;
    assertNoFailures('mixed reads', reads);
    assertNoFailures('mixed writes', mixedWrites);
    console.log(
      `replicas=${replicas}  getMany beside durable writes ${Math.round(reads.perSecond).toString().padStart(7)}/s  ` +
        `p50 ${percentile(reads.latenciesMs, 50).toFixed(3)}  p99 ${percentile(reads.latenciesMs, 99).toFixed(3)}` +
        `  (writes ${Math.round(mixedWrites.perSecond)}/s)\n`,
    );
  }
} finally {
  await run.cleanup();
}
