/**
 * Turns oauth4webapi's failures into {@link ProviderError}s. oauth4webapi's errors can carry
 * tokens and response bodies, so only a fixed label of what was refused (`check`) and a
 * well-formed provider `error` code survive; anything that is not an oauth4webapi failure is a
 * bug of ours and is rethrown untouched.
 */
import * as oauth from 'oauth4webapi';
import { isProviderError, ProviderError } from './errors.ts';
import { isRecord } from './responses.ts';

/** Runs `action`, turning every oauth4webapi failure into a {@link ProviderError}. */
export async function withProviderErrors<T>(name: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw toProviderError(name, error);
  }
}

const CHECKED_CLAIMS = new Set(['aud', 'iss', 'nonce', 'azp', 'exp', 'nbf', 'iat', 'auth_time', 'sub']);

function toProviderError(name: string, error: unknown): unknown {
  if (isProviderError(error)) return error;
  if (error instanceof oauth.AuthorizationResponseError) {
    return new ProviderError('provider_error', name, { providerCode: error.error });
  }
  if (error instanceof oauth.ResponseBodyError) {
    return new ProviderError('invalid_response', name, {
      providerCode: error.error,
      check: 'error_response',
    });
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    return new ProviderError('invalid_response', name, { check: 'challenge' });
  }
  if (error instanceof oauth.UnsupportedOperationError) {
    return new ProviderError('invalid_response', name, { check: 'unsupported' });
  }
  if (error instanceof oauth.OperationProcessingError) {
    return new ProviderError('invalid_response', name, { check: checkOf(error) });
  }
  // Anything else is a bug of ours (bad arguments to oauth4webapi): let it surface as it is.
  return error;
}

/** A fixed label for what oauth4webapi refused; never a value from the response. */
function checkOf(error: oauth.OperationProcessingError): string {
  const cause: unknown = error.cause;
  const named = (key: 'claim' | 'attribute'): string | undefined => {
    const value = isRecord(cause) ? cause[key] : undefined;
    return typeof value === 'string' && CHECKED_CLAIMS.has(value) ? value : undefined;
  };
  switch (error.code) {
    case oauth.JWT_CLAIM_COMPARISON:
    case oauth.JWT_TIMESTAMP_CHECK:
      return named('claim') ?? 'claims';
    case oauth.JSON_ATTRIBUTE_COMPARISON:
      return isRecord(cause) && cause.attribute === 'issuer'
        ? 'discovery_issuer'
        : (named('attribute') ?? 'response');
    case oauth.KEY_SELECTION:
      return 'key';
    case oauth.RESPONSE_IS_NOT_CONFORM:
      return 'status';
    case oauth.RESPONSE_IS_NOT_JSON:
    case oauth.PARSE_ERROR:
      return 'body';
    default:
      if (error.message === 'JWT signature verification failed') return 'signature';
      if (error.message.includes('"alg"')) return 'alg';
      if (error.message.includes('"state"')) return 'state';
      return 'response';
  }
}
