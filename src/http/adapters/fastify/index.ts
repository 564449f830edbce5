/**
 * Fastify 5 adapter (`gatehouse/fastify`): a plugin that serves Gatehouse's routes inside a
 * Fastify app, decorates `request.auth` and gives route guards as `preHandler` hooks.
 *
 * @example
 * const app = Fastify();
 * await app.register(gatehouse, { auth, prefix: '/api' });
 * app.get('/api/admin', { preHandler: requireRoles('admin') }, (request) => ({ userId: request.auth?.userId }));
 *
 * @module
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { nodeSocketAddress, resolveClientIp } from '../../client-ip.ts';
import type { Guards } from '../../guards.ts';
import type { Principal } from '../../index.ts';
import { withMountPath } from '../../mount-env.ts';
import type { AccessRule } from '../../pipeline.ts';
import { mountPathConflicts } from '../mount-path.ts';

/** What the plugin needs of the instance `createAuth` returns. */
export interface FastifyAuthTarget {
  fetch(request: Request, env?: unknown): Promise<Response>;
  readonly guards: Pick<Guards, 'checkRule'>;
  readonly config: { readonly http: { readonly basePath: string; readonly trustedProxyHops: number } };
  close(): Promise<void>;
}

export interface GatehousePluginOptions {
  /** The Gatehouse instance (`await createAuth(...)`). */
  readonly auth: FastifyAuthTarget;
  /**
   * Where Gatehouse's routes are mounted (`'/api'` → `/api/auth/login`). The prefix is applied
   * once: give it here or as `http.basePath`; when both are given they must be equal.
   */
  readonly prefix?: string;
  /**
   * Close the Gatehouse instance when Fastify closes (`onClose`). Turn off when the app owns an
   * instance it shares with something else and closes it itself.
   * @default true
   */
  readonly closeOnShutdown?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * The caller a Gatehouse guard authenticated: `null` before a guard ran, or for an anonymous
     * caller of `optionalAuth()`; never `null` after `requireAuth()` and the other require guards.
     */
    auth: Principal | null;
  }
  interface FastifyInstance {
    /** The Gatehouse instance registered with the `gatehouse/fastify` plugin. */
    gatehouse: FastifyAuthTarget;
  }
}

const NO_BODY_METHODS = new Set(['GET', 'HEAD']);

/**
 * The request Gatehouse sees: the URL the client sent (prefix included, which is what a
 * signature covers; Gatehouse routes below the prefix, told it through `env`), every header,
 * the raw body stream.
 */
function toWebRequest(request: FastifyRequest): Request {
  const method = request.method;
  const init: RequestInit & { duplex?: 'half' } = { method, headers: toHeaders(request) };
  if (!NO_BODY_METHODS.has(method)) {
    // The plugin's content-type parser left the stream unread: Gatehouse reads, limits and
    // parses it itself, so signatures over the body verify and errors are its problem+json.
    init.body = Readable.toWeb(request.raw) as ReadableStream<Uint8Array>;
    init.duplex = 'half';
  }
  return new Request(`http://${request.headers.host ?? 'localhost'}${request.raw.url ?? '/'}`, init);
}

/** Sends a Web `Response` through Fastify's reply (every `Set-Cookie` kept apart). */
async function sendResponse(reply: FastifyReply, response: Response): Promise<FastifyReply> {
  reply.code(response.status);
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') reply.header(name, value);
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) reply.header('set-cookie', cookies);
  return reply.send(response.body === null ? undefined : Buffer.from(await response.arrayBuffer()));
}

/** Gatehouse's routes: a catch-all under the prefix, in its own encapsulation context. */
async function gatehouseRoutes(
  instance: FastifyInstance,
  options: { readonly auth: FastifyAuthTarget },
): Promise<void> {
  const { auth } = options;
  const prefix = instance.prefix.replace(/\/+$/, '');
  // Scoped to this context: the app's own routes keep Fastify's JSON and text parsers.
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  instance.all('/*', async (request, reply) => {
    // The conflict of prefix and base path was refused at registration (mount-path.ts).
    const env = withMountPath({ incoming: request.raw, outgoing: reply.raw }, prefix);
    const response = await auth.fetch(toWebRequest(request), env);
    return sendResponse(reply, response);
  });
}

