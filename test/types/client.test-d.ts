/**
 * Type-level checks of `gatehouse/client`, checked by `npm run typecheck` (tsc reads test/) and
 * never run. Each `@ts-expect-error` line must fail to compile, or tsc reports the directive as
 * unused, so every "this is refused" below is proven.
 *
 * Invariants: method inputs are the route's body/path/query types (a wrong or missing field
 * fails); results are `{ data, error: null } | { data: null, error }`, `data` typed by the
 * route's success schema; `error.code` is the route's codes plus the client's own, so
 * `switch (error.code)` narrows and a code the route cannot answer fails to compile.
 *
 * @see issue #14
 */
import { type AuthClient, createAuthClient, type SessionState } from '../../src/client/index.ts';
import type { useSession } from '../../src/client/react/index.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function assertType<_T extends true>(): void {}

declare const client: AuthClient;

export async function inputs(): Promise<void> {
  await client.auth.login({ email: 'a@example.test', password: 'pw' });
  // @ts-expect-error a field the body does not declare
  await client.auth.login({ email: 'a@example.test', password: 'pw', admin: true });
  // @ts-expect-error the password is required
  await client.auth.login({ email: 'a@example.test' });
  // @ts-expect-error email is a string
  await client.auth.login({ email: 42, password: 'pw' });
  await client.users.me.sessions.revoke({ id: 'session-id' });
  // @ts-expect-error the path parameter is required
  await client.users.me.sessions.revoke({});
  await client.users.me.get();
  await client.users.me.get({ signal: AbortSignal.timeout(1000) });
  // The client fills the pending token in.
  await client.auth.twoFactor.verify({ code: '123456' });
  await client.auth.oauth.authorize.get({ provider: 'google', redirectTo: '/home' });
  // @ts-expect-error query parameters are typed too
  await client.auth.oauth.authorize.get({ provider: 'google', redirect: '/home' });
}

export async function results(): Promise<void> {
  const me = await client.users.me.get();
  if (me.error === null) {
    assertType<Equal<typeof me.data.user.email, string>>();
    assertType<Equal<typeof me.data.user.name, string | null>>();
    // @ts-expect-error data is the route's schema, nothing else
    me.data.user.password;
  } else {
    assertType<Equal<typeof me.data, null>>();
    assertType<Equal<typeof me.error.retryAfter, number | null>>();
  }
  const login = await client.auth.login({ email: 'a@example.test', password: 'pw' });
  if (login.data !== null && 'accessToken' in login.data) {
    assertType<Equal<typeof login.data.tokenType, 'Bearer'>>();
  }
}

export async function errorCodes(): Promise<string> {
  const { error } = await client.auth.login({ email: 'a@example.test', password: 'pw' });
  if (error === null) return 'ok';
  switch (error.code) {
    case 'LOGIN_BAD_CREDENTIALS':
      assertType<Equal<typeof error.code, 'LOGIN_BAD_CREDENTIALS'>>();
      return 'wrong email or password';
    case 'RATE_LIMITED':
      return `retry in ${error.retryAfter ?? 1} s`;
    case 'NETWORK_ERROR':
      return 'offline';
    // @ts-expect-error login never answers this code
    case 'API_KEY_INVALID':
      return 'impossible';
    default:
      return error.message;
  }
}

export async function stepUpCodes(): Promise<void> {
  const { error } = await client.users.me.apiKeys.create({ name: 'ci' });
  if (error?.code === 'STEP_UP_REQUIRED') assertType<Equal<typeof error.status, number>>();
  // @ts-expect-error listing sessions cannot answer a 2FA code error
  if ((await client.users.me.sessions.list()).error?.code === 'TWO_FACTOR_CODE_INVALID') return;
}

export function options(): void {
  createAuthClient({ baseUrl: 'https://api.example.test', transport: 'bearer', onStepUp: () => '123456' });
  // @ts-expect-error only the two transports exist
  createAuthClient({ baseUrl: 'https://api.example.test', transport: 'session' });
  const state: SessionState = client.session.get();
  if (state.status === 'signed-out')
    assertType<
      Equal<typeof state.reason, 'no-session' | 'signed-out' | 'refresh-failed' | 'session-ended'>
    >();
  assertType<Equal<ReturnType<typeof useSession>, SessionState>>();
  client.request('GET', '/widgets', { query: { page: '2' } });
}
