import { defineErrors } from '../../core/index.ts';

export const EMAIL_CODE_ERRORS = defineErrors({
  EMAIL_CODE_INVALID: {
    status: 400,
    title: 'The sign-in code is wrong, expired, used or has had too many attempts.',
  },
  EMAIL_CODE_LINK_UNBOUND: {
    status: 400,
    title: 'This sign-in link was opened in another browser than the one that asked for it: enter the code.',
  },
});

export const EMAIL_CODE_ERROR_CODES = EMAIL_CODE_ERRORS.codes;

export type EmailCodeErrorCode = keyof typeof EMAIL_CODE_ERROR_CODES;

export const emailCodeError = EMAIL_CODE_ERRORS.error;
