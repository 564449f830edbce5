/**
 * Passkeys: one row per WebAuthn credential. The credential id is the primary key, so one
 * authenticator credential can never belong to two accounts. Never rename or edit a migration
 * once released: add another.
 */
import { type Kysely, type Migration, sql } from 'kysely';

function passkeysMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('passkeys')
        .addColumn('id', 'text', (col) => col.primaryKey().notNull())
        .addColumn('user_id', 'text', (col) => col.notNull())
        .addColumn('name', 'text', (col) => col.notNull())
        .addColumn('public_key', 'text', (col) => col.notNull())
        .addColumn('counter', 'bigint', (col) => col.notNull().defaultTo(0))
        .addColumn('transports', 'text', (col) => col.notNull().defaultTo('[]'))
        .addColumn('device_type', 'text', (col) => col.notNull())
        .addColumn('backup_eligible', 'integer', (col) => col.notNull())
        .addColumn('backed_up', 'integer', (col) => col.notNull())
        .addColumn('aaguid', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('last_used_at', 'bigint')
        .addCheckConstraint(
          'passkeys_backup_flags_check',
          sql`backup_eligible in (0, 1) and backed_up in (0, 1)`,
        )
        .addForeignKeyConstraint('passkeys_user_id_fk', ['user_id'], 'users', ['id'], (fk) =>
          fk.onDelete('cascade'),
        )
        .execute();
      await db.schema.createIndex('passkeys_user_id_idx').on('passkeys').column('user_id').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('passkeys').execute();
    },
  };
}

/** The feature's migrations by name (its definition's `migrations`). */
export const PASSKEY_MIGRATIONS = Object.freeze({ '0013_passkeys': () => passkeysMigration() });
