/**
 * What `gatehouse/next` takes: the instance `createAuth` returns, or a `lazyAuth` value
 * (structurally: anything with `get()`), which route modules can export before it has started.
 */
import type { Guards } from '../../guards.ts';
import { coreProblemResponse } from '../../problem.ts';

/** What the adapter needs of `createAuth`'s result. */
export interface NextAuthTarget {
  fetch(request: Request, env?: unknown): Promise<Response>;
  readonly config: { readonly http: { readonly basePath: string; readonly trustedProxyHops: number } };
  readonly guards: Pick<Guards, 'checkRule'>;
  readonly logger: { error(object: object, message: string): void };
}

/** A `lazyAuth(...)` value: starts the instance on first use (rejects while it cannot). */
export interface LazyNextAuthTarget {
  get(): Promise<NextAuthTarget>;
}

export type NextAuthSource = NextAuthTarget | LazyNextAuthTarget;

/** The started instance, or the response to send instead (a lazy value that cannot start: 503). */
export async function instanceOf(
  source: NextAuthSource,
): Promise<{ readonly instance: NextAuthTarget } | { readonly response: Response }> {
  if (!('get' in source) || typeof source.get !== 'function') return { instance: source as NextAuthTarget };
  try {
    return { instance: await source.get() };
  } catch {
    // The lazy value logged the cause once; the body says only that Gatehouse is not up. (Not
    // its own fetch: after the cool-down that would start an instance and serve the request
    // without the mount-path rule.)
    return { response: coreProblemResponse('SERVICE_UNAVAILABLE', { retryAfterSeconds: 1 }) };
  }
}
