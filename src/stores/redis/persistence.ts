/**
 * Does the Redis server keep its data across its own restart? Without AOF and without RDB save
 * points a restart empties it: single-use markers, counters and rate-limit budgets are lost,
 * and the denylist must be rebuilt from the database (see `features/sessions/revocation-list.ts`).
 */
import type { StorePersistence } from '../contract.ts';
import type { CommandRunner } from './command-runner.ts';

/** The value of one `CONFIG GET <name>` reply (`[name, value]`), or `null` when absent. */
function configValue(reply: unknown, name: string): string | null {
  if (!Array.isArray(reply)) return null;
  for (let i = 0; i + 1 < reply.length; i += 2) {
    if (reply[i] === name && typeof reply[i + 1] === 'string') return reply[i + 1] as string;
  }
  return null;
}

/** The server answered with an error (an unknown or forbidden command), as opposed to no answer. */
function refused(error: unknown): boolean {
  return error instanceof Error && (error.cause as Error | undefined)?.name === 'ReplyError';
}

/** `INFO persistence` says whether AOF is on, but not whether RDB save points are set. */
async function fromInfo(redis: CommandRunner): Promise<StorePersistence> {
  try {
    const info = await redis.call('INFO', 'persistence');
    if (typeof info === 'string' && /^aof_enabled:1\r?$/m.test(info)) {
      return { state: 'on', detail: 'appendonly yes (from INFO; CONFIG is not allowed)' };
    }
    return {
      state: 'unknown',
      detail: 'CONFIG is not allowed and INFO shows AOF off; RDB save points cannot be read',
    };
  } catch {
    return { state: 'unknown', detail: 'Redis could not be asked (unreachable, or CONFIG and INFO refused)' };
  }
}

/** Reads `appendonly` and `save`; falls back to `INFO persistence` when CONFIG is disabled. */
export async function probePersistence(redis: CommandRunner): Promise<StorePersistence> {
  let appendonly: string | null;
  let save: string | null;
  try {
    const [aofReply, saveReply] = await Promise.all([
      redis.call('CONFIG', 'GET', 'appendonly'),
      redis.call('CONFIG', 'GET', 'save'),
    ]);
    appendonly = configValue(aofReply, 'appendonly');
    save = configValue(saveReply, 'save');
  } catch (error) {
    // Managed services often rename or refuse CONFIG; an unreachable server is not asked twice.
    if (!refused(error)) return { state: 'unknown', detail: 'Redis could not be reached' };
    return fromInfo(redis);
  }
  if (appendonly === null || save === null) return fromInfo(redis);
  if (appendonly === 'yes') return { state: 'on', detail: 'appendonly yes' };
  if (save.trim() !== '') return { state: 'on', detail: `RDB snapshots only (save ${save.trim()})` };
  return { state: 'off', detail: 'appendonly no and no RDB save points' };
}
