/** The public shape of a user in every response (API.md: `user`). Never the hash or the stamp. */
export interface UserView {
  readonly id: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly name: string | null;
  readonly roles: readonly string[];
  readonly twoFactorEnabled: boolean;
  readonly createdAt: string;
}

export function toUserView(user: {
  readonly id: string;
  readonly email: string;
  readonly emailVerifiedAt: number | null;
  readonly name: string | null;
  readonly roles: readonly string[];
  /** The TOTP seed envelope; only whether there is one is shown. */
  readonly totpSecret?: string | null;
  readonly createdAt: number;
}): UserView {
  return {
    id: user.id,
    email: user.email,
    emailVerified: user.emailVerifiedAt !== null,
    name: user.name,
    roles: [...user.roles],
    twoFactorEnabled: user.totpSecret != null,
    createdAt: new Date(user.createdAt).toISOString(),
  };
}
