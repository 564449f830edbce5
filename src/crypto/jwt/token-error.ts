/** Why a token was refused. Callers answer every reason alike (401 `INVALID_TOKEN`); logs may tell them apart. */
export type TokenErrorReason =
  | 'malformed'
  | 'algorithm'
  | 'kid'
  | 'header'
  | 'typ'
  | 'signature'
  | 'issuer'
  | 'audience'
  | 'expired'
  | 'not_yet_valid'
  | 'claims';

/** One fixed message per reason: never the token, a claim value or anything else presented. */
const MESSAGES: Readonly<Record<TokenErrorReason, string>> = Object.freeze({
  malformed: 'token is not a well-formed compact JWS',
  algorithm: 'token algorithm is not accepted',
  kid: 'token key id is unknown',
  header: 'token header holds a parameter that is not accepted',
  typ: 'token type does not match',
  signature: 'token signature is invalid',
  issuer: 'token issuer does not match',
  audience: 'token audience does not match',
  expired: 'token has expired',
  not_yet_valid: 'token is not valid yet',
  claims: 'token claims are missing or invalid',
});

/** A token failed verification; `reason` says which check refused it. */
export class TokenError extends Error {
  override readonly name = 'TokenError';
  readonly reason: TokenErrorReason;

  constructor(reason: TokenErrorReason) {
    super(MESSAGES[reason]);
    this.reason = reason;
  }
}

/** Whether `value` is a {@link TokenError} (also across module copies). */
export function isTokenError(value: unknown): value is TokenError {
  return (
    value instanceof TokenError ||
    (value instanceof Error && value.name === 'TokenError' && 'reason' in value)
  );
}
