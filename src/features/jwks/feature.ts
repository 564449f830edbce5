import { z } from 'zod';
import type { JwtCodec } from '../../crypto/jwt/index.ts';
import { defineFeature } from '../../feature/index.ts';
import { defineRoute } from '../../http/index.ts';

/**
 * `/.well-known/jwks.json`: the public keys that verify access tokens, for other services
 * (EdDSA/ES256; empty with HS256, whose key is never published).
 */
export const jwksFeature = defineFeature({
  id: 'jwks',
  requires: ['sessions'],
  build({ port }) {
    const { accessTokens } = port<{ accessTokens: JwtCodec }>('sessions');
    return {
      routes: [
        defineRoute({
          method: 'GET',
          path: '/.well-known/jwks.json',
          operationId: 'jwks',
          summary: 'Public keys that verify access tokens (EdDSA/ES256; empty with HS256)',
          tags: ['tokens'],
          storeFree: true,
          responses: {
            200: { description: 'JSON Web Key Set', schema: z.strictObject({ keys: z.array(z.unknown()) }) },
          },
          async handler() {
            return {
              status: 200,
              body: accessTokens.jwks(),
              headers: { 'Cache-Control': 'public, max-age=300' },
            };
          },
        }),
      ],
    };
  },
});
