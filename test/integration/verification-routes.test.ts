/**
 * The email-verification rows of the HTTP contract, in process: POST /auth/request-verify
 * (always 202 with one body) and POST /auth/verify (200 with the user, 400
 * VERIFY_TOKEN_INVALID for a bad, expired or used token), the mail they send and the audit
 * event they write.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createJwtCodec, deriveJwtKey, type TokenClass } from '../../src/crypto/jwt/index.ts';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  HARNESS_BASE_URL,
  type Harness,
  jwtHeader,
  jwtPayload,
  send,
  tokenFromMail,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';

let h: Harness;
before(async () => {
  h = await createHarness();
});
after(() => h.close());

/** Headers that may differ between two otherwise identical responses. */
const VARYING_HEADERS = new Set(['x-request-id', 'date']);

function comparableHeaders(headers: Headers): [string, string][] {
  return [...headers].filter(([name]) => !VARYING_HEADERS.has(name));
}

/** A verify-token signer with this instance's derived verify key, for crafted tokens. */
function verifyTokenSigner() {
  const purposeKey = h.auth.keyring.active('verify-token');
  const key = deriveJwtKey('HS256', new Uint8Array(purposeKey.key.export()), `${purposeKey.id}-hs256`);
  const codec = createJwtCodec({ algorithm: 'HS256', keys: [key], issuer: HARNESS_BASE_URL });
  const tokenClass: TokenClass = {
    typ: 'gh-verify+jwt',
    audience: `${HARNESS_BASE_URL}#verify-email`,
    lifetimeSeconds: 24 * 3600,
  };
  return (claims: { sub: string; eml: unknown; stm: unknown }, now: number) =>
    codec.sign(
      tokenClass,
      { sub: claims.sub, jti: crypto.randomUUID(), eml: claims.eml, stm: claims.stm },
      { now },
    );
}

describe('POST /auth/request-verify', () => {
  it('request-verify - should answer the same 202 for unknown, unverified, verified and malformed addresses', async () => {
    const unverified = uniqueEmail('unverified');
    await h.register(unverified, { verify: false });
    const verified = uniqueEmail('verified');
    await h.register(verified);
    const mailBefore = h.mail.length;

    const responses = [];
    for (const email of [uniqueEmail('unknown'), unverified.toUpperCase(), verified, 'not an address']) {
      responses.push(await h.post('/auth/request-verify', { email }));
    }
    for (const response of responses) {
      assert.equal(response.status, 202, response.text);
      assert.deepEqual(response.body, { status: 'accepted' });
      assert.equal(response.text, responses[0]!.text);
      assert.deepEqual(comparableHeaders(response.headers), comparableHeaders(responses[0]!.headers));
    }
    const sent = h.mail.slice(mailBefore);
    assert.deepEqual(
      sent.map((m) => m.to),
      [unverified],
      'only the unverified account gets a new link, at its stored address',
    );
  });

  it('request-verify - should send nothing for a deactivated account', async () => {
    const email = uniqueEmail('inactive');
    const { userId } = await h.register(email, { verify: false });
    await h.auth.api.users.update(userId, { isActive: false });
    const mailBefore = h.mail.length;
    assert.equal((await h.post('/auth/request-verify', { email })).status, 202);
    assert.equal(h.mail.length, mailBefore);
  });

  it('request-verify - should send a link that verifies the account', async () => {
    const email = uniqueEmail('again');
    await h.register(email, { verify: false });
    const first = await h.verifyTokenFor(email);
    assert.equal((await h.post('/auth/request-verify', { email })).status, 202);
    const second = await h.verifyTokenFor(email);
    assert.notEqual(second, first);
    const response = await h.post('/auth/verify', { token: second });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.user.emailVerified, true);
  });

  it('request-verify - should answer 422 VALIDATION_FAILED without an email or with unknown fields', async () => {
    assertProblem(await h.post('/auth/request-verify', {}), 422, 'VALIDATION_FAILED');
    assertProblem(
      await h.post('/auth/request-verify', { email: uniqueEmail(), redirect: 'https://evil.example' }),
      422,
      'VALIDATION_FAILED',
    );
  });

  it('request-verify - should build links from baseUrl, never from the request host', async () => {
    const email = uniqueEmail('host');
    await h.register(email, { verify: false });
    const forged = new Request('http://evil.example/auth/request-verify', {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Forwarded-Host': 'evil.example',
        'X-Forwarded-Proto': 'http',
      },
      body: JSON.stringify({ email }),
    });
    assert.equal((await h.auth.fetch(forged)).status, 202);
    const message = await h.mailTo(email);
    assert.ok(message.text.includes(`${HARNESS_BASE_URL}/verify-email?token=`));
    assert.equal(message.text.includes('evil.example'), false);
  });
});

