/**
 * Type-level checks of `gatehouse/fastify`, checked by `npm run typecheck` and never run. Each
 * `@ts-expect-error` line must fail to compile, or tsc reports the directive as unused.
 *
 * Invariants: `request.auth` is a `Principal | null` on every Fastify request once the module
 * is imported (declaration merging), so a handler must narrow it before reading the user id;
 * the guards are `preHandler`s; the plugin's options need the Gatehouse instance.
 */
import Fastify from 'fastify';
import gatehouse, {
  requireAuth,
  requireRoles,
  requireScopes,
  requireStepUp,
} from '../../src/http/adapters/fastify/index.ts';
import type { Principal } from '../../src/http/index.ts';
import { createAuth } from '../../src/index.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const assertType = <T extends true>(_proof: T): void => undefined;

export async function typeChecks(): Promise<void> {
  const auth = await createAuth({});
  const app = Fastify();
  await app.register(gatehouse, { auth, prefix: '/api' });
  await app.register(gatehouse, { auth, closeOnShutdown: false });
  // @ts-expect-error the plugin needs the Gatehouse instance
  await app.register(gatehouse, { prefix: '/api' });

  app.get('/me', { preHandler: requireAuth() }, async (request) => {
    assertType<Equal<typeof request.auth, Principal | null>>(true);
    // @ts-expect-error `auth` may be null: narrow it first
    const unchecked: string = request.auth.userId;
    const userId: string | undefined = request.auth?.userId;
    return { userId, unchecked };
  });
  app.get(
    '/admin',
    { preHandler: [requireRoles('admin'), requireScopes('reports:read'), requireStepUp()] },
    async (request) => {
      const roles: readonly string[] | undefined = request.auth?.roles;
      return { roles };
    },
  );
  // @ts-expect-error a request has no `principal`: the typed property is `auth`
  app.get('/wrong', async (request) => request.principal);
  assertType<Equal<typeof app.gatehouse.close, () => Promise<void>>>(true);
}
