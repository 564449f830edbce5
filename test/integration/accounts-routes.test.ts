/**
 * The Accounts routes of the HTTP contract, in process: POST /auth/register (both registration
 * modes), POST /auth/login, GET and PATCH /users/me and POST /users/me/change-password, with
 * their status codes, body shapes, error codes and the audit events they write.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createAuth, generateSecret } from '../../src/index.ts';
import type { MailMessage } from '../../src/mail/contract.ts';
import {
  assertProblem,
  capturingTransport,
  createHarness,
  GOOD_PASSWORD,
  HARNESS_BASE_URL,
  type Harness,
  harnessAround,
  harnessConfig,
  jwtHeader,
  jwtPayload,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Asserts the API.md `user` object: exactly its fields, with their types. */
function assertUserView(
  user: Record<string, unknown>,
  expected: { email: string; emailVerified: boolean },
): void {
  assert.deepEqual(Object.keys(user).sort(), [
    'createdAt',
    'email',
    'emailVerified',
    'id',
    'name',
    'roles',
    'twoFactorEnabled',
  ]);
  assert.equal(typeof user.id, 'string');
  assert.equal(user.email, expected.email);
  assert.equal(user.emailVerified, expected.emailVerified);
  assert.deepEqual(user.roles, []);
  assert.equal(user.twoFactorEnabled, false);
  assert.match(String(user.createdAt), ISO_UTC);
}

