/**
 * The accounts capability's options, `createAuth({ accounts: {…} })`: how an account is deleted
 * (self-service `DELETE /users/me`; admins choose per request).
 */
import { z } from 'zod';

/** The defaults of the `accounts` options (part of the `DEFAULTS` Gatehouse exports). */
export const ACCOUNTS_DEFAULTS = Object.freeze({
  accountDeletionMode: 'soft' as 'soft' | 'hard',
  /** Days a soft-deleted account waits (deactivated, restorable by an admin) before erasure. */
  accountDeletionGraceDays: 30,
});

/** The top-level option this feature owns. */
export const ACCOUNTS_CONFIG_KEY = 'accounts';

export const accountsOptionsSchema = z
  .strictObject({
    deletion: z
      .strictObject({
        /** `soft`: deactivated at once, erased after `graceDays`; `hard`: erased at once. */
        mode: z.enum(['soft', 'hard']).default(ACCOUNTS_DEFAULTS.accountDeletionMode),
        graceDays: z.int().min(0).max(365).default(ACCOUNTS_DEFAULTS.accountDeletionGraceDays),
      })
      .prefault({}),
  })
  .prefault({});

/** The parsed options, as `build` reads them from `context.options`. */
export type AccountsOptions = z.output<typeof accountsOptionsSchema>;
