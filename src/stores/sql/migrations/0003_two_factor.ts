/**
 * Two-factor authentication: recovery codes (keyed digests, each usable once) and, on each
 * session, when it last verified a second factor (step-up).
 */
import { type Kysely, type Migration, sql } from 'kysely';
import type { MigrationContext } from './context.ts';

export function twoFactorMigration(context: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('sessions').addColumn('second_factor_at', 'bigint').execute();
      let codes = db.schema
        .createTable('recovery_codes')
        // The keyed digest of the code (`<keyId>.<mac>`): codes are found by it, never stored.
        .addColumn('digest', 'text', (col) => col.primaryKey().notNull())
        .addColumn('user_id', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('used_at', 'bigint')
        .addForeignKeyConstraint('recovery_codes_user_id_fk', ['user_id'], 'users', ['id'], (fk) =>
          fk.onDelete('cascade'),
        );
      if (context.dialect === 'sqlite') codes = codes.modifyEnd(sql`without rowid`);
      await codes.execute();
      await db.schema
        .createIndex('recovery_codes_user_id_idx')
        .on('recovery_codes')
        .column('user_id')
        .execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('recovery_codes').execute();
      await db.schema.alterTable('sessions').dropColumn('second_factor_at').execute();
    },
  };
}
