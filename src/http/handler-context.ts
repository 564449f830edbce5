import type { Logger } from 'pino';
import type { Principal } from '../core/principal.ts';
import { UNKNOWN_CLIENT_IP } from './client-ip.ts';
import type { RouteContext } from './route.ts';

/**
 * What a route handler receives, filled in as the pipeline learns it (the failure path reports
 * whoever was authenticated by then). A class rather than an object literal with getters: the
 * logger child and the response headers are made only when used, and a literal's getters are
 * defined anew on every request.
 */
export class HandlerContext implements RouteContext {
  body: unknown = undefined;
  query: unknown = undefined;
  params: Readonly<Record<string, string>> = {};
  clientIp: string = UNKNOWN_CLIENT_IP;
  principal: Principal | null = null;
  readonly request: Request;
  readonly requestId: string;
  /** What the handler added through `responseHeaders`; unset when it added nothing. */
  addedHeaders: Headers | undefined = undefined;
  readonly #parentLogger: Logger;
  #logger: Logger | undefined = undefined;

  constructor(request: Request, requestId: string, parentLogger: Logger) {
    this.request = request;
    this.requestId = requestId;
    this.#parentLogger = parentLogger;
  }

  get logger(): Logger {
    this.#logger ??= this.#parentLogger.child({ requestId: this.requestId });
    return this.#logger;
  }

  get responseHeaders(): Headers {
    this.addedHeaders ??= new Headers();
    return this.addedHeaders;
  }
}
