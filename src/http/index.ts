/**
 * The HTTP layer: app assembly from a route table, problem details, client IP resolution.
 * Runtime adapters live in `adapters/` and import only from here.
 *
 * @module
 */

export type { Principal } from '../core/principal.ts';
export type { AccessDenial, AccessDeniedHook } from './access-denial.ts';
export {
  type CreateHttpAppOptions,
  createHttpApp,
  type HttpAppEnv,
  OPENAPI_PATH,
  type RequestRecord,
} from './app.ts';
export { type Authenticator, type AuthenticatorChain, createAuthenticatorChain } from './authenticator.ts';
export {
  DEFAULT_BODY_LIMIT_BYTES,
  isJsonContentType,
  MAX_JSON_DEPTH,
} from './body.ts';
export {
  type ClientIpInput,
  MAX_TRUSTED_PROXY_HOPS,
  normalizeIp,
  resolveClientIp,
  UNKNOWN_CLIENT_IP,
} from './client-ip.ts';
export {
  type CookieAttributes,
  type CookieLookup,
  readCookie,
  serializeCookie,
  sessionCookieName,
} from './cookies.ts';
export { type CorsOptions, corsMiddleware } from './cors.ts';
export { CSRF_HEADER, isAllowedOrigin, isUnsafeMethod } from './csrf.ts';
export { createGuards, type GuardEnv, type GuardOptions, type GuardOutcome, type Guards } from './guards.ts';
export {
  buildOpenApiDocument,
  type CredentialScheme,
  defaultCredentialSchemes,
  type JsonObject,
  type OpenApiDocumentInput,
  type OpenApiInfo,
  type PipelineFacts,
} from './openapi.ts';
export {
  type AccessPipeline,
  type AccessPipelineOptions,
  type AccessRule,
  accessRuleOf,
  createAccessPipeline,
  type ScopeCheck,
} from './pipeline.ts';
export {
  authErrorResponse,
  coreProblemResponse,
  DEFAULT_INVALID_TOKEN_CODES,
  type ErrorResponseOptions,
  errorResponse,
  type FieldProblem,
  PROBLEM_CONTENT_TYPE,
  type ProblemDetails,
  type ProblemResponseOptions,
  problemFromAuthError,
  problemSchema,
  problemTypeFor,
} from './problem.ts';
export { REQUEST_ID_HEADER, requestIdFrom } from './request-id.ts';
export { requestMeta } from './request-meta.ts';
export {
  defineRoute,
  HTTP_METHODS,
  type HttpMethod,
  joinPaths,
  type PathParams,
  type RateLimitHook,
  type RouteContext,
  type RouteDefinition,
  type RouteRateLimit,
  type RouteResponseSpec,
  type RouteResult,
  type SchemaOutput,
  type StepUpHook,
} from './route.ts';
export { fieldProblemsFromIssues } from './validation.ts';
