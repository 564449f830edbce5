/**
 * The slice of a Redis client the Redis stores use. `ioredis` (`Redis` and `Cluster`) fits it
 * as is; any client that can send a raw command and resolve with the decoded reply does too.
 *
 * Replies are expected as ioredis decodes them: bulk strings as `string`, nil as `null`,
 * integers as `number`, arrays as arrays.
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const client: RedisClientLike = new Redis(process.env.REDIS_URL);
 * ```
 */
export interface RedisClientLike {
  /** Sends one command, e.g. `call('SET', key, value, 'PX', 1000, 'NX')`. */
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
}
