export { ADMIN_ERROR_CODES, type AdminErrorCode } from './error-codes.ts';
export { adminFeature } from './feature.ts';
export { ACTIVITY_TYPES } from './service.ts';
