export { ERROR_CATALOGUE } from './catalogue.ts';
export { type AuthConfig, type AuthConfigInput, DEFAULTS } from './config.ts';
export { type Auth, type CreateAuthOptions, createAuth } from './create-auth.ts';
export {
  type LazyAuth,
  LazyAuthClosedError,
  type LazyAuthOptions,
  type LazyAuthTarget,
  lazyAuth,
} from './lazy-auth.ts';
export { describePosture, type Posture } from './posture.ts';
