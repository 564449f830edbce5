/**
 * The one error a sign-in with a provider fails with: {@link ProviderError}, its stable
 * `reason`s and {@link isProviderError}. Kept apart from the provider code so that callers
 * (the OAuth service, tests) can branch on failures without pulling in how they arise.
 *
 * Every failure the provider or the network can cause is a {@link ProviderError} with a stable
 * `reason`; its message is fixed and never holds a token, a code or anything the provider sent.
 */

/** Why a sign-in with a provider failed. */
export type ProviderErrorReason =
  /** The callback carried `error=` (the user declined, or the provider refused the request). */
  | 'provider_error'
  /** The callback's `state` is missing or is not the one this flow sent. */
  | 'state_mismatch'
  /** A provider answer was refused: token endpoint error, bad ID token, bad API response. */
  | 'invalid_response'
  /** A provider endpoint could not be reached in time (network error or timeout). */
  | 'unreachable'
  /** GitHub refused to list the user's addresses (scope or permission not granted). */
  | 'email_unavailable';

const MESSAGES: Readonly<Record<ProviderErrorReason, string>> = Object.freeze({
  provider_error: 'the provider answered the authorization request with an error',
  state_mismatch: 'the authorization response does not belong to this sign-in flow',
  invalid_response: 'the provider sent a response that was refused',
  unreachable: 'the provider could not be reached',
  email_unavailable: 'the provider did not disclose the account email addresses',
});

/** RFC 6749 error codes are short ASCII words; anything else is not kept. */
const ERROR_CODE = /^[A-Za-z0-9_.-]{1,64}$/;

export interface ProviderErrorDetails {
  /** The provider's `error` code (`access_denied`, `invalid_grant`, ...) when it sent one. */
  readonly providerCode?: string | null;
  /** A short fixed label of the check that failed, for logs: `aud`, `signature`, `status`, ... */
  readonly check?: string | null;
}

/**
 * A sign-in with a provider failed. Callers branch on `reason`; `providerCode` and `check` are
 * for logs. No `cause` is attached: the underlying errors can hold tokens and response bodies.
 */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly reason: ProviderErrorReason;
  /** The provider's configured name (`google`, `github`, ...). */
  readonly provider: string;
  readonly providerCode: string | null;
  readonly check: string | null;

  constructor(reason: ProviderErrorReason, provider: string, details: ProviderErrorDetails = {}) {
    super(MESSAGES[reason]);
    this.reason = reason;
    this.provider = provider;
    const code = details.providerCode;
    // The code comes from the provider (or from whoever forged the callback): keep only a
    // well-formed one, so logs never carry arbitrary text.
    this.providerCode = typeof code === 'string' && ERROR_CODE.test(code) ? code : null;
    this.check = details.check ?? null;
  }
}

/** Whether `value` is a {@link ProviderError} (also across module copies). */
export function isProviderError(value: unknown): value is ProviderError {
  return (
    value instanceof ProviderError ||
    (value instanceof Error && value.name === 'ProviderError' && 'reason' in value)
  );
}