describe('POST /auth/register in open mode', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ config: { registration: { mode: 'open' } } });
  });
  after(() => h.close());

  it('register - should answer 201 with the user, its email normalised', async () => {
    const local = uniqueEmail('open');
    const response = await h.post('/auth/register', {
      email: `  ${local.toUpperCase()} `,
      password: GOOD_PASSWORD,
      name: 'Ada',
    });
    assert.equal(response.status, 201, response.text);
    assert.equal(response.headers.get('content-type'), 'application/json');
    assert.deepEqual(Object.keys(response.body), ['user']);
    assertUserView(response.body.user, { email: local, emailVerified: false });
    assert.equal(response.body.user.name, 'Ada');
    // Open mode without requireVerifiedEmail sends no verification mail.
    assert.equal(
      h.mail.some((m) => m.to === local),
      false,
    );
  });

  it('register - should answer 409 USER_ALREADY_EXISTS for a taken email in any spelling', async () => {
    const email = uniqueEmail('taken');
    assert.equal((await h.post('/auth/register', { email, password: GOOD_PASSWORD })).status, 201);
    for (const spelling of [email, email.toUpperCase(), ` ${email}\t`]) {
      const response = await h.post('/auth/register', { email: spelling, password: `${GOOD_PASSWORD}!` });
      assertProblem(response, 409, 'USER_ALREADY_EXISTS');
    }
  });

  it('register - should answer 422 PASSWORD_POLICY with each reason code and create nothing', async () => {
    const email = uniqueEmail('policy');
    const local = email.split('@')[0]!;
    const cases: { password: string; reasons: string[] }[] = [
      { password: 'Zq8#vL2!xk3$mW', reasons: ['too_short'] },
      {
        password: Array.from({ length: 1025 }, (_, i) => 'Zq8#vL2!xk'[i % 10]).join(''),
        reasons: ['too_long'],
      },
      { password: 'password12345678', reasons: ['common'] },
      { password: `${local}Zq8#vL2!xk`, reasons: ['contains_email'] },
      { password: 'Zq8#vL2!xk-Gatehouse', reasons: ['contains_context'] },
      { password: 'qwerty', reasons: ['too_short', 'common'] },
    ];
    for (const { password, reasons } of cases) {
      const response = await h.post('/auth/register', { email, password });
      assertProblem(response, 422, 'PASSWORD_POLICY');
      assert.deepEqual(response.body.reasons, reasons);
      assert.deepEqual(
        response.body.errors,
        reasons.map((reason) => ({ path: 'password', message: reason })),
      );
      // The problem never echoes the password.
      assert.equal(response.text.includes(password), false);
    }
    assert.equal(await h.auth.api.users.findByEmail(email), null);
    assert.equal((await h.post('/auth/register', { email, password: GOOD_PASSWORD })).status, 201);
  });

  it('register - should count password length in code points after NFC', async () => {
    // 15 code points, 30 UTF-16 units: long enough.
    const astral = '𝔘𝔫𝔦𝔠𝔬𝔡𝔢𝔓𝔞𝔰𝔰𝔴𝔬𝔯𝔡';
    const ok = await h.post('/auth/register', { email: uniqueEmail('astral'), password: astral });
    assert.equal(ok.status, 201, ok.text);
    // 18 code points as typed (decomposed accents), 14 after NFC: only NFC counting refuses it.
    const decomposed = `${'e\u0301'.repeat(4)}Zq8#vL2!xk`;
    assert.equal(decomposed.length, 18);
    const short = await h.post('/auth/register', { email: uniqueEmail('nfc'), password: decomposed });
    assertProblem(short, 422, 'PASSWORD_POLICY');
    assert.deepEqual(short.body.reasons, ['too_short']);
  });

  it('register - should answer 422 VALIDATION_FAILED for a missing, invalid or unknown field', async () => {
    const bodies: unknown[] = [
      { password: GOOD_PASSWORD },
      { email: uniqueEmail() },
      { email: 'not-an-address', password: GOOD_PASSWORD },
      { email: uniqueEmail(), password: GOOD_PASSWORD, nickname: 'x' },
      { email: 42, password: GOOD_PASSWORD },
      [],
    ];
    for (const body of bodies) {
      const response = await h.post('/auth/register', body);
      assertProblem(response, 422, 'VALIDATION_FAILED');
      assert.ok(Array.isArray(response.body.errors) && response.body.errors.length > 0);
      assert.equal(response.text.includes('not-an-address'), false, 'the input is never echoed');
    }
  });

  it('register - should answer 400 MALFORMED_BODY for bad JSON and 415 for a form post', async () => {
    assertProblem(await h.post('/auth/register', '{"email":'), 400, 'MALFORMED_BODY');
    const form = await h.request('POST', '/auth/register', {
      body: 'email=a%40b.test&password=x',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assertProblem(form, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('login - should work without verification in open mode and answer the token pair and user', async () => {
    const email = uniqueEmail('openlogin');
    await h.post('/auth/register', { email, password: GOOD_PASSWORD });
    const response = await h.post('/auth/login', { email, password: GOOD_PASSWORD });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(Object.keys(response.body).sort(), [
      'accessToken',
      'expiresIn',
      'refreshToken',
      'tokenType',
      'user',
    ]);
    assert.equal(response.body.tokenType, 'Bearer');
    assert.equal(response.body.expiresIn, 900);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assertUserView(response.body.user, { email, emailVerified: false });
    assert.match(response.body.refreshToken, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);

    const header = jwtHeader(response.body.accessToken);
    assert.deepEqual(header, { alg: 'HS256', typ: 'at+jwt', kid: 'k1-hs256' });
    const claims = jwtPayload(response.body.accessToken);
    for (const claim of ['iss', 'aud', 'sub', 'sid', 'jti', 'iat', 'exp', 'amr']) {
      assert.ok(claim in claims, `access token carries ${claim}`);
    }
    assert.equal(claims.iss, HARNESS_BASE_URL);
    assert.equal(claims.aud, HARNESS_BASE_URL);
    assert.equal(claims.sub, response.body.user.id);
    assert.equal(Number(claims.exp) - Number(claims.iat), 900);
    assert.deepEqual(claims.amr, ['pwd']);
  });

  it('login - should answer 401 LOGIN_BAD_CREDENTIALS for a wrong password, with the Bearer challenge', async () => {
    const email = uniqueEmail('wrong');
    await h.post('/auth/register', { email, password: GOOD_PASSWORD });
    const response = await h.post('/auth/login', { email, password: `${GOOD_PASSWORD}?` });
    assertProblem(response, 401, 'LOGIN_BAD_CREDENTIALS');
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
    assert.equal(response.text.includes(email), false);
  });
});

describe('POST /auth/register in open mode with requireVerifiedEmail', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ config: { registration: { mode: 'open', requireVerifiedEmail: true } } });
  });
  after(() => h.close());

  it('register - should send a verification mail, and login should wait for the verification', async () => {
    const email = uniqueEmail('strict');
    const created = await h.post('/auth/register', { email, password: GOOD_PASSWORD });
    assert.equal(created.status, 201);
    const token = await h.verifyTokenFor(email);
    assertProblem(
      await h.post('/auth/login', { email, password: GOOD_PASSWORD }),
      401,
      'LOGIN_BAD_CREDENTIALS',
    );
    assert.equal((await h.post('/auth/verify', { token })).status, 200);
    assert.equal((await h.post('/auth/login', { email, password: GOOD_PASSWORD })).status, 200);
  });
});

