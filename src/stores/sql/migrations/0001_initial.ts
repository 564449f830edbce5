/**
 * Users, sessions, consumed refresh digests and audit events.
 *
 * Column types are the portable subset (`text`, `bigint`, `integer`), so both dialects get the
 * same schema; see `../schema.ts` for the conventions. Constraints and indexes are named so
 * errors and later migrations can refer to them.
 */
import { type Kysely, type Migration, sql } from 'kysely';
import type { MigrationContext } from './context.ts';

export function initialMigration(context: MigrationContext): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('users')
        // SQLite lets a non-integer primary key hold NULL unless told otherwise.
        .addColumn('id', 'text', (col) => col.primaryKey().notNull())
        .addColumn('email', 'text', (col) => col.notNull())
        .addColumn('email_verified_at', 'bigint')
        .addColumn('password_hash', 'text')
        .addColumn('name', 'text')
        .addColumn('is_active', 'integer', (col) => col.notNull().defaultTo(1))
        .addColumn('roles', 'text', (col) => col.notNull().defaultTo('[]'))
        .addColumn('totp_secret', 'text')
        .addColumn('security_stamp', 'text', (col) => col.notNull())
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('updated_at', 'bigint', (col) => col.notNull())
        .addCheckConstraint('users_is_active_check', sql`is_active in (0, 1)`)
        .execute();
      // Unique case-insensitively, and the index lookups by `lower(email)` use.
      await db.schema
        .createIndex('users_email_lower_uq')
        .on('users')
        .unique()
        .expression(sql`lower(email)`)
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id', 'text', (col) => col.primaryKey().notNull())
        .addColumn('user_id', 'text', (col) => col.notNull())
        .addColumn('kind', 'text', (col) => col.notNull())
        .addColumn('refresh_digest', 'text')
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .addColumn('last_used_at', 'bigint', (col) => col.notNull())
        .addColumn('idle_expires_at', 'bigint', (col) => col.notNull())
        .addColumn('absolute_expires_at', 'bigint', (col) => col.notNull())
        .addColumn('revoked_at', 'bigint')
        .addColumn('revoked_reason', 'text')
        .addColumn('ip_hash', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('auth_methods', 'text', (col) => col.notNull().defaultTo('[]'))
        .addForeignKeyConstraint('sessions_user_id_fk', ['user_id'], 'users', ['id'], (fk) =>
          fk.onDelete('cascade'),
        )
        .addUniqueConstraint('sessions_refresh_digest_uq', ['refresh_digest'])
        .addCheckConstraint('sessions_kind_check', sql`kind in ('bearer', 'cookie')`)
        .execute();
      // Listing and revoking a user's sessions; also keeps the cascade from users cheap.
      await db.schema.createIndex('sessions_user_id_idx').on('sessions').column('user_id').execute();
      // Sweeping sessions past their absolute expiry.
      await db.schema
        .createIndex('sessions_absolute_expires_at_idx')
        .on('sessions')
        .column('absolute_expires_at')
        .execute();

      let consumedDigests = db.schema
        .createTable('session_consumed_digests')
        .addColumn('digest', 'text', (col) => col.primaryKey().notNull())
        .addColumn('session_id', 'text', (col) => col.notNull())
        .addColumn('consumed_at', 'bigint', (col) => col.notNull())
        .addForeignKeyConstraint(
          'session_consumed_digests_session_id_fk',
          ['session_id'],
          'sessions',
          ['id'],
          (fk) => fk.onDelete('cascade'),
        );
      // Small rows looked up only by their key: SQLite stores them in the key's B-tree alone.
      if (context.dialect === 'sqlite') consumedDigests = consumedDigests.modifyEnd(sql`without rowid`);
      await consumedDigests.execute();
      await db.schema
        .createIndex('session_consumed_digests_session_id_idx')
        .on('session_consumed_digests')
        .column('session_id')
        .execute();

      await db.schema
        .createTable('audit_events')
        .addColumn('id', 'text', (col) => col.primaryKey().notNull())
        .addColumn('type', 'text', (col) => col.notNull())
        .addColumn('user_id', 'text')
        .addColumn('session_id', 'text')
        .addColumn('request_id', 'text')
        .addColumn('ip_hash', 'text')
        .addColumn('user_agent', 'text')
        .addColumn('data', 'text', (col) => col.notNull().defaultTo('{}'))
        .addColumn('created_at', 'bigint', (col) => col.notNull())
        .execute();
      await db.schema
        .createIndex('audit_events_user_id_created_at_idx')
        .on('audit_events')
        .columns(['user_id', 'created_at'])
        .execute();
      await db.schema
        .createIndex('audit_events_type_created_at_idx')
        .on('audit_events')
        .columns(['type', 'created_at'])
        .execute();
    },

    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropTable('audit_events').execute();
      await db.schema.dropTable('session_consumed_digests').execute();
      await db.schema.dropTable('sessions').execute();
      await db.schema.dropTable('users').execute();
    },
  };
}
