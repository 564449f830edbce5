import type { CredentialScheme } from '../../http/index.ts';

/**
 * How API keys authenticate, for the OpenAPI document (see docs/API-KEYS.md): a plain key as a
 * bearer token, and a signing key's HMAC-signed requests. Both act for the key's owner within
 * its scopes, and neither may manage keys, sessions, the password, the email or 2FA.
 */
export const API_KEY_CREDENTIAL_SCHEMES: readonly CredentialScheme[] = Object.freeze([
  {
    name: 'apiKey',
    transport: 'bearer',
    apiKey: true,
    // A signing key sent as a bearer token is refused with SIGNATURE_INVALID.
    errorCodes: ['API_KEY_INVALID', 'API_KEY_REVOKED', 'API_KEY_EXPIRED', 'SIGNATURE_INVALID'],
    scheme: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'gh_<env>_<keyId>.<secret>',
      description:
        'An API key from POST /users/me/api-keys, in `Authorization: Bearer gh_…`. Acts for its owner, limited to its scopes.',
    },
  },
  {
    name: 'signedRequest',
    transport: 'bearer',
    apiKey: true,
    // The body is read to check its hash: too large or broken off gives 413 or 400.
    errorCodes: [
      'SIGNATURE_INVALID',
      'SIGNATURE_EXPIRED',
      'NONCE_REPLAYED',
      'API_KEY_REVOKED',
      'API_KEY_EXPIRED',
      'PAYLOAD_TOO_LARGE',
      'MALFORMED_BODY',
    ],
    scheme: {
      type: 'http',
      scheme: 'GH1-HMAC-SHA256',
      description:
        'A request signed with a signing API key (created with `signing: true`): ' +
        '`Authorization: GH1-HMAC-SHA256 keyId=…, ts=…, nonce=…, headers=…, signature=…`, an HMAC-SHA-256 ' +
        'over the canonical request (method, path, query, signed headers, timestamp, nonce, body hash). ' +
        'Each nonce is accepted once; the timestamp must be recent. See docs/API-KEYS.md.',
    },
  },
]);
