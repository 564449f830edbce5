import { parseArgs } from 'node:util';
import { type Auth, createAuth } from '../index.ts';
import { settingsFromEnv } from '../server/index.ts';
import { type CliIo, EXIT, UsageError } from './output.ts';

type KeyStatus = Awaited<ReturnType<Auth['keys']['status']>>;
type ColumnResult = Awaited<ReturnType<Auth['keys']['reencrypt']>>['columns'][number];

/** Largest `--batch-size`: one page of rows held in memory at a time. */
const MAX_BATCH_SIZE = 10_000;

const USAGE = 'keys takes `status`, or `reencrypt [--batch-size <n>]` with n from 1 to 10000';

/** What `auth.keys.reencrypt` throws at a row it cannot read (the CLI sees public types only). */
interface RotationStopped extends Error {
  readonly rowId: string;
  readonly completed: readonly ColumnResult[];
}

function isRotationStopped(error: unknown): error is RotationStopped {
  return (
    error instanceof Error && error.name === 'KeyRotationError' && 'rowId' in error && 'completed' in error
  );
}

function parseBatchSize(args: readonly string[]): number | undefined {
  let values: { 'batch-size'?: string[] };
  try {
    ({ values } = parseArgs({
      args: [...args],
      // `multiple`, so a repeated flag is refused rather than the last one silently winning.
      options: { 'batch-size': { type: 'string', multiple: true } },
      strict: true,
      allowPositionals: false,
    }));
  } catch {
    // parseArgs quotes the offending argument; usage errors never echo what was typed.
    throw new UsageError(USAGE);
  }
  const given = values['batch-size'];
  if (given === undefined) return undefined;
  const value = given[0];
  if (given.length > 1 || value === undefined || !/^\d{1,5}$/.test(value)) throw new UsageError(USAGE);
  const size = Number(value);
  if (size < 1 || size > MAX_BATCH_SIZE) throw new UsageError(USAGE);
  return size;
}

function printStatus(status: KeyStatus, io: CliIo): void {
  const rows: [string, string, string, string][] = [];
  for (const column of status.columns) {
    const name = `${column.table}.${column.column}`;
    for (const key of column.keys) {
      const note = key.active ? 'active' : key.inRing ? '' : 'not in the keyring: cannot be decrypted';
      rows.push([name, key.keyId, String(key.rows), note]);
    }
    if (column.malformed > 0) rows.push([name, '(malformed)', String(column.malformed), 'not an envelope']);
  }
  const header: [string, string, string, string] = ['column', 'key id', 'rows', ''];
  const widths = [0, 1, 2].map((i) => Math.max(...[header, ...rows].map((row) => row[i]?.length ?? 0)));
  const line = (row: [string, string, string, string]): string =>
    `${row[0].padEnd(widths[0] ?? 0)}  ${row[1].padEnd(widths[1] ?? 0)}  ${row[2].padStart(widths[2] ?? 0)}  ${row[3]}`.trimEnd();
  io.out(line(header));
  for (const row of rows) io.out(line(row));
  const malformed = status.columns.reduce((sum, column) => sum + column.malformed, 0);
  if (malformed > 0) {
    io.out(
      `${malformed} values are not encrypted envelopes: reencrypt stops at them; fix or clear those rows`,
    );
  }
  io.out(
    status.pending === 0
      ? `every encrypted value is under the active key ${status.activeKeyId}`
      : `${status.pending} rows are not under the active key ${status.activeKeyId}: run \`gatehouse keys reencrypt\``,
  );
}

function summarise(results: readonly ColumnResult[], print: (line: string) => void): void {
  for (const result of results) {
    print(
      `${result.table}.${result.column}: ${result.reencrypted} re-encrypted, ${result.alreadyActive} already under the active key, ${result.changedMeanwhile} changed meanwhile (left alone)`,
    );
  }
}

async function reencrypt(auth: Auth, batchSize: number | undefined, io: CliIo): Promise<number> {
  try {
    const result = await auth.keys.reencrypt({
      ...(batchSize === undefined ? {} : { batchSize }),
      onProgress: (progress) =>
        io.out(
          `${progress.table}.${progress.column}: ${progress.done} re-encrypted, ${progress.remaining} remaining`,
        ),
    });
    io.out(`done: re-encryption under the active key ${result.activeKeyId} finished`);
    summarise(result.columns, io.out);
    if (result.columns.some((column) => column.changedMeanwhile > 0)) {
      io.out('rows changed meanwhile were written by the application: check `gatehouse keys status`');
    }
    return EXIT.ok;
  } catch (error) {
    if (!isRotationStopped(error)) throw error;
    io.err(`gatehouse keys reencrypt: stopped: ${error.message}`);
    io.err('nothing was skipped; what was re-encrypted before this row stays done:');
    summarise(error.completed, io.err);
    io.err('fix or clear that row (or put its secret back in GATEHOUSE_SECRETS), then run the command again');
    return EXIT.failed;
  }
}

/**
 * `gatehouse keys status`: rows per key id in every encrypted column, the active key marked.
 * `gatehouse keys reencrypt [--batch-size <n>]`: rewrites every value still under an older
 * secret with the active one, printing progress after each batch. Exit 1 when a row is
 * malformed or under a key no longer in the ring (the rows before it stay done; a second run
 * resumes), 2 for a wrong command line.
 */
export async function keysCommand(args: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (action !== 'status' && action !== 'reencrypt') throw new UsageError(USAGE);
  if (action === 'status' && rest.length > 0) throw new UsageError(USAGE);
  const batchSize = action === 'reencrypt' ? parseBatchSize(rest) : undefined;
  const { config } = settingsFromEnv(io.env);
  // Silent: stdout carries the report only.
  const auth = await createAuth({ ...config, logLevel: 'silent' });
  try {
    const pending = (await auth.migrationStatus()).filter((m) => m.appliedAt === null);
    if (pending.length > 0) {
      io.err(`gatehouse keys: ${pending.length} migrations pending: run \`gatehouse migrate up\` first`);
      return EXIT.failed;
    }
    io.out(`database: ${auth.posture.database}`);
    io.out(`active key: ${auth.keyring.activeId} (ring: ${auth.keyring.ids.join(', ')})`);
    if (action === 'status') {
      printStatus(await auth.keys.status(), io);
      return EXIT.ok;
    }
    return await reencrypt(auth, batchSize, io);
  } finally {
    await auth.close();
  }
}
