/**
 * `auth.api.admin`: the admin service for operators' tools (the `gatehouse users` and `audit`
 * commands, an application's own back office). The same rules as the admin API: the last
 * active admin cannot be deleted, deactivated or demoted (`LAST_ADMIN`), created accounts get a
 * set-password link and never a password, and every change is audited — with the actor named
 * by the caller (`operator:<name>`), since there is no signed-in admin.
 */
import type { RequestMeta } from '../../core/index.ts';
import type { createAdminService } from './service.ts';

type AdminService = ReturnType<typeof createAdminService>;

/** Who acts, for the audit trail: e.g. `cli` for the `gatehouse` command. */
export interface OperatorOptions {
  readonly actor?: string;
}

export function adminLibraryApi(admin: AdminService) {
  const as = (options: OperatorOptions = {}) => {
    const name = `operator:${options.actor ?? 'api'}`;
    const meta: RequestMeta = { requestId: name, clientIp: 'unknown', userAgent: null };
    return { actor: { userId: name, sessionId: name }, meta };
  };
  return Object.freeze({
    users: Object.freeze({
      list: (query: Parameters<AdminService['listUsers']>[0]) => admin.listUsers(query),
      get: (id: string) => admin.getUser(id),
      create: (input: Parameters<AdminService['createUser']>[0], options?: OperatorOptions) => {
        const { actor, meta } = as(options);
        return admin.createUser(input, actor, meta);
      },
      update: (id: string, changes: Parameters<AdminService['updateUser']>[1], options?: OperatorOptions) => {
        const { actor, meta } = as(options);
        return admin.updateUser(id, changes, actor, meta);
      },
      delete: (id: string, deletion: { readonly hard?: boolean } = {}, options?: OperatorOptions) => {
        const { actor, meta } = as(options);
        return admin.deleteUser(id, deletion.hard === true, actor, meta);
      },
      unlock: (id: string, options?: OperatorOptions) => {
        const { actor, meta } = as(options);
        return admin.unlock(id, actor, meta);
      },
      resetTwoFactor: (id: string, options?: OperatorOptions) => {
        const { actor, meta } = as(options);
        return admin.resetTwoFactor(id, actor, meta);
      },
      revokeSessions: (id: string, options?: OperatorOptions) => {
        const { actor, meta } = as(options);
        return admin.revokeSessions(id, actor, meta);
      },
    }),
    audit: Object.freeze({
      /** Newest first; `since`/`until` are epoch ms (inclusive). */
      list: (query: Parameters<AdminService['listAudit']>[0]) => admin.listAudit(query),
    }),
  });
}

/** The type of `auth.api.admin`. */
export type AdminApi = ReturnType<typeof adminLibraryApi>;
