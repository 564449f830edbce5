/**
 * The provider client against real servers on loopback ports: the authorization code flow with
 * an OpenID Connect provider (oauth2-mock-server: discovery, JWKS, authorize, token, userinfo),
 * driven without a browser, and the GitHub flavour against a small stand-in for GitHub's token,
 * user and emails endpoints. ID-token attacks live in test/security/oauth-id-token-validation.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { Events } from 'oauth2-mock-server';
import {
  createProviderClient,
  newAuthorizationSecrets,
  type ProviderClient,
  type ProviderClientOptions,
} from '../../src/features/oauth/providers/client.ts';
import {
  github,
  google,
  microsoft,
  type OidcProviderConfig,
} from '../../src/features/oauth/providers/config.ts';
import { findFreePort } from '../fixtures/free-port.ts';
import {
  followAuthorization,
  MOCK_SUBJECT,
  type OidcServer,
  rejectsWithReason,
  signInThrough,
  startOidcServer,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
} from '../fixtures/oidc-server.ts';

const REDIRECT_URI = 'https://app.example.test/auth/oauth/mock/callback';
const LOOPBACK: ProviderClientOptions = { redirectUri: REDIRECT_URI, allowInsecureLoopback: true };

let provider: OidcServer;
before(async () => {
  provider = await startOidcServer();
});
after(() => provider.stop());

function oidcConfig(overrides: Partial<OidcProviderConfig> = {}): OidcProviderConfig {
  return {
    kind: 'oidc',
    issuer: provider.issuer,
    clientId: TEST_CLIENT_ID,
    clientSecret: TEST_CLIENT_SECRET,
    ...overrides,
  };
}

function mockClient(
  overrides: Partial<OidcProviderConfig> = {},
  options: Partial<ProviderClientOptions> = {},
) {
  return createProviderClient('mock', oidcConfig(overrides), { ...LOOPBACK, ...options });
}

/** Counts the token requests the mock receives while `action` runs. */
async function countTokenRequests(action: () => Promise<unknown>): Promise<number> {
  let count = 0;
  const listener = () => {
    count += 1;
  };
  provider.server.service.on(Events.BeforeResponse, listener);
  try {
    await action();
  } finally {
    provider.server.service.off(Events.BeforeResponse, listener);
  }
  return count;
}

describe('OIDC authorization request', () => {
  it('authorizationUrl - should carry exactly our parameters: code, S256 PKCE, state, nonce and the configured scopes', async () => {
    const client = mockClient({ scopes: ['email'] });
    const secrets = newAuthorizationSecrets();
    // Extra members, as a careless caller might pass from a query string, are not forwarded.
    const url = await client.authorizationUrl({ ...secrets, scope: 'admin', prompt: 'none' } as never);
    assert.equal(`${url.origin}${url.pathname}`, `${provider.issuer}/authorize`);
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      client_id: TEST_CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'openid email',
      state: secrets.state,
      nonce: secrets.nonce,
      code_challenge: secrets.codeChallenge,
      code_challenge_method: 'S256',
    });
    assert.equal(url.searchParams.getAll('scope').length, 1);
  });

  it('newAuthorizationSecrets - should make 256-bit values and the S256 challenge of the verifier', () => {
    const a = newAuthorizationSecrets();
    const b = newAuthorizationSecrets();
    for (const value of [a.state, a.nonce, a.codeVerifier]) assert.match(value, /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.state, b.state);
    assert.notEqual(a.codeVerifier, b.codeVerifier);
    assert.equal(a.codeChallenge, createHash('sha256').update(a.codeVerifier).digest('base64url'));
  });

  it('authorizationUrl - should refuse weak or malformed flow values (programmer error)', async () => {
    const client = mockClient();
    const secrets = newAuthorizationSecrets();
    await assert.rejects(client.authorizationUrl({ ...secrets, state: 'short' }), TypeError);
    await assert.rejects(client.authorizationUrl({ ...secrets, nonce: '' }), TypeError);
    await assert.rejects(
      client.authorizationUrl({ ...secrets, codeChallenge: secrets.codeVerifier.slice(1) }),
      TypeError,
    );
  });
});

