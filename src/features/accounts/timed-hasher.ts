/**
 * The password hasher, timed: argon2id runs on the libuv thread pool (no queue of our own), so
 * the time of each hash and verify — waiting for a pool thread included — is what shows a
 * saturated pool (`gatehouse_password_hash_duration_seconds{op}`), beside the calls in flight
 * (`gatehouse_password_hash_in_flight`).
 */
import type { MetricsRegistrar } from '../../core/index.ts';
import type { PasswordHasher } from '../../crypto/password.ts';

export function timedHasher(hasher: PasswordHasher, metrics: MetricsRegistrar): PasswordHasher {
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