describe('POST /auth/verify', () => {
  it('verify - should answer 200 { user } with emailVerified and record user.email_verified', async () => {
    const email = uniqueEmail('ok');
    const { userId } = await h.register(email, { verify: false });
    const token = await h.verifyTokenFor(email);
    const header = jwtHeader(token);
    assert.equal(header.typ, 'gh-verify+jwt', 'verification tokens have their own typ');
    assert.notEqual(jwtPayload(token).aud, HARNESS_BASE_URL, 'and their own audience');

    const response = await h.post('/auth/verify', { token });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(Object.keys(response.body), ['user']);
    assert.equal(response.body.user.id, userId);
    assert.equal(response.body.user.email, email);
    assert.equal(response.body.user.emailVerified, true);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    const events = await h.auth.repositories.audit.list({ userId, type: 'user.email_verified', limit: 10 });
    assert.equal(events.length, 1);
  });

  it('verify - should answer 400 VERIFY_TOKEN_INVALID for a used token', async () => {
    const email = uniqueEmail('used');
    await h.register(email, { verify: false });
    const token = await h.verifyTokenFor(email);
    assert.equal((await h.post('/auth/verify', { token })).status, 200);
    const again = await h.post('/auth/verify', { token });
    assertProblem(again, 400, 'VERIFY_TOKEN_INVALID');
  });

  it('verify - should answer 400 VERIFY_TOKEN_INVALID for garbage and for a tampered token', async () => {
    const email = uniqueEmail('tamper');
    await h.register(email, { verify: false });
    const token = await h.verifyTokenFor(email);
    const [headerSegment, payloadSegment, signature] = token.split('.') as [string, string, string];
    const otherPayload = Buffer.from(
      JSON.stringify({ ...jwtPayload(token), sub: '00000000-0000-7000-8000-000000000000' }),
    ).toString('base64url');
    const flipped = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
    for (const bad of [
      'garbage',
      'a.b.c',
      `${headerSegment}.${otherPayload}.${signature}`,
      `${headerSegment}.${payloadSegment}.${flipped}`,
      `${headerSegment}.${payloadSegment}.`,
    ]) {
      assertProblem(await h.post('/auth/verify', { token: bad }), 400, 'VERIFY_TOKEN_INVALID');
    }
    // The real token was not burnt by the failed attempts.
    assert.equal((await h.post('/auth/verify', { token })).status, 200);
  });

  it('verify - should answer 400 VERIFY_TOKEN_INVALID for an expired token', async () => {
    const email = uniqueEmail('expired');
    const { userId } = await h.register(email, { verify: false });
    const { eml, stm } = jwtPayload(await h.verifyTokenFor(email));
    const sign = verifyTokenSigner();
    const expired = await sign({ sub: userId, eml, stm }, Date.now() - (24 * 3600 + 120) * 1000);
    assertProblem(await h.post('/auth/verify', { token: expired }), 400, 'VERIFY_TOKEN_INVALID');
    // The same crafting with a current time verifies: only the expiry refused the first one.
    const fresh = await sign({ sub: userId, eml, stm }, Date.now());
    assert.equal((await h.post('/auth/verify', { token: fresh })).status, 200);
  });

  it('verify - should answer 400 VERIFY_TOKEN_INVALID once the user is deleted', async () => {
    const email = uniqueEmail('deleted');
    const { userId } = await h.register(email, { verify: false });
    const token = await h.verifyTokenFor(email);
    assert.equal(await h.auth.api.users.delete(userId), true);
    assertProblem(await h.post('/auth/verify', { token }), 400, 'VERIFY_TOKEN_INVALID');
  });

  it('verify - should answer 200 for a second unused link of an already verified account', async () => {
    const email = uniqueEmail('twice');
    await h.register(email, { verify: false });
    const first = await h.verifyTokenFor(email);
    await h.post('/auth/request-verify', { email });
    const second = await h.verifyTokenFor(email);
    assert.equal((await h.post('/auth/verify', { token: first })).status, 200);
    const response = await h.post('/auth/verify', { token: second });
    assert.equal(response.status, 200);
    assert.equal(response.body.user.emailVerified, true);
  });

  it('verify - should answer 422 VALIDATION_FAILED without a token and 415 for a form post', async () => {
    assertProblem(await h.post('/auth/verify', {}), 422, 'VALIDATION_FAILED');
    assertProblem(await h.post('/auth/verify', { token: '' }), 422, 'VALIDATION_FAILED');
    const form = await send(h.auth, 'POST', '/auth/verify', {
      body: 'token=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assertProblem(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('verify - should let the verified user log in (enumeration-safe default)', async () => {
    const email = uniqueEmail('then-login');
    await h.post('/auth/register', { email, password: GOOD_PASSWORD });
    assertProblem(
      await h.post('/auth/login', { email, password: GOOD_PASSWORD }),
      401,
      'LOGIN_BAD_CREDENTIALS',
    );
    const message = await h.mailTo(email);
    assert.equal((await h.post('/auth/verify', { token: tokenFromMail(message) })).status, 200);
    assert.equal((await h.post('/auth/login', { email, password: GOOD_PASSWORD })).status, 200);
  });
});
