export { ERROR_CATALOGUE } from './catalogue.ts';
export { type AuthConfig, type AuthConfigInput, DEFAULTS } from './config.ts';
export { type Auth, type CreateAuthOptions, createAuth } from './create-auth.ts';
export { describePosture, type Posture } from './posture.ts';
