/**
 * Threat: a forged, altered, replayed-from-elsewhere or stale bearer token gets a request
 * through. Invariant: through a real authenticated route (GET /users/me), every token that is
 * not a current access token of this issuer, for this audience, signed with this app's derived
 * access key under a known `kid`, with only the `alg`/`typ`/`kid` header members, is refused
 * with 401 INVALID_TOKEN and `WWW-Authenticate: Bearer error="invalid_token"` — the same body
 * whatever the reason, so the answer does not tell an attacker which check failed. A request
 * with no credential at all is 401 UNAUTHENTICATED with a bare `Bearer` challenge.
 */
import assert from 'node:assert/strict';
import { createHmac, createPublicKey } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createAuth } from '../../src/index.ts';
import {
  assertInvalidToken,
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  HARNESS_BASE_URL,
  type Harness,
  harnessConfig,
  jwtHeader,
  jwtPayload,
  type SignedInUser,
  send,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';

let h: Harness;
let me: SignedInUser;
/** The raw HS256 key of the access-token purpose, so crafted tokens carry valid signatures. */
let accessKey: Buffer;

before(async () => {
  h = await createHarness();
  me = await h.signedInUser();
  const purpose = h.auth.keyring.active('access-token');
  accessKey = purpose.key.export();
});
after(() => h.close());

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A compact JWS over `header` and `payload`, HMAC-SHA-256 with `key` (or a given signature). */
function compact(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  options: { key?: Buffer | string; signature?: string } = {},
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const signature =
    options.signature ??
    createHmac('sha256', options.key ?? accessKey)
      .update(input)
      .digest('base64url');
  return `${input}.${signature}`;
}

const goodHeader = () => jwtHeader(me.accessToken);
const goodClaims = () => jwtPayload(me.accessToken);

async function getMe(token: string): Promise<Awaited<ReturnType<typeof send>>> {
  return h.get('/users/me', { token });
}

describe('crafting sanity', () => {
  it('crafted token - should pass when it copies a real token exactly (so every refusal below is the check under test)', async () => {
    const token = compact(goodHeader(), goodClaims());
    assert.equal(token, me.accessToken, 'the crafting reproduces the real token byte for byte');
    assert.equal((await getMe(token)).status, 200);
    const now = Math.floor(Date.now() / 1000);
    const fresh = compact(goodHeader(), {
      ...goodClaims(),
      jti: crypto.randomUUID(),
      iat: now,
      exp: now + 900,
    });
    assert.equal((await getMe(fresh)).status, 200, 'a freshly signed token with the derived key is accepted');
  });
});

describe('GET /users/me refuses bad bearer tokens with 401 INVALID_TOKEN', () => {
  const bodies = new Set<string>();

  async function refused(token: string, label: string): Promise<void> {
    const response = await getMe(token);
    assert.equal(response.status, 401, `${label}: ${response.status} ${response.text}`);
    assertInvalidToken(response);
    bodies.add(response.text);
  }

  it('alg none - should refuse alg none in every casing, with or without a signature', async () => {
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      const header = { ...goodHeader(), alg };
      await refused(compact(header, goodClaims(), { signature: '' }), `alg ${alg}, empty signature`);
      await refused(compact(header, goodClaims()), `alg ${alg}, HMAC signature`);
    }
  });

  it('algorithm confusion - should refuse other algorithms, whatever the signature', async () => {
    for (const alg of ['HS384', 'HS512', 'hs256', 'RS256', 'ES256', 'EdDSA', '']) {
      await refused(compact({ ...goodHeader(), alg }, goodClaims()), `alg ${alg}`);
    }
  });

  it('tampered signature - should refuse a changed signature and a changed payload', async () => {
    const [header, payload, signature] = me.accessToken.split('.') as [string, string, string];
    const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    await refused(`${header}.${payload}.${flipped}`, 'flipped signature');
    await refused(`${header}.${payload}.`, 'empty signature');
    await refused(`${header}.${payload}.${signature}AA`, 'longer signature');
    const elevated = b64({ ...goodClaims(), roles: ['admin'] });
    await refused(`${header}.${elevated}.${signature}`, 'payload changed, signature kept');
    await refused(
      compact(goodHeader(), goodClaims(), { key: Buffer.alloc(32, 7) }),
      'signed with another key',
    );
  });

  it('token class - should refuse a verification token from the mail used as a bearer token', async () => {
    const email = uniqueEmail('class');
    await h.post('/auth/register', { email, password: GOOD_PASSWORD });
    const verifyToken = await h.verifyTokenFor(email);
    await refused(verifyToken, 'verification token');
    // The verify key signs it; even re-signed with the access key, its typ and audience refuse it.
    await refused(compact(jwtHeader(verifyToken), jwtPayload(verifyToken)), 'verify token re-signed');
    for (const typ of ['JWT', 'jwt', 'gh-verify+jwt', 'at+jwt2', 'application/jwt']) {
      await refused(compact({ ...goodHeader(), typ }, goodClaims()), `typ ${typ}`);
    }
    const { typ: _typ, ...noTyp } = goodHeader();
    await refused(compact(noTyp, goodClaims()), 'no typ');
  });

  it('wrong audience or issuer - should refuse tokens another instance with the same secrets issued', async () => {
    const shared = { secret: h.auth.config.secrets[0]!.secret, dataDir: h.auth.config.dataDir };
    for (const tokens of [
      { audience: 'https://other-api.example.test' },
      { issuer: 'https://other-issuer.example.test' },
    ]) {
      const other = await createAuth({ ...harnessConfig(shared), tokens });
      try {
        await other.migrate();
        const email = uniqueEmail('foreign');
        await other.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
        const login = await send(other, 'POST', '/auth/login', { body: { email, password: GOOD_PASSWORD } });
        assert.equal(login.status, 200);
        const token: string = login.body.accessToken;
        assert.equal(
          (await send(other, 'GET', '/users/me', { token })).status,
          200,
          'valid where it was issued',
        );
        assert.equal(jwtHeader(token).kid, goodHeader().kid, 'same derived key');
        await refused(token, `foreign ${Object.keys(tokens)[0]}`);
      } finally {
        await other.close();
      }
    }
    // The same refusal for crafted claims on our own key.
    await refused(compact(goodHeader(), { ...goodClaims(), aud: 'https://other-api.example.test' }), 'aud');
    await refused(compact(goodHeader(), { ...goodClaims(), aud: [HARNESS_BASE_URL, 'x'] }), 'aud array');
    await refused(compact(goodHeader(), { ...goodClaims(), iss: `${HARNESS_BASE_URL}/` }), 'iss');
    const { iss: _iss, ...noIss } = goodClaims();
    await refused(compact(goodHeader(), noIss), 'no iss');
  });

  it('expired or not yet valid - should refuse tokens outside their lifetime (30 s leeway)', async () => {
    const now = Math.floor(Date.now() / 1000);
    const at = (iat: number, exp = iat + 900) => ({ ...goodClaims(), jti: crypto.randomUUID(), iat, exp });
    await refused(compact(goodHeader(), at(now - 3600)), 'expired an hour ago');
    await refused(compact(goodHeader(), at(now - 900 - 31)), 'expired just past the leeway');
    await refused(compact(goodHeader(), at(now + 3600)), 'issued in the future');
    await refused(compact(goodHeader(), { ...at(now), nbf: now + 3600 }), 'not before in the future');
    await refused(compact(goodHeader(), at(now, now + 86_400)), 'a lifetime longer than the class allows');
    const { exp: _exp, ...noExp } = at(now);
    await refused(compact(goodHeader(), noExp), 'no exp');
    // Within the leeway still passes, so the cases above fail on time alone.
    assert.equal((await getMe(compact(goodHeader(), at(now - 900 + 5)))).status, 200);
  });

  it('kid and header members - should refuse an unknown kid, crit, and embedded or remote keys', async () => {
    for (const kid of ['unknown', 'k2-hs256', '../k1-hs256', '__proto__', '']) {
      await refused(compact({ ...goodHeader(), kid }, goodClaims()), `kid ${kid}`);
    }
    const { kid: _kid, ...noKid } = goodHeader();
    await refused(compact(noKid, goodClaims()), 'no kid');
    const jwk = { kty: 'oct', k: accessKey.toString('base64url') };
    const extras: Record<string, unknown>[] = [
      { crit: ['exp'] },
      { crit: [] },
      { jwk },
      { jku: 'https://evil.example/jwks.json' },
      { x5u: 'https://evil.example/cert.pem' },
      { x5c: ['MIIB'] },
      { x5t: 'abc' },
      { b64: false },
      { zip: 'DEF' },
    ];
    for (const extra of extras) {
      await refused(compact({ ...goodHeader(), ...extra }, goodClaims()), `header ${Object.keys(extra)[0]}`);
    }
  });

  it('malformed tokens - should refuse tokens that are not three canonical base64url JSON segments', async () => {
    const [header, payload, signature] = me.accessToken.split('.') as [string, string, string];
    for (const token of [
      'x',
      `${header}.${payload}`,
      `${header}.${payload}.${signature}.${signature}`,
      `${header}=.${payload}.${signature}`,
      `${b64('not an object')}.${payload}.${signature}`,
      `${header}.${Buffer.from('not json').toString('base64url')}.${signature}`,
      'a'.repeat(9000),
    ]) {
      await refused(token, `malformed ${token.slice(0, 20)}`);
    }
  });

  it('malformed Authorization - should refuse a header that is not exactly one bearer token', async () => {
    for (const authorization of [
      'Bearer',
      'Bearer ',
      'Basic dXNlcjpwYXNz',
      `Basic ${me.accessToken}`,
      `Bearer ${me.accessToken} ${me.accessToken}`,
      `Bearer ${me.accessToken}, Bearer ${me.accessToken}`,
      `Token ${me.accessToken}`,
      me.accessToken,
    ]) {
      const response = await h.get('/users/me', { headers: { Authorization: authorization } });
      assertInvalidToken(response);
      bodies.add(response.text);
    }
  });

  it('scheme - should accept the bearer scheme in any case and with several spaces (RFC 6750 grammar)', async () => {
    for (const authorization of [
      `bearer ${me.accessToken}`,
      `BEARER ${me.accessToken}`,
      `Bearer  ${me.accessToken}`,
    ]) {
      const response = await h.get('/users/me', { headers: { Authorization: authorization } });
      assert.equal(response.status, 200, authorization.slice(0, 8));
    }
  });

  it('uniform answer - should give every refusal above the same body', () => {
    assert.equal(bodies.size, 1, [...bodies].join('\n'));
    const [body] = bodies;
    assert.deepEqual(Object.keys(JSON.parse(body!)).sort(), ['code', 'status', 'title', 'type']);
  });
});