describe('POST /auth/register and /auth/login in enumeration-safe mode (default)', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  it('register - should answer 202 { status: "accepted" } and mail a verification link to the stored address', async () => {
    const email = uniqueEmail('safe');
    const response = await h.post('/auth/register', {
      email: `  ${email.toUpperCase()}`,
      password: GOOD_PASSWORD,
    });
    assert.equal(response.status, 202, response.text);
    assert.deepEqual(response.body, { status: 'accepted' });
    const message = await h.mailTo(email);
    assert.match(message.subject, /^Verify your email/);
    assert.ok(message.text.includes(`${HARNESS_BASE_URL}/verify-email?token=`), 'the link uses baseUrl');
  });

  it('register - should answer the same 202 for a taken email and mail a notice to the owner', async () => {
    const email = uniqueEmail('owner');
    const first = await h.post('/auth/register', { email, password: GOOD_PASSWORD });
    const again = await h.post('/auth/register', {
      email: email.toUpperCase(),
      password: `${GOOD_PASSWORD}x`,
    });
    assert.equal(again.status, 202);
    assert.equal(again.text, first.text);
    const notice = await h.mailTo(email, { subject: /^Sign-up attempt/ });
    assert.equal(notice.text.includes('token='), false, 'the notice carries no link with a token');
    // The second attempt did not replace the owner's password.
    const token = await h.verifyTokenFor(email);
    assert.equal((await h.post('/auth/verify', { token })).status, 200);
    assert.equal((await h.post('/auth/login', { email, password: GOOD_PASSWORD })).status, 200);
    assertProblem(
      await h.post('/auth/login', { email, password: `${GOOD_PASSWORD}x` }),
      401,
      'LOGIN_BAD_CREDENTIALS',
    );
  });

  it('register - should still refuse a weak password with 422 PASSWORD_POLICY', async () => {
    const response = await h.post('/auth/register', { email: uniqueEmail(), password: 'letmein' });
    assertProblem(response, 422, 'PASSWORD_POLICY');
  });

  it('login - should refuse an unverified email with 401 and accept it once verified', async () => {
    const email = uniqueEmail('verify');
    await h.register(email, { verify: false });
    const before = await h.post('/auth/login', { email, password: GOOD_PASSWORD });
    assertProblem(before, 401, 'LOGIN_BAD_CREDENTIALS');
    const verified = await h.post('/auth/verify', { token: await h.verifyTokenFor(email) });
    assert.equal(verified.status, 200);
    const after = await h.post('/auth/login', { email, password: GOOD_PASSWORD });
    assert.equal(after.status, 200, after.text);
    assert.equal(after.body.user.emailVerified, true);
  });

  it('login - should accept case, whitespace and compatibility-form variants of the email', async () => {
    const email = uniqueEmail('norm');
    await h.register(email);
    const fullwidth = email.replace(/[!-~]/g, (c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0));
    for (const variant of [email.toUpperCase(), `  ${email}  `, `\t${email.toUpperCase()}\n`, fullwidth]) {
      const response = await h.post('/auth/login', { email: variant, password: GOOD_PASSWORD });
      assert.equal(response.status, 200, `variant ${JSON.stringify(variant)}: ${response.text}`);
      assert.equal(response.body.user.email, email);
    }
  });

  it('login - should answer 422 VALIDATION_FAILED for a missing field or an unknown one', async () => {
    assertProblem(await h.post('/auth/login', { email: uniqueEmail() }), 422, 'VALIDATION_FAILED');
    assertProblem(
      await h.post('/auth/login', { email: uniqueEmail(), password: GOOD_PASSWORD, remember: true }),
      422,
      'VALIDATION_FAILED',
    );
  });
});

