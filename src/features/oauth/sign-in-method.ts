import type { SignInMethodSource } from '../../core/index.ts';
import { transactionOf } from '../../stores/sql/kit.ts';

interface LinkTables {
  oauth_accounts: { user_id: string; provider: string };
}

/**
 * An account's links to providers that are configured, each a way in (a link to a provider
 * no longer configured signs no one in, so it does not count).
 */
export function oauthSignInMethod(configured: readonly string[]): SignInMethodSource {
  return Object.freeze({
    method: 'oauth',
    async count(userId: string, within: unknown): Promise<number> {
      if (configured.length === 0) return 0;
      const row = await transactionOf<LinkTables>(within)
        .selectFrom('oauth_accounts')
        .select((eb) => eb.fn.countAll<number | string>().as('count'))
        .where('user_id', '=', userId)
        .where('provider', 'in', configured)
        .executeTakeFirstOrThrow();
      return Number(row.count);
    },
  });
}
