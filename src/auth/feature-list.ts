import type { AnyFeatureDefinition } from '../feature/index.ts';
import { accountsFeature } from '../features/accounts/index.ts';
import { adminFeature } from '../features/admin/index.ts';
import { apiKeysFeature } from '../features/apikeys/index.ts';
import { auditFeature } from '../features/audit/index.ts';
import { emailCodeFeature } from '../features/email-code/index.ts';
import { jwksFeature } from '../features/jwks/index.ts';
import { lockoutFeature } from '../features/lockout/index.ts';
import { oauthFeature } from '../features/oauth/index.ts';
import { operationsFeature } from '../features/operations/index.ts';
import { passkeysFeature } from '../features/passkeys/index.ts';
import { rateLimitFeature } from '../features/ratelimit/index.ts';
import { sessionsFeature } from '../features/sessions/index.ts';
import { twoFactorFeature } from '../features/two-factor/index.ts';
import { verificationFeature } from '../features/verification/index.ts';
import { webhooksFeature } from '../features/webhooks/index.ts';

/**
 * Gatehouse's features, one line each. Routes are served and documented in this order (the
 * OpenAPI document depends on it), authenticators are tried in it and user changes are told
 * in it; features are built in dependency order whatever the list says.
 */
export const BUILT_IN_FEATURES = Object.freeze([
  operationsFeature,
  accountsFeature,
  sessionsFeature,
  verificationFeature,
  twoFactorFeature,
  jwksFeature,
  oauthFeature,
  passkeysFeature,
  emailCodeFeature,
  apiKeysFeature,
  adminFeature,
  auditFeature,
  webhooksFeature,
  lockoutFeature,
  rateLimitFeature,
] as const) satisfies readonly AnyFeatureDefinition[];
