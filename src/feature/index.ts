export type { SqlDatabaseHandle } from '../stores/sql/kit.ts';
export {
  type AnyFeatureDefinition,
  defineFeature,
  type FeatureConfigSlice,
  type FeatureContext,
  type FeatureDefinition,
  type FeatureMigrationContext,
  type FeatureOptionsInput,
  type FeatureParts,
  type MaintenanceTask,
  type PruneBatch,
  type PruneResult,
  type RateLimitScope,
  type RateLimitSlotRule,
  type ReadinessProbe,
  type UserChange,
} from './define-feature.ts';
export { type FeatureKeys, featureKeys, STORED_SECRETS_PURPOSE } from './keys.ts';
