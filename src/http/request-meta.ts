import type { RequestMeta } from '../core/ports.ts';
import type { RouteContext } from './route.ts';

/** Where a request came from, as sessions and audit events record it. */
export function requestMeta(ctx: Pick<RouteContext, 'requestId' | 'clientIp' | 'request'>): RequestMeta {
  return {
    requestId: ctx.requestId,
    clientIp: ctx.clientIp,
    userAgent: ctx.request.headers.get('user-agent'),
  };
}
