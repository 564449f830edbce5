export { type LockoutPorts, lockoutFeature } from './feature.ts';
export { createLoginGuard, type LockoutPolicy, type LoginGuardOptions } from './login-guard.ts';
