import type { SignInMethodSource } from '../../core/index.ts';
import { transactionOf } from '../../stores/sql/kit.ts';
import type { PasskeyTables } from './tables.ts';

/** An account's passkeys, each a way in (counted by every removal of a way in). */
export const passkeySignInMethod: SignInMethodSource = Object.freeze({
  method: 'passkey',
  async count(userId: string, within: unknown): Promise<number> {
    const row = await transactionOf<PasskeyTables>(within)
      .selectFrom('passkeys')
      .select((eb) => eb.fn.countAll<number | string>().as('count'))
      .where('user_id', '=', userId)
      .executeTakeFirstOrThrow();
    return Number(row.count);
  },
});
