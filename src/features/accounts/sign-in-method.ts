import type { SignInMethodSource } from '../../core/index.ts';
import { transactionOf } from '../../stores/sql/kit.ts';

interface PasswordTables {
  users: { id: string; password_hash: string | null };
}

/** An account's password, a way in when it has one. */
export const passwordSignInMethod: SignInMethodSource = Object.freeze({
  method: 'password',
  async count(userId: string, within: unknown): Promise<number> {
    const row = await transactionOf<PasswordTables>(within)
      .selectFrom('users')
      .select(['password_hash'])
      .where('id', '=', userId)
      .executeTakeFirst();
    return row?.password_hash == null ? 0 : 1;
  },
});