describe('OIDC code flow', () => {
  it('finish - should return the subject, the verified address and the tokens from a valid ID token', async () => {
    const client = mockClient();
    provider.editNextIdToken((token) => {
      Object.assign(token.payload, { email: 'ada@example.test', email_verified: true, name: 'Ada Lovelace' });
    });
    const before = Date.now();
    const identity = await signInThrough(client);
    assert.equal(identity.subject, MOCK_SUBJECT);
    assert.equal(identity.email, 'ada@example.test');
    assert.equal(identity.emailVerified, true);
    assert.equal(identity.name, 'Ada Lovelace');
    assert.match(identity.tokens.accessToken, /^ey/);
    assert.equal(typeof identity.tokens.refreshToken, 'string');
    assert.ok(identity.tokens.expiresAt !== null && identity.tokens.expiresAt >= before + 3_000_000);
  });

  it('finish - should read the address from userinfo, with the access token, when the ID token has none', async () => {
    const client = mockClient();
    let authorization: string | undefined;
    provider.editNextUserinfo((response, header) => {
      authorization = header;
      response.body = { sub: MOCK_SUBJECT, email: 'grace@example.test', email_verified: true, name: 'Grace' };
    });
    const identity = await signInThrough(client);
    assert.equal(identity.email, 'grace@example.test');
    assert.equal(identity.emailVerified, true);
    assert.equal(identity.name, 'Grace');
    assert.equal(authorization, `Bearer ${identity.tokens.accessToken}`);
  });

  it('finish - should report an address without email_verified true as unverified', async () => {
    const client = mockClient();
    for (const emailVerified of [false, 'true', 1, undefined]) {
      provider.editNextIdToken((token) => {
        Object.assign(token.payload, { email: 'ada@example.test', email_verified: emailVerified });
      });
      const identity = await signInThrough(client);
      assert.equal(identity.email, 'ada@example.test');
      assert.equal(identity.emailVerified, false, `email_verified: ${String(emailVerified)}`);
    }
  });

  it('finish - should never report an address as verified when trustEmailVerified is off', async () => {
    const client = mockClient({ trustEmailVerified: false });
    provider.editNextIdToken((token) => {
      Object.assign(token.payload, { email: 'ada@example.test', email_verified: true });
    });
    const identity = await signInThrough(client);
    assert.equal(identity.email, 'ada@example.test');
    assert.equal(identity.emailVerified, false);
  });

  it('finish - should send the token endpoint only our parameters, whatever the callback carries', async () => {
    const client = mockClient();
    let sent: Record<string, unknown> = {};
    provider.editNextTokenResponse((_response, request) => {
      sent = request;
    });
    const identity = await signInThrough(client, {
      editCallback: (url) => {
        url.searchParams.set('scope', 'admin');
        url.searchParams.set('redirect_uri', 'https://evil.example/steal');
        url.searchParams.set('code_verifier', 'x'.repeat(43));
        url.searchParams.set('grant_type', 'password');
        url.searchParams.set('client_id', 'someone-else');
      },
    });
    assert.equal(identity.subject, MOCK_SUBJECT);
    assert.deepEqual(Object.keys(sent).sort(), ['code', 'code_verifier', 'grant_type', 'redirect_uri']);
    assert.equal(sent.grant_type, 'authorization_code');
    assert.equal(sent.redirect_uri, REDIRECT_URI);
    assert.notEqual(sent.code_verifier, 'x'.repeat(43));
  });

  it('finish - should redeem the code with PKCE alone for a public client (no secret)', async () => {
    const client = mockClient({ clientSecret: undefined });
    let sent: Record<string, unknown> = {};
    provider.editNextTokenResponse((_response, request) => {
      sent = request;
    });
    const identity = await signInThrough(client);
    assert.equal(identity.subject, MOCK_SUBJECT);
    assert.equal(sent.client_id, TEST_CLIENT_ID);
    assert.equal(typeof sent.code_verifier, 'string');
  });

  it('discovery - should be fetched once per client and reused across sign-ins', async () => {
    let fetched = 0;
    provider.editDiscovery(() => {
      fetched += 1;
    });
    try {
      const client = mockClient();
      await signInThrough(client);
      await signInThrough(client);
      assert.equal(fetched, 1);
    } finally {
      provider.resetDiscovery();
    }
  });

  it('discovery - should not cache a failure: the next sign-in fetches it again', async () => {
    const client = mockClient();
    provider.server.service.once(
      Events.BeforeWellKnownOpenIdConfiguration,
      (response: { statusCode: number }) => {
        response.statusCode = 500;
      },
    );
    await rejectsWithReason(client.authorizationUrl(newAuthorizationSecrets()), 'invalid_response', 'status');
    assert.equal((await signInThrough(client)).subject, MOCK_SUBJECT);
  });

  it('discovery - should refuse a document whose issuer is not the configured one', async () => {
    provider.editDiscovery((document) => {
      document.issuer = 'https://impostor.example';
    });
    try {
      await rejectsWithReason(
        mockClient().authorizationUrl(newAuthorizationSecrets()),
        'invalid_response',
        'discovery_issuer',
      );
    } finally {
      provider.resetDiscovery();
    }
  });

  it('discovery - should refuse endpoints on plain http off loopback, even with allowInsecureLoopback', async () => {
    provider.editDiscovery((document) => {
      document.token_endpoint = 'http://idp.example.test/token';
    });
    try {
      await rejectsWithReason(
        mockClient().authorizationUrl(newAuthorizationSecrets()),
        'invalid_response',
        'endpoint',
      );
    } finally {
      provider.resetDiscovery();
    }
  });
});

