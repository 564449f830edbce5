import { randomBytes } from 'node:crypto';
import { type AuditLog, coreError, type Principal, type RequestMeta } from '../../core/index.ts';
import { newId } from '../../crypto/ids.ts';
import type { UserChange } from '../../feature/index.ts';
import type { OAuthAccount, Session, User, UserRepository } from '../../stores/repositories.ts';
import { adminError } from './error-codes.ts';
import type { AdminRepository, ApiKeyMetadata, AuditPage, GuardedOutcome } from './repository.ts';

/** The admin (or the owner) acting, named in the audit event beside the target. */
export interface Actor {
  readonly userId: string;
  readonly sessionId: string;
}

/** What the admin service needs of other features, as the admin feature reads their ports. */
export interface AdminServiceOptions {
  readonly repository: AdminRepository;
  readonly users: Pick<UserRepository, 'create' | 'findByEmail'>;
  readonly listSessions: (userId: string) => Promise<Session[]>;
  readonly listOAuthAccounts: (userId: string) => Promise<OAuthAccount[]>;
  readonly countRecoveryCodes: (userId: string) => Promise<number>;
  readonly revokeAllSessions: (userId: string, reason: string) => Promise<void>;
  /** Tells every feature (sessions end, API-key caches forget) on every worker. */
  readonly userChanged: (userId: string, change: UserChange) => Promise<void>;
  readonly audit: AuditLog;
  readonly normalizeEmail: (input: string) => string | null;
  readonly verifyPassword: (hash: string, password: string) => Promise<boolean>;
  readonly badCredentials: () => Error;
  readonly userExists: () => Error;
  /** Mails the reset (set-password) link, as POST /auth/forgot-password does. */
  readonly sendPasswordReset: (email: string, meta: RequestMeta) => Promise<void>;
  readonly mail: (kind: 'accountDeleted' | 'twoFactorReset', to: string, meta: RequestMeta) => void;
  /** The login lock of the user's address and of their second factor. */
  readonly lock: {
    isLocked(user: { readonly id: string; readonly email: string }): Promise<boolean>;
    clear(user: { readonly id: string; readonly email: string }): Promise<void>;
  };
  readonly deletion: { readonly mode: 'soft' | 'hard'; readonly graceDays: number };
  readonly now: () => number;
}

