/**
 * The password hasher, timed: the time of each hash and verify — waiting for a hashing thread
 * included — is what shows a saturated pool (`gatehouse_password_hash_duration_seconds{op}`),
 * beside the calls in flight (`gatehouse_password_hash_in_flight`) and, with the hashing pool,
 * the calls queued for a thread and the queue's limit. A full queue is a 503 with `Retry-After`.
 */
import { coreError, type MetricsRegistrar } from '../../core/index.ts';
import { HashingQueueFullError, type PasswordHasher } from '../../crypto/password.ts';
import type { Argon2Pool } from './hashing-pool.ts';

export function timedHasher(
  hasher: PasswordHasher,
  metrics: MetricsRegistrar,
  pool?: Pick<Argon2Pool, 'queued' | 'maxQueued'>,
): PasswordHasher {
  if (pool) {
    metrics.gauge({
      name: 'gatehouse_password_hash_queued',
      help: 'argon2id calls waiting for a hashing thread (a full queue refuses more with 503)',
      collect: async () => pool.queued(),
    });
    metrics.gauge({
      name: 'gatehouse_password_hash_queue_limit',
      help: 'argon2id calls that may wait for a hashing thread before more are refused',
      collect: async () => pool.maxQueued,
    });
  }
  const duration = metrics.histogram({
    name: 'gatehouse_password_hash_duration_seconds',
    help: 'argon2id hash and verify calls, waiting for a thread-pool thread included, by operation',
    labelNames: ['op'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  });
  const inFlight = metrics.gauge({
    name: 'gatehouse_password_hash_in_flight',
    help: 'argon2id calls started and not finished (queued for or running on the thread pool)',
  });
  const timed =
    <A extends unknown[], R>(op: string, call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const started = performance.now();
      inFlight.inc();
      try {
        return await call(...args);
      } catch (error) {
        // The queue is full: 503 with Retry-After, nothing changed and no attempt counted.
        if (error instanceof HashingQueueFullError)
          throw coreError('SERVICE_UNAVAILABLE', { retryAfterSeconds: error.retryAfterSeconds });
        throw error;
      } finally {
        inFlight.dec();
        duration.observe({ op }, (performance.now() - started) / 1000);
      }
    };
  return {
    needsRehash: (hash) => hasher.needsRehash(hash),
    hash: timed('hash', (password: string) => hasher.hash(password)),
    verify: timed('verify', (hash: string, password: string) => hasher.verify(hash, password)),
    verifyDummy: timed('verify', (password: string) => hasher.verifyDummy(password)),
  };
}
