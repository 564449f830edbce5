import { commandAuth } from './instance.ts';
import { type CliIo, EXIT, UsageError } from './output.ts';

/** `gatehouse migrate [up|status]`: applies pending migrations, or lists each with its state. */
export async function migrateCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [action = 'up', ...rest] = args;
  if (rest.length > 0 || (action !== 'up' && action !== 'status')) {
    throw new UsageError('migrate takes one action: up or status');
  }
  // Log lines go to stderr: the listing on stdout stays plain text for people and scripts.
  const auth = await commandAuth(io);
  try {
    io.out(`database: ${auth.posture.database}`);
    if (action === 'up') {
      const { applied } = await auth.migrate();
      io.out(
        applied.length === 0
          ? 'nothing to apply: the schema is up to date'
          : `applied: ${applied.join(', ')}`,
      );
      return EXIT.ok;
    }
    const states = await auth.migrationStatus();
    for (const state of states) {
      io.out(
        `${state.appliedAt ? 'applied' : 'pending'}  ${state.name}${state.appliedAt ? `  ${state.appliedAt.toISOString()}` : ''}`,
      );
    }
    const pending = states.filter((s) => !s.appliedAt).length;
    io.out(pending === 0 ? 'up to date' : `${pending} pending: run \`gatehouse migrate up\``);
    return EXIT.ok;
  } finally {
    await auth.close();
  }
}
