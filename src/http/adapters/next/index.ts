/**
 * Next.js App Router adapter (`gatehouse/next`): route handlers for Gatehouse's routes, the
 * caller in Server Components, Route Handlers and Server Actions, and a sign-in redirect for
 * `proxy.ts`. It never imports `next`: Next's `headers` is passed in. Gatehouse needs the
 * Node.js runtime (node:sqlite, argon2): see docs/NEXT.md.
 *
 * @example
 * // lib/auth.ts
 * export const auth = lazyAuth(() => createAuth(config), { globalKey: 'my-app' });
 * export const { getAuth, authorize, requireAuth } = nextAuth(auth, { headers });
 * // app/api/[...gatehouse]/route.ts
 * export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = toNextHandlers(auth);
 *
 * @module
 */
export type { Principal } from '../../index.ts';
export {
  type NextHandlers,
  type NextHandlersOptions,
  type NextRouteContext,
  type NextRouteHandler,
  toNextHandlers,
} from './handlers.ts';
export { type SignInRedirectOptions, signInRedirect } from './proxy.ts';
export {
  type AccessOptions,
  type HeadersSource,
  type NextAuth,
  NextAuthError,
  type NextAuthOptions,
  nextAuth,
  type RequireAuthOptions,
} from './server-auth.ts';
export type { LazyNextAuthTarget, NextAuthSource, NextAuthTarget } from './source.ts';