describe('GET and PATCH /users/me', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  it('GET /users/me - should answer 200 { user } for the token holder', async () => {
    const me = await h.signedInUser();
    const response = await h.get('/users/me', { token: me.accessToken });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(Object.keys(response.body), ['user']);
    assertUserView(response.body.user, { email: me.email, emailVerified: true });
    assert.equal(response.body.user.id, me.userId);
  });

  it('GET /users/me - should answer 401 UNAUTHENTICATED with a bare Bearer challenge without a token', async () => {
    const response = await h.get('/users/me');
    assertProblem(response, 401, 'UNAUTHENTICATED');
    assert.equal(response.headers.get('www-authenticate'), 'Bearer');
  });

  it('PATCH /users/me - should set and clear the name and answer the updated user', async () => {
    const me = await h.signedInUser();
    const named = await h.request('PATCH', '/users/me', {
      token: me.accessToken,
      body: { name: '  Grace  ' },
    });
    assert.equal(named.status, 200, named.text);
    assert.equal(named.body.user.name, 'Grace');
    assert.equal((await h.get('/users/me', { token: me.accessToken })).body.user.name, 'Grace');
    const cleared = await h.request('PATCH', '/users/me', { token: me.accessToken, body: { name: null } });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.user.name, null);
    const unchanged = await h.request('PATCH', '/users/me', { token: me.accessToken, body: {} });
    assert.equal(unchanged.status, 200);
    assert.equal(unchanged.body.user.name, null);
  });

  it('PATCH /users/me - should answer 422 for an email change or an empty name', async () => {
    const me = await h.signedInUser();
    for (const body of [{ email: uniqueEmail() }, { name: '   ' }, { name: 'x'.repeat(201) }]) {
      const response = await h.request('PATCH', '/users/me', { token: me.accessToken, body });
      assertProblem(response, 422, 'VALIDATION_FAILED');
    }
    assert.equal((await h.get('/users/me', { token: me.accessToken })).body.user.email, me.email);
  });

  it('PATCH /users/me - should answer 401 without a token before reading the body', async () => {
    assertProblem(await h.request('PATCH', '/users/me', { body: { name: 'x' } }), 401, 'UNAUTHENTICATED');
  });
});

