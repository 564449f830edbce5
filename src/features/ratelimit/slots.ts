export type { RateLimitScope, RateLimitSlotRule } from '../../feature/index.ts';
