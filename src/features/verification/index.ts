export { createEmailChange, type EmailChange, type EmailChangeOptions } from './email-change.ts';
export { VERIFICATION_ERROR_CODES } from './error-codes.ts';
export { VERIFICATION_KEY_PURPOSES, type VerificationPorts, verificationFeature } from './feature.ts';
export { createPasswordReset, type PasswordReset, type PasswordResetOptions } from './password-reset.ts';
export { VERIFICATION_RATE_LIMITS } from './rate-limits.ts';
export { type VerificationRoutesOptions, verificationRoutes } from './routes.ts';
export { createSecurityNotices, type SecurityNoticesOptions } from './security-notices.ts';
export {
  createVerificationService,
  type VerificationService,
  type VerificationServiceOptions,
} from './service.ts';
export {
  createMailer,
  DEFAULT_MAIL_TEMPLATES,
  escapeHtml,
  MAIL_KINDS,
  type MailContext,
  type Mailer,
  type MailKind,
  type MailTemplate,
  type RenderedMail,
} from './templates.ts';
