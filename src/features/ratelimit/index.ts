export {
  createRateLimitEnforcer,
  type RateLimitEnforcer,
  type RateLimitEnforcerOptions,
  type SlotOverride,
  slotOverrideProblems,
} from './enforcer.ts';
export { type RateLimitPorts, rateLimitFeature } from './feature.ts';
export { ipScope } from './ip-scope.ts';
export type { RateLimitScope, RateLimitSlotRule } from './slots.ts';