describe('POST /users/me/change-password', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  const NEW_PASSWORD = 'an entirely new passphrase 77';

  it('change-password - should answer 401 LOGIN_BAD_CREDENTIALS for a wrong current password and change nothing', async () => {
    const me = await h.signedInUser();
    const response = await h.post(
      '/users/me/change-password',
      { currentPassword: 'not the password at all', newPassword: NEW_PASSWORD },
      { token: me.accessToken },
    );
    assertProblem(response, 401, 'LOGIN_BAD_CREDENTIALS');
    // The caller's token is fine: this 401 is about the password, not the credential.
    assert.equal((await h.get('/users/me', { token: me.accessToken })).status, 200);
    assert.equal((await h.post('/auth/login', { email: me.email, password: GOOD_PASSWORD })).status, 200);
  });

  it('change-password - should answer 422 PASSWORD_POLICY for a weak new password and change nothing', async () => {
    const me = await h.signedInUser();
    const local = me.email.split('@')[0]!;
    for (const [newPassword, reason] of [
      ['short', 'too_short'],
      ['password1234', 'common'],
      [`${local}-Zq8#vL2!xk`, 'contains_email'],
    ] as const) {
      const response = await h.post(
        '/users/me/change-password',
        { currentPassword: GOOD_PASSWORD, newPassword },
        { token: me.accessToken },
      );
      assertProblem(response, 422, 'PASSWORD_POLICY');
      assert.ok(response.body.reasons.includes(reason), `${reason} in ${response.text}`);
    }
    assert.equal((await h.post('/auth/login', { email: me.email, password: GOOD_PASSWORD })).status, 200);
  });

  it('change-password - should answer 204, swap the passwords, keep this session and end the others', async () => {
    const me = await h.signedInUser();
    const other = await h.login(me.email);
    const response = await h.post(
      '/users/me/change-password',
      { currentPassword: GOOD_PASSWORD, newPassword: NEW_PASSWORD },
      { token: me.accessToken },
    );
    assert.equal(response.status, 204, response.text);
    assert.equal(response.text, '');
    assert.equal((await h.get('/users/me', { token: me.accessToken })).status, 200);
    assertProblem(await h.get('/users/me', { token: other.accessToken }), 401, 'INVALID_TOKEN');
    assertProblem(
      await h.post('/auth/refresh', { refreshToken: other.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );
    assertProblem(
      await h.post('/auth/login', { email: me.email, password: GOOD_PASSWORD }),
      401,
      'LOGIN_BAD_CREDENTIALS',
    );
    assert.equal((await h.post('/auth/login', { email: me.email, password: NEW_PASSWORD })).status, 200);
    const events = await h.auth.repositories.audit.list({
      userId: me.userId,
      type: 'password.changed',
      limit: 10,
    });
    assert.equal(events.length, 1);
  });

  it('change-password - should answer 422 VALIDATION_FAILED for a missing field', async () => {
    const me = await h.signedInUser();
    const response = await h.post(
      '/users/me/change-password',
      { newPassword: NEW_PASSWORD },
      { token: me.accessToken },
    );
    assertProblem(response, 422, 'VALIDATION_FAILED');
  });
});

describe('audit events of the account routes', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(() => h.close());

  it('audit - should record register, verify and login success for the user', async () => {
    const email = uniqueEmail('audit');
    const { userId } = await h.register(email);
    await h.login(email);
    const types = (await h.auth.repositories.audit.list({ userId, limit: 50 })).map((e) => e.type);
    for (const type of ['user.registered', 'user.email_verified', 'login.success']) {
      assert.ok(types.includes(type), `${type} recorded (got ${types.join(', ')})`);
    }
  });

  it('audit - should record login failures without the submitted email in clear', async () => {
    const known = uniqueEmail('known');
    await h.register(known);
    const unknown = `Nobody.Here.${Date.now()}@Example.test`;
    assertProblem(
      await h.post('/auth/login', { email: unknown, password: GOOD_PASSWORD }),
      401,
      'LOGIN_BAD_CREDENTIALS',
    );
    assertProblem(
      await h.post('/auth/login', { email: known.toUpperCase(), password: 'wrong password entirely' }),
      401,
      'LOGIN_BAD_CREDENTIALS',
    );
    const failures = await h.auth.repositories.audit.list({ type: 'login.failure', limit: 100 });
    assert.ok(failures.length >= 2);
    const everything = JSON.stringify(await h.auth.repositories.audit.list({ limit: 1000 })).toLowerCase();
    for (const submitted of [unknown, known]) {
      assert.equal(everything.includes(submitted.toLowerCase()), false, 'no audit row holds the email');
      assert.equal(everything.includes(submitted.split('@')[0]!.toLowerCase()), false);
    }
    // Two attempts with the same identifier share a digest, so failures can still be correlated.
    assertProblem(
      await h.post('/auth/login', { email: unknown, password: 'x' }),
      401,
      'LOGIN_BAD_CREDENTIALS',
    );
    const unknownFailures = (
      await h.auth.repositories.audit.list({ type: 'login.failure', limit: 100 })
    ).filter((e) => e.userId === null);
    assert.equal(unknownFailures.length, 2);
    assert.equal(typeof unknownFailures[0]!.data.identifier, 'string');
    assert.equal(unknownFailures[0]!.data.identifier, unknownFailures[1]!.data.identifier);
  });
});

