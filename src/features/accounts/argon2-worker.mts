/**
 * Runs in a hashing thread of {@link createArgon2Pool} (`./hashing-pool.ts`): one argon2 call per
 * task, synchronously, so the thread is busy exactly as long as the hash and the pool's queue is
 * the only queue. The pool lowers the thread's priority (`niceIncrement`) before the first task.
 */
import { hashSync, type Options, verifySync } from '@node-rs/argon2';

export type Argon2Task =
  | { readonly op: 'hash'; readonly password: string; readonly options: Options }
  | { readonly op: 'verify'; readonly hash: string; readonly password: string };

export default function run(task: Argon2Task): string | boolean {
  if (task.op === 'hash') {
    const { salt, ...options } = task.options;
    // A Buffer crosses the thread boundary as a plain Uint8Array; argon2 wants a Buffer.
    return hashSync(task.password, { ...options, ...(salt ? { salt: Buffer.from(salt) } : {}) });
  }
  return verifySync(task.hash, task.password);
}