describe('OIDC failures the user or the provider cause', () => {
  it('provider error response - should become provider_error keeping the code, never the description', async () => {
    provider.editNextAuthorizationRedirect((url) => {
      url.searchParams.delete('code');
      url.searchParams.set('error', 'access_denied');
      url.searchParams.set('error_description', 'The user said no <script>alert(1)</script>');
    });
    const error = await rejectsWithReason(signInThrough(mockClient()), 'provider_error');
    assert.equal(error.providerCode, 'access_denied');
    assert.doesNotMatch(`${error.message} ${JSON.stringify(error)}`, /user said no|script/);
  });

  it('provider error response - should drop an error code that is not a plain RFC 6749 word', async () => {
    provider.editNextAuthorizationRedirect((url) => {
      url.searchParams.delete('code');
      url.searchParams.set('error', 'access_denied"><img src=x>');
    });
    const error = await rejectsWithReason(signInThrough(mockClient()), 'provider_error');
    assert.equal(error.providerCode, null);
  });

  it('state mismatch - should refuse a callback with another, a missing or a doubled state before any token request', async () => {
    const client = mockClient();
    const edits: ((url: URL) => void)[] = [
      (url) => url.searchParams.set('state', newAuthorizationSecrets().state),
      (url) => url.searchParams.delete('state'),
      (url) => url.searchParams.append('state', url.searchParams.get('state')!),
    ];
    for (const editCallback of edits) {
      const tokenRequests = await countTokenRequests(() =>
        rejectsWithReason(signInThrough(client, { editCallback }), 'state_mismatch'),
      );
      assert.equal(tokenRequests, 0);
    }
  });

  it('wrong PKCE verifier - should be refused by the provider (the mock checks code_verifier)', async () => {
    const client = mockClient();
    const other = newAuthorizationSecrets();
    // The verifier of another flow: well-formed, but not the one behind this code's challenge.
    // The mock answers 400 application/problem+json ("code_verifier provided does not match
    // code_challenge"), which is no OAuth error body: hence the `body` check.
    await rejectsWithReason(
      signInThrough(client, { finishWith: { codeVerifier: other.codeVerifier } }),
      'invalid_response',
      'body',
    );
    // Control: the same flow with its own verifier goes through.
    assert.equal((await signInThrough(client)).subject, MOCK_SUBJECT);
  });

  it('replayed callback - should be refused the second time (the provider forgets a redeemed code)', async () => {
    const client = mockClient();
    const secrets = newAuthorizationSecrets();
    const callbackUrl = await followAuthorization(await client.authorizationUrl(secrets));
    assert.equal((await client.finish({ callbackUrl, ...secrets })).subject, MOCK_SUBJECT);
    await rejectsWithReason(client.finish({ callbackUrl, ...secrets }), 'invalid_response');
  });

  it('token endpoint error - should be invalid_response with the OAuth error code kept', async () => {
    provider.editNextTokenResponse((response) => {
      response.statusCode = 400;
      response.body = { error: 'invalid_grant', error_description: 'code already used' };
    });
    const error = await rejectsWithReason(signInThrough(mockClient()), 'invalid_response', 'error_response');
    assert.equal(error.providerCode, 'invalid_grant');
    assert.doesNotMatch(error.message, /already used/);
  });

  it('userinfo for another subject - should be refused', async () => {
    provider.editNextUserinfo((response) => {
      response.body = { sub: 'someone-else', email: 'victim@example.test', email_verified: true };
    });
    await rejectsWithReason(signInThrough(mockClient()), 'invalid_response', 'sub');
  });
});

