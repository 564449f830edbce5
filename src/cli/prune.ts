import { parseArgs } from 'node:util';
import { commandAuth } from './instance.ts';
import { type CliIo, EXIT, UsageError } from './output.ts';

const USAGE = 'prune takes [--batch-size <n>] (10 to 10000) and [--task <name>]…';

/**
 * `gatehouse prune`: runs every pruning task to completion in batches and prints what each
 * removed. Exit 0 when every task succeeded; 1 when one failed, or when another process holds
 * the prune lock (nothing was done; try again later).
 */
export async function pruneCommand(args: readonly string[], io: CliIo): Promise<number> {
  let values: { 'batch-size'?: string; task?: string[] };
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { 'batch-size': { type: 'string' }, task: { type: 'string', multiple: true } },
      strict: true,
      allowPositionals: false,
    }));
  } catch {
    throw new UsageError(USAGE);
  }
  const raw = values['batch-size'];
  if (raw !== undefined && (!/^\d{2,5}$/.test(raw) || Number(raw) < 10 || Number(raw) > 10_000))
    throw new UsageError(USAGE);
  const auth = await commandAuth(io);
  try {
    const unknown = (values.task ?? []).filter((name) => !auth.maintenance.tasks.includes(name));
    if (unknown.length > 0)
      throw new UsageError(`unknown task ${unknown.join(', ')}; tasks: ${auth.maintenance.tasks.join(', ')}`);
    const outcome = await auth.maintenance.prune({
      batchSize: raw === undefined ? auth.config.maintenance.batchSize : Number(raw),
      ...(values.task ? { only: values.task } : {}),
      onTask: (task) =>
        io.out(
          task.error === undefined
            ? `${task.name}: removed ${task.removed} in ${task.batches} batch${task.batches === 1 ? '' : 'es'} (${task.durationMs} ms)`
            : `${task.name}: FAILED after removing ${task.removed}: ${task.error}`,
        ),
    });
    if (!outcome.ran) {
      io.err('gatehouse prune: another process is pruning (the prune lock is held); nothing done');
      return EXIT.failed;
    }
    const removed = outcome.tasks.reduce((sum, task) => sum + task.removed, 0);
    io.out(`removed ${removed} in total`);
    return outcome.tasks.some((task) => task.error !== undefined) ? EXIT.failed : EXIT.ok;
  } finally {
    await auth.close();
  }
}
