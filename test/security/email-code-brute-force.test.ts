/**
 * Threats against email sign-in codes: guessing a 6-digit code with many requests at once (to
 * overrun its attempt budget), replaying a code or link that already signed in, using an older
 * code after a newer one was mailed, a mailed link opened by someone else's browser (login CSRF
 * with the attacker's own link, or a forwarded mail), a code used after it expired, and a
 * sign-in that creates an account.
 *
 * Invariants: of any number of parallel checks of one code, exactly `emailCode.maxAttempts` (5)
 * compare the code (each reserved atomically first), every other one is refused unchecked, and
 * then even the right code is refused; a code or link signs in once, within its 10 minutes; only the newest code of an
 * address works; the link alone signs in only where the binding cookie set at request time is
 * (elsewhere it needs the code too); an address without an account gets nothing, and no account.
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  jwtPayload,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import {
  bindingCookieOf,
  codeMailedTo,
  requestCode,
  signInWithLink,
  verifyCode,
} from '../fixtures/email-code.ts';
import { createTestClock } from '../fixtures/two-factor.ts';

const PARALLEL_GUESSES = 20;
const MAX_ATTEMPTS = 5;

let h: Harness;

/** A verified account, and the code and token just mailed to it. */
async function accountWithCode() {
  const email = uniqueEmail('code');
  const user = await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
  const requested = await requestCode(h, email);
  assert.equal(requested.status, 202);
  return { email, userId: user.id, binding: bindingCookieOf(requested), ...(await codeMailedTo(h, email)) };
}

/** A 6-digit code that is not `code`. */
const wrong = (code: string, n: number) => String((Number(code) + 1 + n) % 1_000_000).padStart(6, '0');

async function failures(userId: string) {
  const events = await h.auth.repositories.audit.list({ userId, type: 'email_code.failure', limit: 100 });
  return events.map((event) => (event.data as { reason?: string }).reason);
}

before(async () => {
  // Rate limits off: the per-code budget is what is under test, not the route slots.
  h = await createHarness({ config: { emailCode: { enabled: true }, rateLimits: { enabled: false } } });
});
after(() => h.close());

describe('email code guessing', () => {
  it(`compares exactly ${MAX_ATTEMPTS} of ${PARALLEL_GUESSES} parallel guesses, then refuses the right code`, async () => {
    const account = await accountWithCode();
    const replies = await Promise.all(
      Array.from({ length: PARALLEL_GUESSES }, (_, n) =>
        verifyCode(h, account.email, wrong(account.code, n)),
      ),
    );
    for (const reply of replies) {
      assert.equal(reply.status, 400);
      assert.equal(reply.body.code, 'EMAIL_CODE_INVALID');
    }
    const reasons = await failures(account.userId);
    assert.equal(reasons.filter((r) => r === 'wrong_code').length, MAX_ATTEMPTS);
    assert.equal(reasons.filter((r) => r === 'attempts_spent').length, PARALLEL_GUESSES - MAX_ATTEMPTS);
    const right = await verifyCode(h, account.email, account.code);
    assert.equal(right.status, 400, 'the code is dead after its attempts');
    assert.equal(right.body.code, 'EMAIL_CODE_INVALID');
  });

  it('lets the right code through after fewer wrong ones, and signs in with amr email', async () => {
    const account = await accountWithCode();
    for (let n = 0; n < MAX_ATTEMPTS - 1; n++) {
      assert.equal((await verifyCode(h, account.email, wrong(account.code, n))).status, 400);
    }
    const right = await verifyCode(h, account.email, account.code);
    assert.equal(right.status, 200, JSON.stringify(right.body));
    assert.equal(right.body.user.email, account.email);
    assert.deepEqual(jwtPayload(right.body.accessToken).amr, ['email']);
    const me = await h.get('/users/me', { token: right.body.accessToken });
    assert.equal(me.status, 200);
  });

  it('20 parallel checks of the right code sign in exactly once', async () => {
    const account = await accountWithCode();
    const replies = await Promise.all(
      Array.from({ length: PARALLEL_GUESSES }, () => verifyCode(h, account.email, account.code)),
    );
    assert.equal(replies.filter((r) => r.status === 200).length, 1);
    assert.equal(replies.filter((r) => r.status === 400 && r.body.code === 'EMAIL_CODE_INVALID').length, 19);
  });
});

