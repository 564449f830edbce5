import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { Auth } from '../index.ts';
import { commandAuth } from './instance.ts';
import { type CliIo, EXIT, UsageError } from './output.ts';

const USAGE =
  'audit takes `tail [--limit <n>] [--type <type>] [--user <id>] [--follow] [--interval-ms <n>] [--json]`';

type AuditEvent = Awaited<ReturnType<Auth['api']['admin']['audit']['list']>>['events'][number];

function line(event: AuditEvent, json: boolean): string {
  if (json) return JSON.stringify(event);
  const data = Object.keys(event.data ?? {}).length > 0 ? `  ${JSON.stringify(event.data)}` : '';
  return `${event.at}  ${event.type.padEnd(28)}  user=${event.userId ?? '-'}${data}`;
}

/**
 * `gatehouse audit tail`: the newest events, oldest first; `--follow` keeps printing new ones
 * (polling the database) until interrupted.
 */
export async function auditCommand(
  args: readonly string[],
  io: CliIo,
  signal: AbortSignal = abortOnInterrupt(),
): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'tail') throw new UsageError(USAGE);
  let values: {
    limit?: string;
    type?: string;
    user?: string;
    follow?: boolean;
    'interval-ms'?: string;
    json?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: rest,
      options: {
        limit: { type: 'string' },
        type: { type: 'string' },
        user: { type: 'string' },
        follow: { type: 'boolean' },
        'interval-ms': { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch {
    throw new UsageError(USAGE);
  }
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  const interval = values['interval-ms'] === undefined ? 1000 : Number(values['interval-ms']);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000 || !Number.isInteger(interval) || interval < 100)
    throw new UsageError(USAGE);
  const auth = await commandAuth(io);
  try {
    const filter = {
      ...(values.type === undefined ? {} : { type: values.type }),
      ...(values.user === undefined ? {} : { userId: values.user }),
    };
    const json = values.json === true;
    const seen = new Set<string>();
    const first = await auth.api.admin.audit.list({ ...filter, limit });
    let since = 0;
    for (const event of [...first.events].reverse()) {
      io.out(line(event, json));
      seen.add(event.id);
      since = Math.max(since, Date.parse(event.at));
    }
    while (values.follow && !signal.aborted) {
      await sleep(interval, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) break;
      // Inclusive of the last time seen (events of one millisecond), deduplicated by id.
      const page = await auth.api.admin.audit.list({ ...filter, since, limit: 1000 });
      for (const event of [...page.events].reverse()) {
        if (seen.has(event.id)) continue;
        io.out(line(event, json));
        seen.add(event.id);
        since = Math.max(since, Date.parse(event.at));
      }
      // Only the ids of the newest millisecond are needed to deduplicate.
      if (seen.size > 10_000) seen.clear();
    }
    return EXIT.ok;
  } finally {
    await auth.close();
  }
}

function abortOnInterrupt(): AbortSignal {
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return controller.signal;
}
