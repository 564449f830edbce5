import type { AnyFeatureDefinition } from '../feature/index.ts';
import { apiKeysFeature } from '../features/apikeys/index.ts';
import { operationsFeature } from '../features/operations/index.ts';
import { rateLimitFeature } from '../features/ratelimit/index.ts';
import { identityFeature } from './assemble.ts';

/**
 * Gatehouse's features, one line each. Routes are served and documented in this order (the
 * OpenAPI document depends on it); features are built in dependency order whatever the list says.
 */
export const BUILT_IN_FEATURES: readonly AnyFeatureDefinition[] = Object.freeze([
  operationsFeature,
  identityFeature,
  apiKeysFeature,
  rateLimitFeature,
]);