describe('OIDC provider unreachable', () => {
  it('discovery on a closed port - should fail fast with unreachable', async () => {
    const port = await findFreePort();
    const client = mockClient({ issuer: `http://127.0.0.1:${port}` });
    const started = Date.now();
    await rejectsWithReason(client.authorizationUrl(newAuthorizationSecrets()), 'unreachable', 'network');
    assert.ok(Date.now() - started < 1_000);
  });

  it('token endpoint down - should fail with unreachable once the provider stopped', async () => {
    const own = await startOidcServer();
    try {
      const client = createProviderClient('own', oidcConfig({ issuer: own.issuer }), LOOPBACK);
      const secrets = newAuthorizationSecrets();
      const callbackUrl = await followAuthorization(await client.authorizationUrl(secrets));
      await own.stop();
      const started = Date.now();
      await rejectsWithReason(client.finish({ callbackUrl, ...secrets }), 'unreachable', 'network');
      assert.ok(Date.now() - started < 1_000);
    } finally {
      await own.stop();
    }
  });

  it('token endpoint that never answers - should give up with unreachable at the timeout, not hang', async () => {
    const sockets = new Set<Socket>();
    const blackHole = createTcpServer((socket) => {
      sockets.add(socket); // accepted, never answered
    });
    blackHole.listen(0, '127.0.0.1');
    await once(blackHole, 'listening');
    const { port } = blackHole.address() as { port: number };
    provider.editDiscovery((document) => {
      document.token_endpoint = `http://127.0.0.1:${port}/token`;
    });
    try {
      const client = mockClient({}, { fetchTimeoutMs: 300 });
      const started = Date.now();
      await rejectsWithReason(signInThrough(client), 'unreachable', 'timeout');
      const elapsed = Date.now() - started;
      assert.ok(elapsed >= 250 && elapsed < 2_000, `gave up after ${elapsed} ms`);
    } finally {
      provider.resetDiscovery();
      for (const socket of sockets) socket.destroy();
      blackHole.close();
    }
  });

  it('discovery body that stalls after the headers - should give up with unreachable at the timeout', async () => {
    const stalled = createHttpServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"issuer":');
    });
    stalled.listen(0, '127.0.0.1');
    await once(stalled, 'listening');
    const { port } = stalled.address() as { port: number };
    try {
      const client = mockClient({ issuer: `http://127.0.0.1:${port}` }, { fetchTimeoutMs: 300 });
      const started = Date.now();
      await rejectsWithReason(client.authorizationUrl(newAuthorizationSecrets()), 'unreachable', 'timeout');
      assert.ok(Date.now() - started < 2_000);
    } finally {
      stalled.closeAllConnections();
      stalled.close();
    }
  });
});

