/**
 * The TOTP high-water mark: the last time step whose code a user's second factor accepted.
 * A code is accepted only for a later step, through one conditional UPDATE, so a step (and
 * every earlier one) is used at most once across every worker (RFC 6238 section 5.2). `null`
 * when 2FA is off or no code was accepted yet.
 */
import type { Kysely, Migration } from 'kysely';

export function totpLastStepMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('users').addColumn('totp_last_step', 'bigint').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('users').dropColumn('totp_last_step').execute();
    },
  };
}
