export * from './config/index.ts';
export * from './errors/index.ts';
export * from './posture/index.ts';
export * from './secrets/index.ts';
export type { Authenticate, Principal } from './principal.ts';