describe('GET /users/me without a credential', () => {
  it('no Authorization - should answer 401 UNAUTHENTICATED with a bare Bearer challenge', async () => {
    const response = await h.get('/users/me');
    assertProblem(response, 401, 'UNAUTHENTICATED');
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
  });
});

describe('EdDSA instance', () => {
  it('HS256 signed with the public key - should be refused by an EdDSA instance', async () => {
    const eddsa = await createHarness({ config: { tokens: { algorithm: 'EdDSA' } } });
    try {
      const user = await eddsa.signedInUser();
      assert.equal(jwtHeader(user.accessToken).alg, 'EdDSA');
      assert.equal((await eddsa.get('/users/me', { token: user.accessToken })).status, 200);
      const jwks = await eddsa.get('/.well-known/jwks.json');
      const publicJwk = jwks.body.keys[0];
      const pem = createPublicKey({ key: publicJwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      const header = { ...jwtHeader(user.accessToken), alg: 'HS256' };
      const claims = jwtPayload(user.accessToken);
      for (const key of [
        String(pem),
        Buffer.from(String(publicJwk.x), 'base64url'),
        JSON.stringify(publicJwk),
      ]) {
        const token = compact(header, claims, { key: key as Buffer | string });
        assertInvalidToken(await eddsa.get('/users/me', { token }));
      }
      assertInvalidToken(
        await eddsa.get('/users/me', { token: compact(jwtHeader(user.accessToken), claims) }),
      );
    } finally {
      await eddsa.close();
    }
  });
});
