export { createLoginGuard, type LockoutPolicy, type LoginGuardOptions } from './login-guard.ts';
