import type { Repositories, UserRepository } from '../stores/repositories.ts';

/**
 * The repositories, with every write to a user that changes what the user's view shows (the
 * email and its verification, name, roles, active flag, second factor, the row's deletion)
 * reported once it is in the database, whichever feature made it. The instance turns the
 * report into a `UserChange` every feature hears (the sessions feature then gives the user a
 * new version, which every worker's cached view of the user is checked against).
 *
 * Writes that leave the view as it was (a rehashed password, a TOTP step) are not reported.
 */
export function reportingUserWrites(
  repositories: Repositories,
  written: (userId: string) => Promise<void>,
): Repositories {
  const users = repositories.users;
  const reported: UserRepository = {
    ...users,
    async update(id, changes, now) {
      const user = await users.update(id, changes, now);
      if (user) await written(id);
      return user;
    },
    async replaceTotpSecret(id, expected, next, options) {
      const replaced = await users.replaceTotpSecret(id, expected, next, options);
      if (replaced) await written(id);
      return replaced;
    },
    async delete(id) {
      const deleted = await users.delete(id);
      if (deleted) await written(id);
      return deleted;
    },
  };
  return Object.freeze({ ...repositories, users: Object.freeze(reported) });
}
