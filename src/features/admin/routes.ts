import { z } from 'zod';
import type { Principal, RequestMeta } from '../../core/index.ts';
import { defineRoute, type RouteDefinition, requestMeta } from '../../http/index.ts';
import type { Actor, AdminService } from './service.ts';

/**
 * Admin writes need a fresh factor whether or not the admin has 2FA: the route's step-up (a
 * second factor within the window, or a fresh code) and then this check, which for an admin
 * without 2FA asks for a session that signed in with the password within the window.
 */
export type RecentAuthentication = (
  principal: Principal,
  request: Request,
  meta: RequestMeta,
) => Promise<void>;

const userView = z.strictObject({
  id: z.string(),
  email: z.string(),
  emailVerified: z.boolean(),
  name: z.string().nullable(),
  roles: z.array(z.string()),
  active: z.boolean(),
  twoFactorEnabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
const keyView = z.strictObject({
  id: z.string(),
  prefix: z.string(),
  name: z.string(),
  scopes: z.array(z.string()),
  signing: z.boolean(),
  createdAt: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
const userDetail = userView.extend({
  hasPassword: z.boolean(),
  twoFactor: z.strictObject({ enabled: z.boolean(), recoveryCodesLeft: z.int() }),
  lastSignInAt: z.string().nullable(),
  locked: z.boolean(),
  deletion: z.strictObject({ deletedAt: z.string(), purgeAfter: z.string() }).nullable(),
  sessions: z.array(
    z.strictObject({
      id: z.string(),
      kind: z.enum(['bearer', 'cookie']),
      createdAt: z.string(),
      lastUsedAt: z.string(),
      expiresAt: z.string(),
      userAgent: z.string().nullable(),
      authMethods: z.array(z.string()),
    }),
  ),
  providers: z.array(
    z.strictObject({
      id: z.string(),
      provider: z.string(),
      email: z.string().nullable(),
      linkedAt: z.string(),
    }),
  ),
  apiKeys: z.array(keyView),
});
const eventView = z.strictObject({
  id: z.string(),
  type: z.string(),
  userId: z.string().nullable(),
  requestId: z.string().nullable(),
  userAgent: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  at: z.string(),
});
const activityEvent = eventView.omit({ userId: true, requestId: true });
const exportView = userDetail.omit({ locked: true }).extend({
  exportedAt: z.string(),
  format: z.literal('gatehouse-export/1'),
  auditEvents: z.array(eventView),
});

const roleName = z.string().regex(/^[A-Za-z0-9:._-]{1,64}$/);
const flag = z.enum(['true', 'false']).transform((value) => value === 'true');
const limit = z
  .string()
  .regex(/^[1-9][0-9]{0,2}$/)
  .transform(Number)
  .pipe(z.int().min(1).max(100))
  .optional();
const cursor = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,200}$/)
  .optional();
const instant = z.iso.datetime({ offset: true }).transform((value) => Date.parse(value));
const userId = z.string().regex(/^[0-9a-f-]{36}$/);

const adminOnly = { roles: ['admin'], sessionOnly: true, tags: ['admin'] } as const;
const adminWrite = { ...adminOnly, stepUp: true } as const;
const WRITE_CODES = ['STEP_UP_REQUIRED', 'TWO_FACTOR_CODE_INVALID', 'USER_NOT_FOUND'] as const;

const actorOf = (principal: Principal | null): Actor => {
  const { userId: id, sessionId } = principal!;
  return { userId: id, sessionId };
};

/** The admin API (API.md, Admin) and the owner's account lifecycle (API.md, Account lifecycle). */
export function adminRoutes(options: {
  readonly admin: AdminService;
  readonly requireRecentAuthentication: RecentAuthentication;
}): RouteDefinition[] {
  const { admin } = options;
  /** The fresh-factor check of every admin write; answers the meta the handler records. */
  async function fresh(ctx: {
    principal: Principal | null;
    request: Request;
    requestId: string;
    clientIp: string;
  }) {
    const meta = requestMeta(ctx);
    await options.requireRecentAuthentication(ctx.principal!, ctx.request, meta);
    return meta;
  }
  return [
    defineRoute({
      method: 'GET',
      path: '/admin/users',
      operationId: 'adminListUsers',
      summary: 'Users, oldest first, a page at a time (keyset: stable while users are added)',
      ...adminOnly,
      query: z.strictObject({
        cursor,
        limit,
        q: z.string().trim().min(1).max(320).optional(),
        role: roleName.optional(),
        active: flag.optional(),
        verified: flag.optional(),
        twoFactor: flag.optional(),
      }),
      responses: {
        200: {
          description: 'A page of users; nextCursor is null on the last page',
          schema: z.strictObject({ users: z.array(userView), nextCursor: z.string().nullable() }),
        },
      },
      errorCodes: ['CURSOR_INVALID'],
      async handler(ctx) {
        const { limit: pageSize, ...filters } = ctx.query;
        const page = await admin.listUsers({
          limit: pageSize ?? 50,
          ...Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined)),
        });
        return { status: 200, body: page };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/admin/users',
      operationId: 'adminCreateUser',
      summary: 'Create a user; the owner gets a set-password link (no admin ever chooses a password)',
      ...adminWrite,
      body: z.strictObject({
        email: z.email().max(320),
        name: z.string().trim().min(1).max(200).nullable().optional(),
        roles: z.array(roleName).max(32).optional(),
        verified: z.boolean().optional(),
      }),
      responses: { 201: { description: 'Created', schema: z.strictObject({ user: userView }) } },
      errorCodes: [...WRITE_CODES, 'USER_ALREADY_EXISTS'],
      async handler(ctx) {
        const meta = await fresh(ctx);
        const user = await admin.createUser(ctx.body, actorOf(ctx.principal), meta);
        return { status: 201, body: { user } };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/admin/users/:id',
      operationId: 'adminGetUser',
      summary: 'A user with sessions, linked providers, API-key metadata, 2FA, last sign-in and lock state',
      ...adminOnly,
      responses: { 200: { description: 'The user', schema: z.strictObject({ user: userDetail }) } },
      errorCodes: ['USER_NOT_FOUND'],
      async handler(ctx) {
        return { status: 200, body: { user: await admin.getUser(ctx.params.id) } };
      },
    }),
    defineRoute({
      method: 'PATCH',
      path: '/admin/users/:id',
      operationId: 'adminUpdateUser',
      summary: 'Set roles, active, verified or name (never removing the last active admin)',
      ...adminWrite,
      body: z
        .strictObject({
          roles: z.array(roleName).max(32).optional(),
          active: z.boolean().optional(),
          verified: z.boolean().optional(),
          name: z.string().trim().min(1).max(200).nullable().optional(),
        })
        .refine((body) => Object.keys(body).length > 0, { message: 'nothing to change' }),
      responses: { 200: { description: 'The user', schema: z.strictObject({ user: userView }) } },
      errorCodes: [...WRITE_CODES, 'LAST_ADMIN'],
      async handler(ctx) {
        const meta = await fresh(ctx);
        const user = await admin.updateUser(ctx.params.id, ctx.body, actorOf(ctx.principal), meta);
        return { status: 200, body: { user } };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/admin/users/:id',
      operationId: 'adminDeleteUser',
      summary:
        'Delete a user: soft (deactivated, erased after the grace period) or, with hard=true, every row and store entry at once',
      ...adminWrite,
      query: z.strictObject({ hard: flag.optional() }),
      responses: { 204: { description: 'Deleted; every credential of the user stopped on every worker' } },
      errorCodes: [...WRITE_CODES, 'LAST_ADMIN'],
      async handler(ctx) {
        const meta = await fresh(ctx);
        await admin.deleteUser(ctx.params.id, ctx.query.hard ?? false, actorOf(ctx.principal), meta);
        return { status: 204 };
      },
    }),
    ...(
      [
        [
          'revoke-sessions',
          'adminRevokeSessions',
          'End every session of the user on every worker',
          'revokeSessions',
        ],
        [
          'reset-two-factor',
          'adminResetTwoFactor',
          'Turn 2FA off for the user (the owner is mailed)',
          'resetTwoFactor',
        ],
        [
          'send-password-reset',
          'adminSendPasswordReset',
          'Mail the user a password-reset link',
          'sendPasswordReset',
        ],
        ['unlock', 'adminUnlockUser', "Lift the login lock on the user's address", 'unlock'],
      ] as const
    ).map(([action, operationId, summary, method]) =>
      defineRoute({
        method: 'POST',
        path: `/admin/users/:id/${action}`,
        operationId,
        summary,
        ...adminWrite,
        responses: { 204: { description: 'Done' } },
        errorCodes: [...WRITE_CODES],
        async handler(ctx) {
          const meta = await fresh(ctx);
          await admin[method](ctx.params.id, actorOf(ctx.principal), meta);
          return { status: 204 };
        },
      }),
    ),
    defineRoute({
      method: 'GET',
      path: '/admin/audit',
      operationId: 'adminListAudit',
      summary: 'Audit events, newest first, a page at a time',
      ...adminOnly,
      query: z.strictObject({
        userId: userId.optional(),
        type: z
          .string()
          .regex(/^[a-z0-9_]+(\.[a-z0-9_]+)+$/)
          .max(64)
          .optional(),
        since: instant.optional(),
        until: instant.optional(),
        cursor,
        limit,
      }),
      responses: {
        200: {
          description: 'A page of events; nextCursor is null on the last page',
          schema: z.strictObject({ events: z.array(eventView), nextCursor: z.string().nullable() }),
        },
      },
      errorCodes: ['CURSOR_INVALID'],
      async handler(ctx) {
        const { limit: pageSize, ...filters } = ctx.query;
        const page = await admin.listAudit({
          limit: pageSize ?? 50,
          ...Object.fromEntries(Object.entries(filters).filter(([, value]) => value !== undefined)),
        });
        return { status: 200, body: page };
      },
    }),
    defineRoute({
      method: 'DELETE',
      path: '/users/me',
      operationId: 'deleteMyAccount',
      summary: 'Delete my account (password and step-up); every session and key stops on every worker',
      tags: ['account'],
      auth: 'required',
      sessionOnly: true,
      stepUp: true,
      // Required when the account has a password; one without (OAuth only) signs in again instead.
      body: z.strictObject({ currentPassword: z.string().min(1).max(4096).optional() }),
      responses: { 204: { description: 'Deleted (soft or hard per accounts.deletion); a notice is mailed' } },
      errorCodes: ['LOGIN_BAD_CREDENTIALS', 'LAST_ADMIN', 'STEP_UP_REQUIRED', 'TWO_FACTOR_CODE_INVALID'],
      async handler(ctx) {
        const meta = requestMeta(ctx);
        await admin.deleteSelf(ctx.principal!, ctx.body.currentPassword, meta, () =>
          options.requireRecentAuthentication(ctx.principal!, ctx.request, meta),
        );
        return { status: 204 };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/users/me/export',
      operationId: 'exportMyData',
      summary: 'Everything stored about me, as JSON (GDPR articles 15 and 20); no secret or digest',
      tags: ['account'],
      auth: 'required',
      sessionOnly: true,
      responses: { 200: { description: 'The export', schema: exportView } },
      async handler(ctx) {
        const body = await admin.exportSelf(ctx.principal!.userId);
        return {
          status: 200,
          body,
          headers: { 'Content-Disposition': 'attachment; filename="account-export.json"' },
        };
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/users/me/activity',
      operationId: 'listMyActivity',
      summary: 'My security events (sign-ins, password and 2FA changes, keys), newest first',
      tags: ['account'],
      auth: 'required',
      sessionOnly: true,
      query: z.strictObject({ cursor, limit }),
      responses: {
        200: {
          description: 'A page of events; nextCursor is null on the last page',
          schema: z.strictObject({ events: z.array(activityEvent), nextCursor: z.string().nullable() }),
        },
      },
      errorCodes: ['CURSOR_INVALID'],
      async handler(ctx) {
        const page = await admin.activity(ctx.principal!.userId, {
          limit: ctx.query.limit ?? 50,
          ...(ctx.query.cursor === undefined ? {} : { cursor: ctx.query.cursor }),
        });
        return { status: 200, body: page };
      },
    }),
  ];
}
