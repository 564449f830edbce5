/**
 * Threat: recovery codes as the weak side door of 2FA. A code used once (read over a shoulder,
 * found on a printout) works again; two requests racing with one code both win; a database
 * dump reveals the codes; the owner never learns a code was used; codes handed out before a
 * regeneration stay alive; guessing recovery codes sidesteps the TOTP attempt budget; or
 * turning 2FA off leaves codes behind (or can be done without a code).
 *
 * Invariant: each code works once, atomically (one winner of ten concurrent uses), whatever
 * its case or dashes; the table holds keyed digests only; each use mails the owner;
 * regeneration (with a current code) kills every old code; wrong recovery codes count toward
 * the 2FA lock; POST /auth/2fa/disable needs a current code and clears the seed and every
 * recovery code, and on an account without 2FA answers 409.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { AuthConfigInput } from '../../src/index.ts';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type JsonResponse,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';
import {
  codeAt,
  createTestClock,
  enableTwoFactor,
  pendingToken,
  storedSeed,
  type TwoFactorUser,
  wrongCode,
} from '../fixtures/two-factor.ts';

const RECOVERY_SUBJECT = /recovery code was used/i;
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The instances' clock: the middle of a time step, moved only forward. */
const clock = createTestClock();

/** A well-formed recovery code that was never issued (125 random bits). */
function unissuedRecoveryCode(): string {
  const symbols = [...randomBytes(25)].map((byte) => ALPHABET[byte & 31]).join('');
  return symbols.match(/.{5}/g)!.join('-');
}

/** A verified user with TOTP on; the clock then moves past the confirming code's step. */
const twoFactorUser = (h: Harness): Promise<TwoFactorUser> =>
  enableTwoFactor(h, clock, { emailLabel: 'recovery' });

/** POST /auth/2fa/verify on a new pending login of `user`. */
async function verify(h: Harness, user: TwoFactorUser, code: string): Promise<JsonResponse> {
  return h.post('/auth/2fa/verify', { pendingToken: await pendingToken(h, user), code });
}

/** Signs in with a TOTP code `steps` from now; answers the access token. */
async function signIn(h: Harness, user: TwoFactorUser, steps: number): Promise<string> {
  const response = await verify(h, user, codeAt(clock, user.seed, steps));
  assert.equal(response.status, 200, response.text);
  return response.body.accessToken;
}

async function recoveryRows(h: Harness, userId: string) {
  return h.auth.database.db.selectFrom('recovery_codes').selectAll().where('user_id', '=', userId).execute();
}

const recoveryMails = (h: Harness, user: TwoFactorUser) =>
  h.mail.filter((m) => m.to === user.email && RECOVERY_SUBJECT.test(m.subject));