describe('oversized provider responses', () => {
  it('discovery - should refuse a response over 1 MiB, declared or streamed', async () => {
    const big = `{"issuer":"${'x'.repeat(1024 * 1024)}"}`;
    for (const declareLength of [true, false]) {
      const server = createHttpServer((_request, response) => {
        const headers: Record<string, string | number> = { 'content-type': 'application/json' };
        if (declareLength) headers['content-length'] = Buffer.byteLength(big);
        response.writeHead(200, headers);
        // Two writes: without a declared length the body goes out chunked and is only counted.
        response.write(big.slice(0, 1000));
        response.end(big.slice(1000));
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const { port } = server.address() as { port: number };
      try {
        const client = mockClient({ issuer: `http://127.0.0.1:${port}` });
        await rejectsWithReason(
          client.authorizationUrl(newAuthorizationSecrets()),
          'invalid_response',
          'size',
        );
      } finally {
        server.closeAllConnections();
        server.close();
      }
    }
  });
});

describe('provider client configuration', () => {
  it('createProviderClient - should refuse an http issuer unless loopback is explicitly allowed', () => {
    assert.throws(() => createProviderClient('mock', oidcConfig(), { redirectUri: REDIRECT_URI }), TypeError);
    assert.throws(
      () => createProviderClient('mock', oidcConfig({ issuer: 'http://idp.example.test' }), LOOPBACK),
      TypeError,
    );
  });

  it('createProviderClient - should refuse a redirect URI off https (except loopback), with a fragment or userinfo', () => {
    for (const redirectUri of [
      'http://app.example.test/callback',
      'https://app.example.test/callback#x',
      'https://user@app.example.test/callback',
      '/relative/callback',
    ]) {
      assert.throws(
        () => createProviderClient('mock', oidcConfig(), { ...LOOPBACK, redirectUri }),
        TypeError,
        redirectUri,
      );
    }
    assert.ok(
      createProviderClient('mock', oidcConfig(), { ...LOOPBACK, redirectUri: 'http://127.0.0.1:3000/cb' }),
    );
  });

  it('createProviderClient - should refuse scopes that are not scope tokens', () => {
    assert.throws(() => mockClient({ scopes: ['openid email'] }), TypeError);
    assert.throws(() => mockClient({ scopes: ['a"b'] }), TypeError);
  });
});

describe('provider presets', () => {
  const credentials = { clientId: 'id', clientSecret: 'secret' };

  it('google - should be the Google issuer with openid email profile', () => {
    assert.deepEqual(
      { ...google(credentials) },
      {
        kind: 'oidc',
        displayName: 'Google',
        issuer: 'https://accounts.google.com',
        clientId: 'id',
        clientSecret: 'secret',
        scopes: ['openid', 'email', 'profile'],
      },
    );
  });

  it('microsoft - should use the {tenantid} template for common and organizations and never trust email_verified', () => {
    for (const tenant of [undefined, 'common', 'organizations'] as const) {
      const config = microsoft({ ...credentials, tenant });
      assert.equal(config.issuer, `https://login.microsoftonline.com/${tenant ?? 'common'}/v2.0`);
      assert.equal(config.issuerTemplate, 'https://login.microsoftonline.com/{tenantid}/v2.0');
      assert.equal(config.trustEmailVerified, false);
      assert.equal(config.displayName, 'Microsoft');
      // The client can be built: the multi-tenant hooks exist in this oauth4webapi.
      assert.equal(createProviderClient('microsoft', config, { redirectUri: REDIRECT_URI }).kind, 'oidc');
    }
  });

  it('microsoft - should map consumers to the consumer tenant id and take a tenant id as it is', () => {
    assert.equal(
      microsoft({ ...credentials, tenant: 'consumers' }).issuer,
      'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0',
    );
    const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    const config = microsoft({ ...credentials, tenant });
    assert.equal(config.issuer, `https://login.microsoftonline.com/${tenant}/v2.0`);
    assert.equal(config.issuerTemplate, undefined);
  });

  it('microsoft - should refuse a domain name or anything but the documented tenants', () => {
    for (const tenant of ['contoso.onmicrosoft.com', 'Common', '../common', '']) {
      assert.throws(() => microsoft({ ...credentials, tenant }), TypeError, tenant);
    }
  });

  it('github - should be plain OAuth 2 with read:user and user:email', () => {
    assert.deepEqual(
      { ...github(credentials) },
      {
        kind: 'github',
        displayName: 'GitHub',
        clientId: 'id',
        clientSecret: 'secret',
        scopes: ['read:user', 'user:email'],
      },
    );
    assert.equal(
      github({ ...credentials, displayName: 'GitHub Enterprise' }).displayName,
      'GitHub Enterprise',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// GitHub: plain OAuth 2 against a stand-in for github.com and api.github.com
// ---------------------------------------------------------------------------------------------

interface FakeGitHub {
  readonly base: string;
  /** What `/user/emails` answers next: a status and a body. */
  emails: { status: number; body: unknown };
  user: { status: number; body: unknown };
  token: { status: number; body: unknown } | null;
  readonly requests: { path: string; headers: IncomingMessage['headers']; form: URLSearchParams }[];
  /** The code challenge of the authorization request, to check the verifier like GitHub does. */
  challenge: string;
}

async function startFakeGitHub(): Promise<{ fake: FakeGitHub; server: Server }> {
  const fake: FakeGitHub = {
    base: '',
    emails: { status: 200, body: [] },
    user: { status: 200, body: { id: 583231, login: 'octocat', name: 'The Octocat' } },
    token: null,
    requests: [],
    challenge: '',
  };
  const server = createHttpServer(async (request: IncomingMessage, response: ServerResponse) => {
    let raw = '';
    for await (const chunk of request) raw += chunk;
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const form = new URLSearchParams(raw);
    fake.requests.push({ path, headers: request.headers, form });
    const json = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (path === '/login/oauth/access_token' && request.method === 'POST') {
      if (fake.token !== null) return json(fake.token.status, fake.token.body);
      const verifier = form.get('code_verifier') ?? '';
      const pkceOk = createHash('sha256').update(verifier).digest('base64url') === fake.challenge;
      // GitHub answers token errors with 200 and an `error` member.
      if (form.get('code') !== 'github-code' || !pkceOk) return json(200, { error: 'bad_verification_code' });
      return json(200, {
        access_token: 'gho_testtoken',
        token_type: 'bearer',
        scope: 'read:user,user:email',
      });
    }
    if (request.headers.authorization !== 'Bearer gho_testtoken')
      return json(401, { message: 'Bad credentials' });
    if (path === '/user') return json(fake.user.status, fake.user.body);
    if (path === '/user/emails') return json(fake.emails.status, fake.emails.body);
    return json(404, { message: 'Not Found' });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { fake: Object.assign(fake, { base: `http://127.0.0.1:${port}` }), server };
}

describe('GitHub-like provider', () => {
  let fake: FakeGitHub;
  let server: Server;
  let client: ProviderClient;
  before(async () => {
    ({ fake, server } = await startFakeGitHub());
    const preset = github({ clientId: 'Iv1.testclient', clientSecret: 'github-secret' });
    client = createProviderClient(
      'github',
      {
        ...preset,
        endpoints: {
          authorization: `${fake.base}/login/oauth/authorize`,
          token: `${fake.base}/login/oauth/access_token`,
          user: `${fake.base}/user`,
          emails: `${fake.base}/user/emails`,
        },
      },
      LOOPBACK,
    );
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  /** GitHub redirects back with `code` and `state`; there is no ID token and no nonce. */
  async function githubSignIn(options: { code?: string; codeVerifier?: string } = {}) {
    const secrets = newAuthorizationSecrets();
    const url = await client.authorizationUrl(secrets);
    fake.challenge = url.searchParams.get('code_challenge') ?? '';
    const callbackUrl = new URL(REDIRECT_URI);
    callbackUrl.searchParams.set('code', options.code ?? 'github-code');
    callbackUrl.searchParams.set('state', secrets.state);
    return client.finish({
      callbackUrl,
      ...secrets,
      codeVerifier: options.codeVerifier ?? secrets.codeVerifier,
    });
  }

  function resetFake(): void {
    fake.token = null;
    fake.user = { status: 200, body: { id: 583231, login: 'octocat', name: 'The Octocat' } };
    fake.requests.length = 0;
  }

  it('authorizationUrl - should ask github.com for the fixed scopes with S256 PKCE and no nonce', async () => {
    const preset = createProviderClient('github', github({ clientId: 'Iv1.abc', clientSecret: 's' }), {
      redirectUri: REDIRECT_URI,
    });
    const secrets = newAuthorizationSecrets();
    const url = await preset.authorizationUrl(secrets);
    assert.equal(`${url.origin}${url.pathname}`, 'https://github.com/login/oauth/authorize');
    assert.deepEqual(Object.fromEntries(url.searchParams), {
      client_id: 'Iv1.abc',
      redirect_uri: REDIRECT_URI,
      response_type: 'code',
      scope: 'read:user user:email',
      state: secrets.state,
      code_challenge: secrets.codeChallenge,
      code_challenge_method: 'S256',
    });
  });

  it('finish - should count the primary verified address as verified and use the numeric id as subject', async () => {
    resetFake();
    fake.emails = {
      status: 200,
      body: [
        { email: 'old@example.test', primary: false, verified: true, visibility: null },
        { email: 'octo@example.test', primary: true, verified: true, visibility: 'public' },
      ],
    };
    const identity = await githubSignIn();
    assert.deepEqual(
      {
        subject: identity.subject,
        email: identity.email,
        emailVerified: identity.emailVerified,
        name: identity.name,
      },
      { subject: '583231', email: 'octo@example.test', emailVerified: true, name: 'The Octocat' },
    );
    assert.deepEqual(identity.tokens, { accessToken: 'gho_testtoken', refreshToken: null, expiresAt: null });
    const tokenRequest = fake.requests.find((r) => r.path === '/login/oauth/access_token');
    assert.equal(tokenRequest?.form.get('client_secret'), 'github-secret');
    const userRequest = fake.requests.find((r) => r.path === '/user');
    assert.equal(userRequest?.headers['user-agent'], 'gatehouse');
  });

  it('finish - should report an unverified primary address as unverified, even beside a verified secondary one', async () => {
    resetFake();
    fake.emails = {
      status: 200,
      body: [
        { email: 'attacker-chosen@example.test', primary: true, verified: false },
        { email: 'verified-secondary@example.test', primary: false, verified: true },
      ],
    };
    const identity = await githubSignIn();
    assert.equal(identity.email, 'attacker-chosen@example.test');
    assert.equal(identity.emailVerified, false);
  });

  it('finish - should return no address (not an error) when GitHub lists no primary one', async () => {
    resetFake();
    fake.emails = { status: 200, body: [{ email: 'other@example.test', primary: false, verified: true }] };
    const identity = await githubSignIn();
    assert.equal(identity.email, null);
    assert.equal(identity.emailVerified, false);
  });

  it('finish - should fail with email_unavailable when GitHub refuses the address list', async () => {
    resetFake();
    fake.emails = { status: 403, body: { message: 'Resource not accessible by integration' } };
    await rejectsWithReason(githubSignIn(), 'email_unavailable');
  });

  it('finish - should refuse a code GitHub rejects (its errors come in a 200 body)', async () => {
    resetFake();
    await rejectsWithReason(githubSignIn({ code: 'stale-code' }), 'invalid_response');
    assert.equal(fake.requests.filter((r) => r.path === '/user').length, 0);
  });

  it('wrong PKCE verifier - should be refused (the stand-in checks S256 like GitHub)', async () => {
    resetFake();
    const other = newAuthorizationSecrets();
    await rejectsWithReason(githubSignIn({ codeVerifier: other.codeVerifier }), 'invalid_response');
    assert.equal(fake.requests.filter((r) => r.path === '/user').length, 0);
  });

  it('finish - should refuse a user without a numeric id', async () => {
    resetFake();
    fake.user = { status: 200, body: { id: '583231', login: 'octocat' } };
    await rejectsWithReason(githubSignIn(), 'invalid_response', 'user');
  });

  it('state mismatch - should refuse before redeeming the code', async () => {
    resetFake();
    const secrets = newAuthorizationSecrets();
    const callbackUrl = new URL(REDIRECT_URI);
    callbackUrl.searchParams.set('code', 'github-code');
    callbackUrl.searchParams.set('state', newAuthorizationSecrets().state);
    await rejectsWithReason(client.finish({ callbackUrl, ...secrets }), 'state_mismatch');
    assert.equal(fake.requests.length, 0);
  });
});
