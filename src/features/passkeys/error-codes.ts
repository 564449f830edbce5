import { defineErrors } from '../../core/index.ts';

export const PASSKEY_ERRORS = defineErrors({
  PASSKEY_CHALLENGE_INVALID: {
    status: 400,
    title: 'The passkey challenge is unknown, expired or already used: ask for new options.',
  },
  PASSKEY_VERIFICATION_FAILED: { status: 400, title: 'The passkey response could not be verified.' },
  PASSKEY_SIGN_IN_FAILED: { status: 401, title: 'The passkey sign-in failed.' },
  PASSKEY_ALREADY_REGISTERED: { status: 409, title: 'This passkey is registered already.' },
  PASSKEY_LIMIT_REACHED: { status: 409, title: 'The account has as many passkeys as allowed.' },
  PASSKEY_NOT_FOUND: { status: 404, title: 'No such passkey.' },
  // The same code and meaning as the OAuth feature's: removing the last way in is refused alike.
  LAST_SIGN_IN_METHOD: {
    status: 409,
    title: 'This is the last way to sign in to the account: set a password or link another provider first.',
  },
});

export const PASSKEY_ERROR_CODES = PASSKEY_ERRORS.codes;

export type PasskeyErrorCode = keyof typeof PASSKEY_ERROR_CODES;

export const passkeyError = PASSKEY_ERRORS.error;
