/**
 * `gatehouse/react`: the client's session store in React. `<AuthProvider client>` puts a client
 * in context; `useSession()` reads its session store with `useSyncExternalStore` (a render per
 * change, never a torn read); `useAuthClient()` gives the client itself, for calls.
 *
 * @example
 * const client = createAuthClient({ baseUrl: '', transport: 'cookie' });
 * root.render(createElement(AuthProvider, { client }, createElement(App)));
 * // in a component:
 * const session = useSession();
 * if (session.status === 'signed-in') return `Hello ${session.user.email}`;
 *
 * @module
 */
import { createContext, createElement, type ReactNode, useContext, useSyncExternalStore } from 'react';
import type { AuthClient } from '../auth-client.ts';
import type { SessionState } from '../session-store.ts';

const AuthClientContext = createContext<AuthClient | null>(null);

export interface AuthProviderProps {
  readonly client: AuthClient;
  readonly children?: ReactNode;
}

/** Makes `client` available to {@link useSession} and {@link useAuthClient} below it. */
export function AuthProvider(props: AuthProviderProps): ReactNode {
  return createElement(AuthClientContext.Provider, { value: props.client }, props.children);
}

/**
 * The client of the nearest {@link AuthProvider}.
 *
 * @throws {Error} outside an `AuthProvider`.
 */
export function useAuthClient(): AuthClient {
  const client = useContext(AuthClientContext);
  if (client === null)
    throw new Error('useAuthClient() and useSession() need an <AuthProvider client={…}> above them');
  return client;
}

/**
 * The session state, re-rendering on every change. Subscribing starts the first load (GET
 * /users/me) when the state is still `loading`; a server render sees `loading`.
 */
export function useSession(): SessionState {
  const { session } = useAuthClient();
  return useSyncExternalStore(session.subscribe, session.get, session.get);
}
