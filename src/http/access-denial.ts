import type { Logger } from 'pino';
import { isAuthError } from '../core/errors/index.ts';
import type { Principal } from '../core/principal.ts';

/**
 * A 403 answered by Gatehouse's routes or guards. Every refusal of an authorization decision
 * (roles, CSRF, step-up, API-key scopes, password-session-only routes, …) is reported through
 * one hook, so the audit log sees them all without each route remembering to.
 */
export interface AccessDenial {
  /** The catalogue code answered: FORBIDDEN, INSUFFICIENT_ROLES, CSRF_FAILED, STEP_UP_REQUIRED, … */
  readonly code: string;
  readonly method: string;
  /**
   * The route pattern (`/admin/users/:id/api-keys`), never the requested path with its ids;
   * `null` where no pattern is known (a framework-neutral guard check).
   */
  readonly route: string | null;
  /** The caller, or `null` when the refusal came before authentication finished (e.g. CSRF). */
  readonly principal: Principal | null;
  readonly requestId: string;
  readonly clientIp: string;
  readonly userAgent: string | null;
}

/** Told of each 403; it must not throw (a failure is logged and the answer stays the same). */
export type AccessDeniedHook = (denial: AccessDenial) => Promise<void>;

/** Reports `error` to `hook` when the response built from it is a 403. */
export async function reportIfDenied(
  hook: AccessDeniedHook | undefined,
  error: unknown,
  response: Response,
  context: Omit<AccessDenial, 'code'>,
  logger: Logger,
): Promise<void> {
  if (!hook || response.status !== 403) return;
  try {
    await hook({ ...context, code: isAuthError(error) ? error.code : 'FORBIDDEN' });
  } catch (failure) {
    logger.error({ err: failure, requestId: context.requestId }, 'access denial not reported');
  }
}
