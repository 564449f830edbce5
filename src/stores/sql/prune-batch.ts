/**
 * One batch of a pruning task: deletes at most `limit` rows matching `where`, chosen through
 * the index on the filtered column, in one short statement, so no call holds a lock for long
 * and a table of millions of expired rows empties in many small steps that requests pass
 * between. `DELETE … WHERE key IN (SELECT key … LIMIT n)` runs the same on both dialects
 * (PostgreSQL has no `DELETE … LIMIT`; SQLite has it only in optional builds).
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';

export interface PruneBatchSpec {
  readonly table: string;
  /** The primary-key column the batch is chosen by. */
  readonly key: string;
  /** The filter, on an indexed column (e.g. sql`absolute_expires_at <= ${cutoff}`). */
  readonly where: RawBuilder<unknown>;
  readonly limit: number;
}

/** Deletes one batch; `more` when the batch was full (there may be more to remove). */
export async function deleteBatch(
  db: Kysely<unknown>,
  spec: PruneBatchSpec,
): Promise<{ removed: number; more: boolean }> {
  const result =
    await sql`delete from ${sql.table(spec.table)} where ${sql.ref(spec.key)} in (select ${sql.ref(
      spec.key,
    )} from ${sql.table(spec.table)} where ${spec.where} limit ${spec.limit})`.execute(db);
  const removed = Number(result.numAffectedRows ?? 0n);
  return { removed, more: removed >= spec.limit };
}