async function gatehousePlugin(fastify: FastifyInstance, options: GatehousePluginOptions): Promise<void> {
  const { auth } = options;
  if (auth === undefined || typeof auth.fetch !== 'function') {
    throw new TypeError('gatehouse/fastify needs { auth }: the instance createAuth returns');
  }
  const prefix = `${fastify.prefix}${options.prefix ?? ''}`.replace(/\/+$/, '');
  if (mountPathConflicts(prefix, auth.config.http.basePath)) {
    throw new TypeError(
      'gatehouse/fastify: the prefix and http.basePath differ; give the mount path once (either one, or both equal)',
    );
  }
  fastify.decorate('gatehouse', auth);
  fastify.decorateRequest('auth', null);
  if (options.closeOnShutdown ?? true) fastify.addHook('onClose', () => auth.close());
  await fastify.register(gatehouseRoutes, { auth, prefix: options.prefix ?? '' });
}

/**
 * The plugin: `await app.register(gatehouse, { auth, prefix: '/api' })`. Wrapped with
 * `fastify-plugin` so that `request.auth` and `app.gatehouse` reach the app's routes, while the
 * raw-body parser and Gatehouse's routes stay in a child context of their own.
 */
const gatehouse = fastifyPlugin(gatehousePlugin, { fastify: '5.x', name: 'gatehouse' });
export default gatehouse;
export { gatehouse };

const ANONYMOUS_ALLOWED: AccessRule = Object.freeze({ authentication: 'optional' });
const SIGNED_IN: AccessRule = Object.freeze({ authentication: 'required' });
const STEP_UP: AccessRule = Object.freeze({ authentication: 'required', stepUp: true });

/** A guard as a `preHandler`: Gatehouse's access pipeline, its problem+json on refusal. */
function guard(rule: AccessRule): preHandlerAsyncHookHandler {
  return async function gatehouseGuard(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
    const auth = request.server.gatehouse;
    if (auth === undefined)
      throw new Error('gatehouse/fastify guards need the gatehouse plugin registered first');
    const clientIp = resolveClientIp({
      socketAddress: nodeSocketAddress({ incoming: request.raw }),
      forwardedFor:
        typeof request.headers['x-forwarded-for'] === 'string' ? request.headers['x-forwarded-for'] : null,
      trustedProxyHops: auth.config.http.trustedProxyHops,
    });
    // The guard sees method and headers (cookie CSRF, bearer, API key); the body stays the app's.
    const check = new Request(`http://${request.headers.host ?? 'localhost'}${request.raw.url ?? '/'}`, {
      method: request.method,
      headers: toHeaders(request),
    });
    const outcome = await auth.guards.checkRule(check, rule, {
      clientIp,
      // An earlier guard of this request already authenticated: do it once.
      ...(request.auth === null ? {} : { known: request.auth }),
      route: request.routeOptions.url ?? null,
    });
    if (!outcome.ok) return sendResponse(reply, outcome.response);
    request.auth = outcome.principal;
  };
}

function toHeaders(request: FastifyRequest): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else headers.set(name, value);
  }
  return headers;
}

/** Authenticates when a credential is present (an invalid one is a 401); anonymous callers pass with `request.auth === null`. */
export const optionalAuth = (): preHandlerAsyncHookHandler => guard(ANONYMOUS_ALLOWED);
/** 401 unless the request carries a valid credential. */
export const requireAuth = (): preHandlerAsyncHookHandler => guard(SIGNED_IN);
/** 401 without a credential, 403 `INSUFFICIENT_ROLES` unless the caller holds every role. */
export function requireRoles(...roles: string[]): preHandlerAsyncHookHandler {
  // An empty list would let every signed-in user through: refuse it at setup time.
  if (roles.length === 0 || roles.some((r) => typeof r !== 'string' || r === '')) {
    throw new TypeError('requireRoles needs at least one non-empty role');
  }
  return guard(Object.freeze({ authentication: 'required', roles }));
}
/** 401 without a credential; an API key must hold every scope (people are not limited by scopes). */
export function requireScopes(...scopes: string[]): preHandlerAsyncHookHandler {
  if (scopes.length === 0 || scopes.some((s) => typeof s !== 'string' || s === '')) {
    throw new TypeError('requireScopes needs at least one non-empty scope');
  }
  return guard(Object.freeze({ authentication: 'required', scopes }));
}
/** 401 without a credential; 403 `STEP_UP_REQUIRED` unless a second factor was verified recently or `X-2FA-Code` is fresh. */
export const requireStepUp = (): preHandlerAsyncHookHandler => guard(STEP_UP);