for (const backend of backends())
  describe(`recovery codes (${backend.name})`, () => {
    /** Lockout off (the harness default). */
    let h: Harness;
    /** Lockout on with the default policy. */
    let locking: Harness;

    before(async () => {
      const overrides = await backend.config();
      const make = (extra: AuthConfigInput) =>
        createHarness({ config: { ...overrides, clock: clock.config, ...extra } });
      h = await make({});
      locking = await make({ lockout: { enabled: true } });
    });
    after(async () => {
      await Promise.all([h, locking].map((harness) => harness?.close()));
      await backend.stop();
    });

    it('single use - a recovery code should sign in once, then be TWO_FACTOR_CODE_INVALID', async () => {
      const user = await twoFactorUser(h);
      const [code, other] = user.recoveryCodes as [string, string];
      const first = await verify(h, user, code);
      assert.equal(first.status, 200, first.text);
      assert.equal(typeof first.body.accessToken, 'string');
      assertProblem(await verify(h, user, code), 400, 'TWO_FACTOR_CODE_INVALID');
      // Only that code is spent.
      assert.equal((await verify(h, user, other)).status, 200);
      const used = (await recoveryRows(h, user.userId)).filter((row) => row.used_at !== null);
      assert.equal(used.length, 2);
    });

    it('formatting - lower case, no dashes and spaces should be accepted as the same code', async () => {
      const user = await twoFactorUser(h);
      const [a, b, c] = user.recoveryCodes as [string, string, string];
      for (const variant of [a.toLowerCase(), b.replaceAll('-', ''), ` ${c.replaceAll('-', ' ')} `]) {
        const response = await verify(h, user, variant);
        assert.equal(response.status, 200, response.text);
      }
      // The variants were those codes: they are spent in their canonical form too.
      assertProblem(await verify(h, user, a), 400, 'TWO_FACTOR_CODE_INVALID');
      assertProblem(await verify(h, user, b), 400, 'TWO_FACTOR_CODE_INVALID');
    });

    it('race - of 10 concurrent verifies with one recovery code (10 pending logins), exactly one should succeed', async () => {
      const user = await twoFactorUser(h);
      const code = user.recoveryCodes[0] as string;
      const pending = await Promise.all(Array.from({ length: 10 }, () => pendingToken(h, user)));
      const results = await Promise.all(
        pending.map((pendingToken) => h.post('/auth/2fa/verify', { pendingToken, code })),
      );
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 200).length, 1, `statuses: ${statuses.join(',')}`);
      for (const loser of results.filter((r) => r.status !== 200))
        assertProblem(loser, 400, 'TWO_FACTOR_CODE_INVALID');
    });

    it('at rest - the recovery_codes table should hold keyed digests only, no form of any code', async () => {
      const user = await twoFactorUser(h);
      const rows = await recoveryRows(h, user.userId);
      assert.equal(rows.length, 10);
      const dump = JSON.stringify(
        await h.auth.database.db.selectFrom('recovery_codes').selectAll().execute(),
      );
      for (const row of rows) assert.match(row.digest, /^k1\.[A-Za-z0-9_-]{32,}$/);
      for (const code of user.recoveryCodes) {
        const canonical = code.replaceAll('-', '');
        for (const form of [code, canonical, code.toLowerCase(), canonical.toLowerCase()])
          assert.ok(!dump.includes(form), 'a recovery code appears in the table');
      }
    });

    it('notice - using a recovery code should mail the owner; a TOTP sign-in should not', async () => {
      const user = await twoFactorUser(h);
      await signIn(h, user, 0);
      assert.equal(recoveryMails(h, user).length, 0);
      assert.equal((await verify(h, user, user.recoveryCodes[0] as string)).status, 200);
      const message = await h.mailTo(user.email, { subject: RECOVERY_SUBJECT });
      assert.ok(!message.text.includes(user.recoveryCodes[0] as string), 'the mail does not repeat the code');
      assert.equal(recoveryMails(h, user).length, 1);
    });

    it('regenerate - should answer 10 new codes for a current code, and every old code should be dead', async () => {
      const user = await twoFactorUser(h);
      const accessToken = await signIn(h, user, -1);
      const wrongRegeneration = await h.post(
        '/auth/2fa/recovery-codes',
        { code: unissuedRecoveryCode() },
        { token: accessToken },
      );
      assertProblem(wrongRegeneration, 400, 'TWO_FACTOR_CODE_INVALID');
      const regenerated = await h.post(
        '/auth/2fa/recovery-codes',
        { code: codeAt(clock, user.seed, 0) },
        { token: accessToken },
      );
      assert.equal(regenerated.status, 200, regenerated.text);
      const fresh: string[] = regenerated.body.recoveryCodes;
      assert.equal(fresh.length, 10);
      assert.equal(new Set([...fresh, ...user.recoveryCodes]).size, 20, 'all new');
      assert.equal((await recoveryRows(h, user.userId)).length, 10, 'the old rows are gone');
      const oldTries = await Promise.all(user.recoveryCodes.map((code) => verify(h, user, code)));
      for (const response of oldTries) assertProblem(response, 400, 'TWO_FACTOR_CODE_INVALID');
      assert.equal((await verify(h, user, fresh[0] as string)).status, 200);
    });

    it('budget - wrong recovery codes should count toward the 2FA lock, which then refuses TOTP and recovery codes', async () => {
      const user = await twoFactorUser(locking);
      const pending = await pendingToken(locking, user);
      for (let i = 0; i < 5; i++) {
        const response = await locking.post('/auth/2fa/verify', {
          pendingToken: pending,
          code: unissuedRecoveryCode(),
        });
        assertProblem(response, 400, 'TWO_FACTOR_CODE_INVALID');
      }
      for (const code of [codeAt(clock, user.seed), user.recoveryCodes[0] as string]) {
        const response = await locking.post('/auth/2fa/verify', { pendingToken: pending, code });
        assertProblem(response, 429, 'RATE_LIMITED');
        assert.ok(Number(response.headers.get('retry-after')) >= 1);
      }
      // The refused recovery code was not spent by the locked attempt.
      const rows = await recoveryRows(locking, user.userId);
      assert.equal(rows.filter((row) => row.used_at !== null).length, 0);
    });

    it('budget - wrong TOTP and wrong recovery codes should share one count', async () => {
      const user = await twoFactorUser(locking);
      const pending = await pendingToken(locking, user);
      const wrong = wrongCode(clock, user.seed);
      const guesses = [wrong, unissuedRecoveryCode(), wrong, unissuedRecoveryCode(), wrong];
      for (const code of guesses) {
        assertProblem(
          await locking.post('/auth/2fa/verify', { pendingToken: pending, code }),
          400,
          'TWO_FACTOR_CODE_INVALID',
        );
      }
      assertProblem(
        await locking.post('/auth/2fa/verify', { pendingToken: pending, code: codeAt(clock, user.seed) }),
        429,
        'RATE_LIMITED',
      );
    });

    it('disable - a current code should clear the seed and every recovery code; the login stops asking', async () => {
      const user = await twoFactorUser(h);
      const accessToken = await signIn(h, user, -1);
      const response = await h.post(
        '/auth/2fa/disable',
        { code: codeAt(clock, user.seed, 0) },
        { token: accessToken },
      );
      assert.equal(response.status, 204, response.text);
      assert.equal(await storedSeed(h, user.userId), null);
      assert.equal((await recoveryRows(h, user.userId)).length, 0);
      const login = await h.post('/auth/login', { email: user.email, password: GOOD_PASSWORD });
      assert.equal(login.status, 200, login.text);
      assert.equal(login.body.twoFactorRequired, undefined);
      assert.equal(login.body.user.twoFactorEnabled, false);
      assert.equal(typeof login.body.accessToken, 'string');
    });

    it('disable - a recovery code should do as a current code', async () => {
      const user = await twoFactorUser(h);
      const accessToken = await signIn(h, user, 0);
      const response = await h.post(
        '/auth/2fa/disable',
        { code: user.recoveryCodes[0] as string },
        { token: accessToken },
      );
      assert.equal(response.status, 204, response.text);
      assert.equal(await storedSeed(h, user.userId), null);
      assert.equal((await recoveryRows(h, user.userId)).length, 0);
    });

    it('disable - a wrong code should answer 400 and change nothing', async () => {
      const user = await twoFactorUser(h);
      const accessToken = await signIn(h, user, 0);
      const seedBefore = await storedSeed(h, user.userId);
      for (const code of [wrongCode(clock, user.seed), unissuedRecoveryCode()]) {
        const response = await h.post('/auth/2fa/disable', { code }, { token: accessToken });
        assertProblem(response, 400, 'TWO_FACTOR_CODE_INVALID');
      }
      assert.equal(await storedSeed(h, user.userId), seedBefore);
      assert.equal((await recoveryRows(h, user.userId)).length, 10);
      assert.equal((await h.get('/users/me', { token: accessToken })).body.user.twoFactorEnabled, true);
      await pendingToken(h, user);
    });

    it('disable - on an account without 2FA should answer 409 TWO_FACTOR_NOT_ENABLED', async () => {
      const email = uniqueEmail('no2fa');
      await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
      const { accessToken } = await h.login(email);
      assertProblem(
        await h.post('/auth/2fa/disable', { code: '123456' }, { token: accessToken }),
        409,
        'TWO_FACTOR_NOT_ENABLED',
      );
    });
  });
