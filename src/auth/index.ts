export { ERROR_CATALOGUE } from './catalogue.ts';
export { type Auth, createAuth } from './create-auth.ts';
export { describePosture, type Posture } from './posture.ts';
