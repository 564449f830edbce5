export {
  EMAIL_CODE_CONFIG_KEY,
  EMAIL_CODE_DEFAULTS,
  type EmailCodeOptions,
  emailCodeOptionsSchema,
} from './config.ts';
export { EMAIL_CODE_ERROR_CODES } from './error-codes.ts';
export { EMAIL_CODE_KEY_PURPOSES, emailCodeFeature } from './feature.ts';
export { type EmailCodeMailContext, renderEmailCodeMail } from './mail.ts';
export { EMAIL_CODE_RATE_LIMITS } from './rate-limits.ts';
export { type EmailCodeRoutesOptions, emailCodeRoutes } from './routes.ts';
export {
  createEmailCodeService,
  type EmailCodeProof,
  type EmailCodeService,
  type EmailCodeServiceOptions,
} from './service.ts';