describe('rehash on login', () => {
  let dataDir = '';
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-rehash-'));
  });
  after(() => rm(dataDir, { recursive: true, force: true }));

  /** An instance on the shared SQLite file with the given argon2 parameters. */
  async function instance(
    databaseUrl: string,
    secret: string,
    argon2: { memoryKiB: number; timeCost: number },
  ) {
    const mail: MailMessage[] = [];
    const auth = await createAuth({
      ...harnessConfig({ secret, dataDir }, { config: { passwords: { argon2 } } }),
      database: { url: databaseUrl },
      mail: { transport: capturingTransport(mail) },
    });
    await auth.migrate();
    return harnessAround(auth, mail, () => auth.close());
  }

  it('login - should store a hash with the new parameters after a login, and it should still verify', async () => {
    const url = `sqlite:${join(dataDir, 'rehash.db')}`;
    const secret = generateSecret();
    const email = uniqueEmail('rehash');
    // Sequential instances: two node:sqlite handles on one file in one process can deadlock.
    const first = await instance(url, secret, { memoryKiB: 8192, timeCost: 1 });
    const created = await first.auth.api.users.create({
      email,
      password: GOOD_PASSWORD,
      emailVerified: true,
    });
    // The hash is internal: the public API never returns it, the repository does.
    const createdHash = (await first.auth.repositories.users.findById(created.id))!.passwordHash!;
    assert.match(createdHash, /^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);
    await first.close();

    const second = await instance(url, secret, { memoryKiB: 9216, timeCost: 2 });
    try {
      assertProblem(
        await second.post('/auth/login', { email, password: 'wrong password here' }),
        401,
        'LOGIN_BAD_CREDENTIALS',
      );
      assert.equal(
        (await second.auth.repositories.users.findById(created.id))?.passwordHash,
        createdHash,
        'no rehash on failure',
      );
      assert.equal((await second.post('/auth/login', { email, password: GOOD_PASSWORD })).status, 200);
      const rehashed = (await second.auth.repositories.users.findById(created.id))!.passwordHash!;
      assert.match(rehashed, /^\$argon2id\$v=19\$m=9216,t=2,p=1\$/);
      assert.equal((await second.post('/auth/login', { email, password: GOOD_PASSWORD })).status, 200);
      assert.equal(
        (await second.auth.repositories.users.findById(created.id))!.passwordHash,
        rehashed,
        'current hashes are kept',
      );
      assertProblem(
        await second.post('/auth/login', { email, password: 'wrong password here' }),
        401,
        'LOGIN_BAD_CREDENTIALS',
      );
    } finally {
      await second.close();
    }
  });

  it('login - should replace a legacy scrypt hash with argon2id on the first successful login', async () => {
    const url = `sqlite:${join(dataDir, 'legacy.db')}`;
    const h = await instance(url, generateSecret(), { memoryKiB: 8192, timeCost: 1 });
    try {
      const email = uniqueEmail('legacy');
      const user = await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
      // RFC 7914 test vector 2 as a PHC string: the password is "password".
      const legacy =
        '$scrypt$ln=10,r=8,p=16$TmFDbA$/bq+HJ00cgB4VucZDQHp/nxq18vII3gw53N2Y0s3MWIurzDZLiKjiG/xCSedmDDaxyevuUqD7m2DYMvfoswGQA';
      await h.auth.repositories.users.update(user.id, { passwordHash: legacy }, Date.now());
      assert.equal((await h.post('/auth/login', { email, password: 'password' })).status, 200);
      const upgraded = (await h.auth.repositories.users.findById(user.id))!.passwordHash!;
      assert.match(upgraded, /^\$argon2id\$/);
      assert.equal((await h.post('/auth/login', { email, password: 'password' })).status, 200);
    } finally {
      await h.close();
    }
  });
});
