/**
 * Invariant: an OpenID Connect sign-in succeeds only with an ID token that the configured
 * provider signed with a key from its published JWKS, issued by exactly the configured issuer
 * (for a multi-tenant issuer: the template filled with the token's own tenant), for our client
 * (`aud`; `azp` when several audiences), for this flow (`nonce`), and not expired. Anything
 * else fails with `invalid_response` and a fixed message that holds no token or code.
 *
 * The provider is a real OIDC server on a loopback port (oauth2-mock-server); each case edits
 * the claims it signs with its genuine key, or swaps the signed token for a forgery.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createProviderClient,
  newAuthorizationSecrets,
  type ProviderClient,
  ProviderError,
} from '../../src/features/oauth/providers/client.ts';
import type { OidcProviderConfig } from '../../src/features/oauth/providers/config.ts';
import {
  decodeJwt,
  followAuthorization,
  MOCK_SUBJECT,
  type OidcServer,
  rejectsWithReason,
  resignWithForeignKey,
  signHs256,
  signInThrough,
  startOidcServer,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  unsignedJwt,
  withEditedClaims,
} from '../fixtures/oidc-server.ts';

const REDIRECT_URI = 'https://app.example.test/auth/oauth/mock/callback';

let provider: OidcServer;
let client: ProviderClient;
before(async () => {
  provider = await startOidcServer();
  client = createClient();
});
after(() => provider.stop());

function createClient(overrides: Partial<OidcProviderConfig> = {}): ProviderClient {
  return createProviderClient(
    'mock',
    {
      kind: 'oidc',
      issuer: provider.issuer,
      clientId: TEST_CLIENT_ID,
      clientSecret: TEST_CLIENT_SECRET,
      ...overrides,
    },
    { redirectUri: REDIRECT_URI, allowInsecureLoopback: true },
  );
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('ID token claims', () => {
  it('should accept the genuine token (the control case)', async () => {
    assert.equal((await signInThrough(client)).subject, MOCK_SUBJECT);
  });

  it('token issued to another client (wrong aud) - should be refused', async () => {
    provider.editNextIdToken((token) => {
      token.payload.aud = 'anotherClient';
    });
    await rejectsWithReason(signInThrough(client), 'invalid_response', 'aud');
  });

  it('token for several audiences without azp - should be refused (untrusted extra audience)', async () => {
    provider.editNextIdToken((token) => {
      token.payload.aud = [TEST_CLIENT_ID, 'anotherClient'];
    });
    await rejectsWithReason(signInThrough(client), 'invalid_response', 'aud');
  });

  it('token authorized for another party (azp is not us) - should be refused', async () => {
    provider.editNextIdToken((token) => {
      token.payload.aud = [TEST_CLIENT_ID, 'anotherClient'];
      token.payload.azp = 'anotherClient';
    });
    await rejectsWithReason(signInThrough(client), 'invalid_response', 'azp');
  });

  it('token for several audiences with azp naming us - should be accepted (control)', async () => {
    provider.editNextIdToken((token) => {
      token.payload.aud = [TEST_CLIENT_ID, 'anotherClient'];
      token.payload.azp = TEST_CLIENT_ID;
    });
    assert.equal((await signInThrough(client)).subject, MOCK_SUBJECT);
  });

  it('token from another issuer (wrong iss) - should be refused', async () => {
    for (const iss of [
      'https://evil.example',
      `${provider.issuer}/`,
      provider.issuer.replace('127.0.0.1', 'localhost'),
    ]) {
      provider.editNextIdToken((token) => {
        token.payload.iss = iss;
      });
      await rejectsWithReason(signInThrough(client), 'invalid_response', 'iss');
    }
  });

  it('token from another sign-in flow (wrong nonce) - should be refused', async () => {
    provider.editNextIdToken((token) => {
      token.payload.nonce = newAuthorizationSecrets().nonce;
    });
    await rejectsWithReason(signInThrough(client), 'invalid_response', 'nonce');
  });

  it('token without a nonce - should be refused', async () => {
    provider.editNextIdToken((token) => {
      delete token.payload.nonce;
    });
    await rejectsWithReason(signInThrough(client), 'invalid_response');
  });

  it('replayed callback with another flow nonce - should be refused even though the provider signed it', async () => {
    // The attacker's flow: a genuine code and state, but `finish` runs with the victim's nonce.
    const victim = newAuthorizationSecrets();
    await rejectsWithReason(
      signInThrough(client, { finishWith: { nonce: victim.nonce } }),
      'invalid_response',
      'nonce',
    );
  });

  it('expired token - should be refused beyond the 30 s leeway', async () => {
    provider.editNextIdToken((token) => {
      token.payload.iat = nowSeconds() - 3600;
      token.payload.nbf = nowSeconds() - 3600;
      token.payload.exp = nowSeconds() - 60;
    });
    await rejectsWithReason(signInThrough(client), 'invalid_response', 'exp');
  });

  it('token not valid yet (nbf in the future) - should be refused', async () => {
    provider.editNextIdToken((token) => {
      token.payload.nbf = nowSeconds() + 600;
    });
    await rejectsWithReason(signInThrough(client), 'invalid_response', 'nbf');
  });

  it('token without sub - should be refused', async () => {
    provider.editNextIdToken((token) => {
      delete token.payload.sub;
    });
    await rejectsWithReason(signInThrough(client), 'invalid_response');
  });
});

describe('ID token signature', () => {
  it('claims edited after signing (bad signature) - should be refused', async () => {
    provider.replaceNextIdToken((idToken) =>
      withEditedClaims(idToken, (claims) => {
        claims.email = 'victim@example.test';
        claims.email_verified = true;
      }),
    );
    await rejectsWithReason(signInThrough(client), 'invalid_response', 'signature');
  });

  it('token forged with a key the provider never published (same kid) - should be refused', async () => {
    provider.replaceNextIdToken((idToken) => resignWithForeignKey(idToken));
    await rejectsWithReason(signInThrough(client), 'invalid_response', 'signature');
  });

  it('unsigned token (alg none) - should be refused', async () => {
    provider.replaceNextIdToken((idToken) => {
      const { header, payload } = decodeJwt(idToken);
      return unsignedJwt(header, payload);
    });
    await rejectsWithReason(signInThrough(client), 'invalid_response', 'alg');
  });

  it('algorithm confusion (HS256 keyed with the public JWK) - should be refused', async () => {
    const jwks = (await (await fetch(`${provider.issuer}/jwks`)).json()) as {
      keys: Record<string, unknown>[];
    };
    const publicKey = Buffer.from(JSON.stringify(jwks.keys[0]));
    provider.replaceNextIdToken((idToken) => {
      const { header, payload } = decodeJwt(idToken);
      return signHs256(header, payload, publicKey);
    });
    await rejectsWithReason(signInThrough(client), 'invalid_response', 'alg');
  });

  it('token signed by a key not in the JWKS (unknown kid) - should be refused', async () => {
    provider.replaceNextIdToken((idToken) =>
      resignWithForeignKey(idToken, () => {}).replace(/^[^.]+/, (segment) => {
        const header = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<
          string,
          unknown
        >;
        return Buffer.from(JSON.stringify({ ...header, kid: 'attacker-key' })).toString('base64url');
      }),
    );
    await rejectsWithReason(signInThrough(client), 'invalid_response', 'key');
  });
});

describe('multi-tenant issuer (Microsoft common)', () => {
  const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
  const OTHER_TENANT = '9188040d-6c67-4c5b-b112-36a304b66dad';
  let tenantClient: ProviderClient;
  const template = () => `${provider.issuer}/{tenantid}/v2.0`;
  const tenantIssuer = (tid: string) => `${provider.issuer}/${tid}/v2.0`;

  before(() => {
    provider.editDiscovery((document) => {
      document.issuer = template();
    });
    tenantClient = createClient({ issuerTemplate: template() });
  });
  after(() => provider.resetDiscovery());

  it('should accept a token whose iss is the template filled with its own tid (control)', async () => {
    provider.editNextIdToken((token) => {
      token.payload.iss = tenantIssuer(TENANT);
      token.payload.tid = TENANT;
    });
    assert.equal((await signInThrough(tenantClient)).subject, MOCK_SUBJECT);
  });

  it('token naming one tenant in iss and another in tid - should be refused', async () => {
    provider.editNextIdToken((token) => {
      token.payload.iss = tenantIssuer(TENANT);
      token.payload.tid = OTHER_TENANT;
    });
    await rejectsWithReason(signInThrough(tenantClient), 'invalid_response', 'iss');
  });

  it('token without tid, or with the raw template as iss - should be refused', async () => {
    for (const edit of [
      (payload: Record<string, unknown>) => {
        payload.iss = tenantIssuer(TENANT);
      },
      (payload: Record<string, unknown>) => {
        payload.iss = template();
      },
      (payload: Record<string, unknown>) => {
        payload.iss = template().replace('{tenantid}', '../evil');
        payload.tid = '../evil';
      },
    ]) {
      provider.editNextIdToken((token) => edit(token.payload));
      await rejectsWithReason(signInThrough(tenantClient), 'invalid_response', 'iss');
    }
  });

  it('discovery naming a fixed issuer where a template is configured - should be refused', async () => {
    provider.editDiscovery((document) => {
      document.issuer = tenantIssuer(TENANT);
    });
    try {
      await rejectsWithReason(
        createClient({ issuerTemplate: template() }).authorizationUrl(newAuthorizationSecrets()),
        'invalid_response',
        'discovery_issuer',
      );
    } finally {
      provider.editDiscovery((document) => {
        document.issuer = template();
      });
    }
  });
});

describe('what failures reveal', () => {
  it('errors should carry no token, code or verifier in their message, properties or stack', async () => {
    const secrets = newAuthorizationSecrets();
    let idToken = '';
    provider.replaceNextIdToken((token) => {
      idToken = token;
      return withEditedClaims(token, (claims) => {
        claims.sub = 'someone-else';
      });
    });
    const callbackUrl = await followAuthorization(await client.authorizationUrl(secrets));
    const code = callbackUrl.searchParams.get('code') ?? '';
    let failure: unknown;
    try {
      await client.finish({ callbackUrl, ...secrets });
    } catch (error) {
      failure = error;
    }
    assert.ok(failure instanceof ProviderError);
    assert.equal(failure.cause, undefined);
    const visible = `${failure.message} ${failure.stack} ${JSON.stringify(failure)} ${String(failure)}`;
    for (const secret of [code, idToken, idToken.split('.')[1] ?? '', secrets.codeVerifier, secrets.nonce]) {
      assert.ok(secret.length > 0);
      assert.ok(!visible.includes(secret), 'a secret leaked into the error');
    }
  });
});
