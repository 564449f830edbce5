export { checkRedirectTarget } from '../../core/redirect-target.ts';
export { OAUTH_ERROR_CODES, oauthError } from './error-codes.ts';
export { oauthFeature } from './feature.ts';
export { createFlowCookies, type FlowCookies, type OAuthFlow } from './flow-cookie.ts';
export {
  createProviderClient,
  isProviderError,
  type ProviderClient,
  ProviderError,
} from './providers/client.ts';
export { github, google, microsoft, type ProviderConfig } from './providers/config.ts';
export { OAUTH_RATE_LIMITS } from './rate-limits.ts';
export { type OAuthRoutesOptions, oauthRoutes } from './routes.ts';
export {
  type CallbackOutcome,
  createOAuthService,
  type OAuthService,
  type OAuthServiceOptions,
} from './service.ts';
