export { ADMIN_ERROR_CODES, type AdminErrorCode } from './error-codes.ts';
export { adminFeature } from './feature.ts';
export type { AdminApi, OperatorOptions } from './library-api.ts';
export { ACTIVITY_TYPES } from './service.ts';
