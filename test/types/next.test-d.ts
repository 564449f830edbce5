/**
 * Type tests (checked by `npm run typecheck`, never run): gatehouse/next against Next's own
 * types. The handlers are route handlers Next accepts for a catch-all; nextAuth takes Next's
 * `headers` as it is; `authorize` answers a Principal or a Response that `instanceof` narrows;
 * `getAuth` a Principal or null; signInRedirect is a NextProxy; a lazyAuth value is accepted
 * wherever the instance is.
 */
// Next has no exports map: under nodenext resolution its entry files are named with .js.
import { headers } from 'next/headers.js';
import type { NextProxy, NextRequest } from 'next/server.js';
import {
  type NextAuthError,
  nextAuth,
  signInRedirect,
  toNextHandlers,
} from '../../src/http/adapters/next/index.ts';
import type { Principal } from '../../src/http/index.ts';
import { type Auth, createAuth, type LazyAuth, lazyAuth } from '../../src/index.ts';

/** What Next 16 generates for `app/api/[...gatehouse]/route.ts`. */
type CatchAllContext = { params: Promise<{ gatehouse: string[] }> };
type NextRouteHandler = (request: NextRequest, context: CatchAllContext) => Promise<Response>;

export async function nextTypeCheck(request: NextRequest): Promise<void> {
  const lazy: LazyAuth<Auth> = lazyAuth(() => createAuth(), { globalKey: 'types' });
  const instance: Auth = await lazy.get();

  const fromLazy = toNextHandlers(lazy);
  const fromInstance = toNextHandlers(instance, { mountPath: '/api' });
  const get: NextRouteHandler = fromLazy.GET;
  const post: NextRouteHandler = fromInstance.POST;
  const { PUT, PATCH, DELETE, HEAD, OPTIONS } = fromLazy;
  void [get, post, PUT, PATCH, DELETE, HEAD, OPTIONS];

  const { getAuth, authorize, requireAuth } = nextAuth(lazy, { headers });
  const caller: Principal | null = await getAuth();
  const admin = await authorize({ request, roles: ['admin'] });
  if (admin instanceof Response) {
    const refusal: Response = admin;
    void refusal;
  } else {
    const userId: string = admin.userId;
    void userId;
  }
  const required: Principal = await requireAuth({
    stepUp: true,
    otherwise: (refusal: NextAuthError) => {
      const code: string = refusal.code;
      throw new Error(code);
    },
  });
  void [caller, required];

  // @ts-expect-error: roles are a list
  await authorize({ roles: 'admin' });
  // @ts-expect-error: Next's headers must be passed in
  nextAuth(lazy, {});
  // @ts-expect-error: authorize may answer a Response, which has no userId
  void (await authorize()).userId;

  const proxy: NextProxy = signInRedirect({ signInPath: '/login' });
  void proxy;
}