describe('email code replay', () => {
  it('refuses a code that already signed in, and its link too', async () => {
    const account = await accountWithCode();
    assert.equal((await verifyCode(h, account.email, account.code)).status, 200);
    const again = await verifyCode(h, account.email, account.code);
    assert.equal(again.status, 400);
    assert.equal(again.body.code, 'EMAIL_CODE_INVALID');
    const link = await signInWithLink(h, { token: account.token }, account.binding);
    assert.equal(link.status, 400);
    assert.equal(link.body.code, 'EMAIL_CODE_INVALID');
  });

  it('refuses a link that already signed in, and its code too', async () => {
    const account = await accountWithCode();
    assert.equal((await signInWithLink(h, { token: account.token }, account.binding)).status, 200);
    assert.equal((await signInWithLink(h, { token: account.token }, account.binding)).status, 400);
    assert.equal((await verifyCode(h, account.email, account.code)).status, 400);
  });

  it('makes an older code dead once a newer one is mailed', async () => {
    const account = await accountWithCode();
    await requestCode(h, account.email);
    const newer = await codeMailedTo(h, account.email, 1);
    assert.notEqual(newer.token, account.token, 'a new mail was sent');
    const older = await verifyCode(h, account.email, account.code);
    assert.equal(older.status, 400);
    assert.equal((await signInWithLink(h, { token: account.token }, account.binding)).status, 400);
  });

  it('refuses a code after the password changed meanwhile (the security stamp moved)', async () => {
    const account = await accountWithCode();
    const signedIn = await h.login(account.email, GOOD_PASSWORD);
    const changed = await h.post(
      '/users/me/change-password',
      { currentPassword: GOOD_PASSWORD, newPassword: 'another good password 77' },
      { token: signedIn.accessToken },
    );
    assert.equal(changed.status, 204);
    assert.equal((await verifyCode(h, account.email, account.code)).status, 400);
  });
});

describe('email code expiry', () => {
  it('refuses a code and its link after their 10 minutes, and works just before', async () => {
    const clock = createTestClock();
    const timed = await createHarness({ config: { emailCode: { enabled: true }, clock: clock.config } });
    try {
      const request = async () => {
        const email = uniqueEmail('expiry');
        await timed.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
        const requested = await requestCode(timed, email);
        return { email, binding: bindingCookieOf(requested), ...(await codeMailedTo(timed, email)) };
      };
      const late = await request();
      const early = await request();
      clock.advance(10 * 60_000 - 1_000);
      assert.equal((await verifyCode(timed, early.email, early.code)).status, 200);
      clock.advance(2_000);
      assert.equal((await verifyCode(timed, late.email, late.code)).body.code, 'EMAIL_CODE_INVALID');
      assert.equal(
        (await signInWithLink(timed, { token: late.token }, late.binding)).body.code,
        'EMAIL_CODE_INVALID',
      );
    } finally {
      await timed.close();
    }
  });
});

describe('the mailed link in another browser', () => {
  it('asks for the code without the binding cookie, spending nothing; with the code it signs in', async () => {
    const account = await accountWithCode();
    const unbound = await signInWithLink(h, { token: account.token }, null);
    assert.equal(unbound.status, 400);
    assert.equal(unbound.body.code, 'EMAIL_CODE_LINK_UNBOUND');
    const otherBrowser = await signInWithLink(h, { token: account.token }, 'x'.repeat(43));
    assert.equal(otherBrowser.body.code, 'EMAIL_CODE_LINK_UNBOUND');
    const withCode = await signInWithLink(h, { token: account.token, code: account.code }, null);
    assert.equal(withCode.status, 200, JSON.stringify(withCode.body));
    assert.ok(withCode.headers.getSetCookie().some((line) => line.startsWith('__Host-gh_session=')));
  });

  it('refuses a link sign-in from a foreign origin (login CSRF) before anything is spent', async () => {
    const account = await accountWithCode();
    const foreign = await h.post(
      '/auth/email-code/link',
      { token: account.token },
      { headers: { Origin: 'https://evil.example', Cookie: `__Host-gh_email_code=${account.binding}` } },
    );
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.code, 'CSRF_FAILED');
    assert.equal((await signInWithLink(h, { token: account.token }, account.binding)).status, 200);
  });
});

describe('addresses without an account', () => {
  it('mails nothing and creates no account, and no code signs in', async () => {
    const email = uniqueEmail('nobody');
    const before = h.mail.length;
    assert.equal((await requestCode(h, email)).status, 202);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(h.mail.slice(before).filter((m) => m.to === email).length, 0);
    assert.equal((await verifyCode(h, email, '000000')).status, 400);
    assert.equal(await h.auth.api.users.findByEmail(email), null);
  });

  it('an unverified account becomes verified; a password set before that is removed', async () => {
    const email = uniqueEmail('unverified');
    const { userId } = await h.register(email, { verify: false });
    await requestCode(h, email);
    const { code } = await codeMailedTo(h, email);
    const signedIn = await verifyCode(h, email, code);
    assert.equal(signedIn.status, 200, JSON.stringify(signedIn.body));
    assert.equal(signedIn.body.user.emailVerified, true);
    const login = await h.post('/auth/login', { email, password: GOOD_PASSWORD });
    assert.equal(login.status, 401, 'whoever registered the address without proving it cannot sign in');
    const events = await h.auth.repositories.audit.list({ userId, type: 'user.email_verified', limit: 5 });
    assert.deepEqual(events[0]?.data, { by: 'email_code', passwordRemoved: true });
  });
});
