export {
  createRateLimitEnforcer,
  type RateLimitEnforcer,
  type RateLimitEnforcerOptions,
  type SlotOverride,
  slotOverrideProblems,
} from './enforcer.ts';
export { ipScope } from './ip-scope.ts';
export { DEFAULT_RATE_LIMIT_SLOTS, type RateLimitScope, type RateLimitSlotRule } from './slots.ts';