export interface AdminUserView {
  readonly id: string;
  readonly email: string;
  readonly emailVerified: boolean;
  readonly name: string | null;
  readonly roles: string[];
  readonly active: boolean;
  readonly twoFactorEnabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export function adminUserView(user: User): AdminUserView {
  return {
    id: user.id,
    email: user.email,
    emailVerified: user.emailVerifiedAt !== null,
    name: user.name,
    roles: [...user.roles],
    active: user.isActive,
    twoFactorEnabled: user.totpSecret !== null,
    createdAt: iso(user.createdAt),
    updatedAt: iso(user.updatedAt),
  };
}

const sessionView = (s: Session) => ({
  id: s.id,
  kind: s.kind,
  createdAt: iso(s.createdAt),
  lastUsedAt: iso(s.lastUsedAt),
  expiresAt: iso(Math.min(s.idleExpiresAt, s.absoluteExpiresAt)),
  userAgent: s.userAgent,
  authMethods: [...s.authMethods],
});
const providerView = (a: OAuthAccount) => ({
  id: a.id,
  provider: a.provider,
  email: a.email,
  linkedAt: iso(a.createdAt),
});
const keyView = (k: ApiKeyMetadata) => ({
  id: k.id,
  prefix: k.prefix,
  name: k.name,
  scopes: [...k.scopes],
  signing: k.signing,
  createdAt: iso(k.createdAt),
  expiresAt: iso(k.expiresAt),
  revokedAt: isoOrNull(k.revokedAt),
  lastUsedAt: isoOrNull(k.lastUsedAt),
});
/** An audit event as the APIs show it: no address digest (it identifies nothing to a reader). */
export const eventView = (e: AuditPage[number]) => ({
  id: e.id,
  type: e.type,
  userId: e.userId,
  requestId: e.requestId,
  userAgent: e.userAgent,
  data: e.data,
  at: iso(e.createdAt),
});

/** The cursor of a page: opaque to clients, checked strictly when it comes back. */
export const cursors = {
  ofUser: (id: string) => Buffer.from(`u:${id}`).toString('base64url'),
  ofEvent: (e: { createdAt: number; id: string }) =>
    Buffer.from(`e:${e.createdAt}:${e.id}`).toString('base64url'),
  readUser(cursor: string): string {
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    const match = /^u:([0-9a-f-]{36})$/.exec(text);
    if (!match?.[1]) throw adminError('CURSOR_INVALID');
    return match[1];
  },
  readEvent(cursor: string): { createdAt: number; id: string } {
    const text = Buffer.from(cursor, 'base64url').toString('utf8');
    const match = /^e:(\d{1,16}):([0-9a-f-]{36})$/.exec(text);
    if (!match?.[1] || !match[2]) throw adminError('CURSOR_INVALID');
    return { createdAt: Number(match[1]), id: match[2] };
  },
};

/** The security events a user sees of their own account (`GET /users/me/activity`). */
export const ACTIVITY_TYPES: readonly string[] = Object.freeze([
  'login.success',
  'login.failure',
  'password.changed',
  'password.reset',
  'password.reset_requested',
  'email.changed',
  '2fa.enabled',
  '2fa.disabled',
  '2fa.recovery_code_used',
  '2fa.recovery_codes_regenerated',
  '2fa.locked',
  'session.revoked',
  'session.revoked_others',
  'session.refresh_reuse',
  'apikey.created',
  'apikey.revoked',
  'oauth.linked',
  'oauth.unlinked',
  'admin.user_updated',
  'admin.sessions_revoked',
  'admin.two_factor_reset',
  'admin.password_reset_sent',
  'admin.user_unlocked',
]);

const DAY_MS = 24 * 3600 * 1000;
const newStamp = (): string => randomBytes(16).toString('base64url');
const actorData = (actor: Actor) => ({ actorId: actor.userId, actorSessionId: actor.sessionId });

/** Only the fields that changed, each with its value before and after. */
function changedFields(before: User, after: User): Record<string, { before: unknown; after: unknown }> {
  const fields = {
    roles: [before.roles, after.roles],
    active: [before.isActive, after.isActive],
    verified: [before.emailVerifiedAt !== null, after.emailVerifiedAt !== null],
    name: [before.name, after.name],
  } as const;
  const changes: Record<string, { before: unknown; after: unknown }> = {};
  for (const [field, [was, is]] of Object.entries(fields)) {
    if (JSON.stringify(was) !== JSON.stringify(is)) changes[field] = { before: was, after: is };
  }
  return changes;
}

export type AdminService = ReturnType<typeof createAdminService>;

/**
 * The admin API and self-service account lifecycle. Every change that could remove the last
 * active admin goes through the repository's locked transaction; every admin action is
 * audited with the actor, the target and the changed fields before and after; every
 * deactivation or deletion ends the user's sessions, cookies and API keys on every worker
 * (through `userChanged`, the same fan-out `auth.api.users` uses).
 */
/** Erasures by the pruner are the server's, not a request's. */
const PRUNER_META: RequestMeta = Object.freeze({ requestId: 'pruner', clientIp: 'unknown', userAgent: null });

export function createAdminService(options: AdminServiceOptions) {
  const { repository, audit, now } = options;

  async function existing(id: string): Promise<User> {
    const user = await repository.findUser(id);
    if (user === null) throw adminError('USER_NOT_FOUND');
    return user;
  }
  function settled(result: GuardedOutcome): Extract<GuardedOutcome, { outcome: 'done' }> {
    if (result.outcome === 'not_found') throw adminError('USER_NOT_FOUND');
    if (result.outcome === 'last_admin') throw adminError('LAST_ADMIN');
    return result;
  }

  /** Soft or hard; the user's credentials stop on every worker before the answer. */
  async function remove(
    user: User,
    hard: boolean,
    requestedBy: 'self' | 'admin',
  ): Promise<Extract<GuardedOutcome, { outcome: 'done' }>> {
    const at = now();
    // Deactivated first, in the locked transaction that judges the last-admin rule: a refusal
    // leaves every credential working, and a hard delete that fails later is a soft one.
    const result = settled(
      await repository.softDelete(user.id, {
        deletedAt: at,
        purgeAfter: at + (hard ? 0 : options.deletion.graceDays * DAY_MS),
        requestedBy,
      }),
    );
    // Every feature ends or forgets what the user holds (sessions revoked on every worker,
    // API-key caches dropped, pending links forgotten) while the rows still say which.
    await options.userChanged(
      user.id,
      hard ? { kind: 'deleting' } : { kind: 'updated', rolesChanged: false, isActive: false },
    );
    if (hard) {
      await repository.erase(user.id);
      await options.lock.clear(user);
    }
    return result;
  }

  async function getUser(id: string) {
    const user = await existing(id);
    const [sessions, providers, keys, recoveryCodes, deletion, signIns, locked] = await Promise.all([
      options.listSessions(id),
      options.listOAuthAccounts(id),
      repository.apiKeysOf(id),
      options.countRecoveryCodes(id),
      repository.deletionOf(id),
      repository.listAudit({ userId: id, types: ['login.success'], limit: 1 }),
      options.lock.isLocked(user),
    ]);
    const lastSignIn = signIns[0];
    return {
      ...adminUserView(user),
      hasPassword: user.passwordHash !== null,
      twoFactor: { enabled: user.totpSecret !== null, recoveryCodesLeft: recoveryCodes },
      lastSignInAt: lastSignIn ? iso(lastSignIn.createdAt) : null,
      locked,
      deletion: deletion
        ? { deletedAt: iso(deletion.deletedAt), purgeAfter: iso(deletion.purgeAfter) }
        : null,
      sessions: sessions.map(sessionView),
      providers: providers.map(providerView),
      apiKeys: keys.map(keyView),
    };
  }

  return {
    /**
     * One batch of the pruner: erases accounts whose soft deletion's grace period has ended,
     * as a hard delete does (credentials ended on every worker while the rows name them, then
     * every row erased). An account restored meanwhile is skipped.
     */
    async purgeDue(at: number, limit: number): Promise<{ removed: number; more: boolean }> {
      const due = await repository.duePurges(at, limit);
      let removed = 0;
      for (const id of due) {
        const [user, deletion] = await Promise.all([repository.findUser(id), repository.deletionOf(id)]);
        if (!user || !deletion || deletion.purgeAfter > at) continue;
        await options.userChanged(id, { kind: 'deleting' });
        if (await repository.erase(id)) removed++;
        await options.lock.clear(user);
        await audit.record('account.purged', PRUNER_META, {
          userId: null,
          data: { requestedBy: deletion.requestedBy },
        });
      }
      return { removed, more: due.length >= limit };
    },

    async listUsers(query: {
      cursor?: string;
      limit: number;
      q?: string;
      role?: string;
      active?: boolean;
      verified?: boolean;
      twoFactor?: boolean;
    }) {
      const after = query.cursor === undefined ? undefined : cursors.readUser(query.cursor);
      const users = await repository.listUsers({
        limit: query.limit + 1,
        ...(after === undefined ? {} : { after }),
        ...(query.q === undefined ? {} : { q: query.q }),
        ...(query.role === undefined ? {} : { role: query.role }),
        ...(query.active === undefined ? {} : { active: query.active }),
        ...(query.verified === undefined ? {} : { verified: query.verified }),
        ...(query.twoFactor === undefined ? {} : { twoFactor: query.twoFactor }),
      });
      const page = users.slice(0, query.limit);
      const last = page.at(-1);
      return {
        users: page.map(adminUserView),
        nextCursor: users.length > query.limit && last ? cursors.ofUser(last.id) : null,
      };
    },

    getUser,

    async createUser(
      input: { email: string; name?: string | null; roles?: readonly string[]; verified?: boolean },
      actor: Actor,
      meta: RequestMeta,
    ) {
      const email = options.normalizeEmail(input.email);
      if (email === null) throw coreError('VALIDATION_FAILED');
      const at = now();
      // No password: the owner sets one through the reset link; the admin never sees one.
      const user = await options.users.create({
        id: newId(),
        email,
        passwordHash: null,
        name: input.name ?? null,
        roles: input.roles ?? [],
        emailVerifiedAt: input.verified ? at : null,
        securityStamp: newStamp(),
        now: at,
      });
      if (user === null) throw options.userExists();
      await options.sendPasswordReset(user.email, meta);
      await audit.record('admin.user_created', meta, {
        userId: user.id,
        data: { ...actorData(actor), roles: [...user.roles], verified: user.emailVerifiedAt !== null },
      });
      return adminUserView(user);
    },

    async updateUser(
      id: string,
      changes: { roles?: readonly string[]; active?: boolean; verified?: boolean; name?: string | null },
      actor: Actor,
      meta: RequestMeta,
    ) {
      const current = await existing(id);
      const at = now();
      const verifiedAt =
        changes.verified === undefined
          ? undefined
          : changes.verified
            ? (current.emailVerifiedAt ?? at)
            : null;
      const result = settled(
        await repository.updateUser(
          id,
          {
            ...(changes.roles === undefined ? {} : { roles: [...new Set(changes.roles)] }),
            ...(changes.active === undefined ? {} : { isActive: changes.active }),
            ...(changes.name === undefined ? {} : { name: changes.name }),
            ...(verifiedAt === undefined ? {} : { emailVerifiedAt: verifiedAt }),
          },
          at,
        ),
      );
      const after = result.after as User;
      const diff = changedFields(result.before, after);
      const rolesChanged = 'roles' in diff;
      // Every change, a name or a second factor reset included: the user's cached views on
      // every worker must stop matching (the sessions feature gives the user a new version).
      await options.userChanged(id, {
        kind: 'updated',
        rolesChanged,
        isActive: 'active' in diff ? after.isActive : undefined,
      });
      await audit.record('admin.user_updated', meta, {
        userId: id,
        data: { ...actorData(actor), changes: diff },
      });
      return adminUserView(after);
    },

    async deleteUser(id: string, hard: boolean, actor: Actor, meta: RequestMeta) {
      const user = await existing(id);
      await remove(user, hard, 'admin');
      // A hard delete leaves no trace of the user: the event keeps who acted and when.
      await audit.record('admin.user_deleted', meta, {
        userId: hard ? null : id,
        data: { ...actorData(actor), hard },
      });
    },

    async revokeSessions(id: string, actor: Actor, meta: RequestMeta) {
      await existing(id);
      await options.revokeAllSessions(id, 'admin_revoked');
      await audit.record('admin.sessions_revoked', meta, { userId: id, data: actorData(actor) });
    },

    async resetTwoFactor(id: string, actor: Actor, meta: RequestMeta) {
      const user = await existing(id);
      settled(await repository.updateUser(id, { totpSecret: null, securityStamp: newStamp() }, now()));
      // Sessions that verified the old factor end with it.
      await options.revokeAllSessions(id, 'two_factor_reset');
      // The user's cached views (twoFactorEnabled) stop matching on every worker.
      await options.userChanged(id, { kind: 'updated', rolesChanged: false, isActive: undefined });
      options.mail('twoFactorReset', user.email, meta);
      await audit.record('admin.two_factor_reset', meta, {
        userId: id,
        data: {
          ...actorData(actor),
          changes: { twoFactor: { before: user.totpSecret !== null, after: false } },
        },
      });
    },

    async sendPasswordReset(id: string, actor: Actor, meta: RequestMeta) {
      const user = await existing(id);
      await options.sendPasswordReset(user.email, meta);
      await audit.record('admin.password_reset_sent', meta, { userId: id, data: actorData(actor) });
    },

    async unlock(id: string, actor: Actor, meta: RequestMeta) {
      const user = await existing(id);
      await options.lock.clear(user);
      await audit.record('admin.user_unlocked', meta, { userId: id, data: actorData(actor) });
    },

    async listAudit(query: {
      userId?: string;
      type?: string;
      since?: number;
      until?: number;
      cursor?: string;
      limit: number;
    }) {
      const before = query.cursor === undefined ? undefined : cursors.readEvent(query.cursor);
      const events = await repository.listAudit({
        limit: query.limit + 1,
        ...(query.userId === undefined ? {} : { userId: query.userId }),
        ...(query.type === undefined ? {} : { types: [query.type] }),
        ...(query.since === undefined ? {} : { since: query.since }),
        ...(query.until === undefined ? {} : { until: query.until }),
        ...(before === undefined ? {} : { before }),
      });
      const page = events.slice(0, query.limit);
      const last = page.at(-1);
      return {
        events: page.map(eventView),
        nextCursor: events.length > query.limit && last ? cursors.ofEvent(last) : null,
      };
    },

    /**
     * DELETE /users/me: the password again (an account without one, e.g. OAuth only, proves a
     * sign-in within the step-up window instead), then soft or hard per `accounts.deletion`.
     */
    async deleteSelf(
      principal: Principal,
      currentPassword: string | undefined,
      meta: RequestMeta,
      recentSignIn: () => Promise<void>,
    ) {
      const user = await existing(principal.userId);
      if (user.passwordHash === null) {
        await recentSignIn();
      } else {
        const ok =
          currentPassword !== undefined && (await options.verifyPassword(user.passwordHash, currentPassword));
        if (!ok) throw options.badCredentials();
      }
      const hard = options.deletion.mode === 'hard';
      await remove(user, hard, 'self');
      options.mail('accountDeleted', user.email, meta);
      await audit.record('account.deleted', meta, {
        userId: hard ? null : user.id,
        data: { hard, ...(hard ? {} : { graceDays: options.deletion.graceDays }) },
      });
    },

    /** GET /users/me/export: everything stored about the caller, without secrets or digests. */
    async exportSelf(userId: string) {
      const detail = await getUser(userId);
      const events: ReturnType<typeof eventView>[] = [];
      let before: { createdAt: number; id: string } | undefined;
      // Bounded: at most 100 pages of 1000 events.
      for (let page = 0; page < 100; page += 1) {
        const batch = await repository.listAudit({ userId, limit: 1000, ...(before ? { before } : {}) });
        events.push(...batch.map(eventView));
        const last = batch.at(-1);
        if (batch.length < 1000 || !last) break;
        before = { createdAt: last.createdAt, id: last.id };
      }
      const { locked: _locked, ...profile } = detail;
      return { exportedAt: iso(now()), format: 'gatehouse-export/1', ...profile, auditEvents: events };
    },

    async activity(userId: string, query: { cursor?: string; limit: number }) {
      const before = query.cursor === undefined ? undefined : cursors.readEvent(query.cursor);
      const events = await repository.listAudit({
        userId,
        types: ACTIVITY_TYPES,
        limit: query.limit + 1,
        ...(before === undefined ? {} : { before }),
      });
      const page = events.slice(0, query.limit);
      const last = page.at(-1);
      return {
        events: page.map((e) => {
          const { userId: _u, requestId: _r, ...rest } = eventView(e);
          return rest;
        }),
        nextCursor: events.length > query.limit && last ? cursors.ofEvent(last) : null,
      };
    },
  };
}
