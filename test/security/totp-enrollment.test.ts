/**
 * Threat: a second factor that an attacker can plant, swap or read. An attacker with a stolen
 * session turns 2FA on with their own authenticator (locking the owner out), or an enrollment
 * that was never proven with a code (or proven with a wrong one) ends up active, or an older
 * enrollment (a secret shown on a screen someone photographed) is confirmed after a newer one,
 * or the seed sits in the database in a form a dump reveals or that can be moved to another
 * account.
 *
 * Invariant: enable re-checks the password and stores nothing; the pending seed lives
 * server-side and only a code from it, presented with the newest enrollment token of the same
 * user, turns 2FA on; a wrong code burns the enrollment; the seed at rest is an AEAD envelope
 * bound to its row, holding neither the secret nor its bytes in any encoding; confirmation
 * answers 10 distinct recovery codes of at least 112 bits; the confirming code cannot be
 * replayed to sign in.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { base32Decode } from '../../src/crypto/base32.ts';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type JsonResponse,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';
import { codeAt, createTestClock, pendingToken, sessionCount, storedSeed } from '../fixtures/two-factor.ts';

const ISSUER = 'Acme Test';
/** The recovery-code alphabet: 32 symbols (5 bits each), no look-alikes. */
const RECOVERY_ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The instance's clock: the middle of a time step, moved only forward, one step per used code. */
const clock = createTestClock();
let h: Harness;

interface Account {
  readonly userId: string;
  readonly email: string;
  readonly accessToken: string;
}

interface Enrollment {
  readonly secret: string;
  readonly seed: Buffer;
  readonly otpauthUri: string;
  readonly enrollmentToken: string;
}

/** A verified account signed in with its password (no second factor yet). */
async function newAccount(): Promise<Account> {
  const email = uniqueEmail('enroll');
  const user = await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
  const signedIn = await h.login(email);
  return { userId: user.id, email, accessToken: signedIn.accessToken };
}

function enable(account: Account, currentPassword = GOOD_PASSWORD): Promise<JsonResponse> {
  return h.post('/auth/2fa/enable', { currentPassword }, { token: account.accessToken });
}

async function startEnrollment(account: Account): Promise<Enrollment> {
  const response = await enable(account);
  assert.equal(response.status, 200, `enable answered ${response.status}: ${response.text}`);
  return { ...response.body, seed: base32Decode(response.body.secret) };
}

function confirm(account: Account, enrollmentToken: string, code: string): Promise<JsonResponse> {
  return h.post('/auth/2fa/enable/confirm', { enrollmentToken, code }, { token: account.accessToken });
}

/** Enable and confirm with the current code; answers the seed and the recovery codes. */
async function enrolledAccount(): Promise<Account & { seed: Buffer; recoveryCodes: string[] }> {
  const account = await newAccount();
  const started = await startEnrollment(account);
  const confirmed = await confirm(account, started.enrollmentToken, codeAt(clock, started.seed));
  assert.equal(confirmed.status, 200, `confirm answered ${confirmed.status}: ${confirmed.text}`);
  return { ...account, seed: started.seed, recoveryCodes: confirmed.body.recoveryCodes };
}

async function twoFactorEnabled(account: Account): Promise<boolean> {
  const me = await h.get('/users/me', { token: account.accessToken });
  assert.equal(me.status, 200, me.text);
  return me.body.user.twoFactorEnabled;
}

for (const backend of backends())
  describe(`TOTP enrollment (${backend.name})`, () => {
    before(async () => {
      h = await createHarness({
        config: { ...(await backend.config()), clock: clock.config, twoFactor: { issuer: ISSUER } },
      });
    });
    after(async () => {
      await h?.close();
      await backend.stop();
    });

    it('enable - should refuse a wrong current password with 401 LOGIN_BAD_CREDENTIALS and store nothing', async () => {
      const account = await newAccount();
      assertProblem(await enable(account, 'not the password at all'), 401, 'LOGIN_BAD_CREDENTIALS');
      assert.equal(await h.auth.stores.keyValue.get(`2fa:enroll:${account.userId}`), null);
      assert.equal(await storedSeed(h, account.userId), null);
      assert.equal(await twoFactorEnabled(account), false);
    });

    it('enable - should answer a 160-bit base32 secret, its otpauth URI and a token, and persist nothing before confirm', async () => {
      const account = await newAccount();
      const started = await startEnrollment(account);
      assert.match(started.secret, /^[A-Z2-7]{32}$/);
      assert.equal(started.seed.length, 20, '160 bits');
      assert.ok(started.enrollmentToken.length >= 32, 'an unguessable enrollment token');

      const uri = new URL(started.otpauthUri);
      assert.equal(uri.protocol, 'otpauth:');
      assert.equal(uri.host, 'totp');
      assert.equal(decodeURIComponent(uri.pathname), `/${ISSUER}:${account.email}`);
      assert.equal(uri.searchParams.get('secret'), started.secret);
      assert.equal(uri.searchParams.get('issuer'), ISSUER);
      assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
      assert.equal(uri.searchParams.get('digits'), '6');
      assert.equal(uri.searchParams.get('period'), '30');

      // Not on yet: nothing in the row, and the password alone still signs in.
      assert.equal(await twoFactorEnabled(account), false);
      assert.equal(await storedSeed(h, account.userId), null);
      assert.equal((await h.auth.api.users.get(account.userId))?.twoFactorEnabled, false);
      const login = await h.post('/auth/login', { email: account.email, password: GOOD_PASSWORD });
      assert.equal(login.status, 200);
      assert.equal(login.body.twoFactorRequired, undefined);
      assert.equal(typeof login.body.accessToken, 'string');
    });

    it('confirm - a wrong code should burn the enrollment, so the right code after it is ENROLLMENT_TOKEN_INVALID', async () => {
      const account = await newAccount();
      const started = await startEnrollment(account);
      const right = codeAt(clock, started.seed);
      const wrong = right === '123456' ? '654321' : '123456';
      assertProblem(await confirm(account, started.enrollmentToken, wrong), 400, 'TWO_FACTOR_CODE_INVALID');
      assertProblem(await confirm(account, started.enrollmentToken, right), 400, 'ENROLLMENT_TOKEN_INVALID');
      assert.equal(await twoFactorEnabled(account), false);
      assert.equal(await storedSeed(h, account.userId), null);
    });

    it('confirm - a newer enable should supersede the older token, and the older token should not burn the newer one', async () => {
      const account = await newAccount();
      const older = await startEnrollment(account);
      const newer = await startEnrollment(account);
      assert.notEqual(older.secret, newer.secret, 'each enable makes a new secret');
      const olderCode = codeAt(clock, older.seed);
      const newerCode = codeAt(clock, newer.seed);
      assertProblem(
        await confirm(account, older.enrollmentToken, olderCode),
        400,
        'ENROLLMENT_TOKEN_INVALID',
      );
      assertProblem(
        await confirm(account, older.enrollmentToken, newerCode),
        400,
        'ENROLLMENT_TOKEN_INVALID',
      );
      assert.equal(await twoFactorEnabled(account), false);

      const confirmed = await confirm(account, newer.enrollmentToken, newerCode);
      assert.equal(confirmed.status, 200, confirmed.text);
      assert.equal(await twoFactorEnabled(account), true);
      // The active seed is the newer one: the older secret's code does not sign in.
      const pending = await pendingToken(h, account);
      assertProblem(
        await h.post('/auth/2fa/verify', {
          pendingToken: pending,
          code: codeAt(clock, older.seed, 1),
        }),
        400,
        'TWO_FACTOR_CODE_INVALID',
      );
      const verified = await h.post('/auth/2fa/verify', {
        pendingToken: pending,
        code: codeAt(clock, newer.seed, 1),
      });
      assert.equal(verified.status, 200, verified.text);
    });

    it("confirm - another user's session should not be able to confirm an enrollment token, nor burn it", async () => {
      const owner = await newAccount();
      const intruder = await newAccount();
      const started = await startEnrollment(owner);
      const code = codeAt(clock, started.seed);
      assertProblem(await confirm(intruder, started.enrollmentToken, code), 400, 'ENROLLMENT_TOKEN_INVALID');
      assert.equal(await storedSeed(h, intruder.userId), null);
      const confirmed = await confirm(owner, started.enrollmentToken, code);
      assert.equal(confirmed.status, 200, confirmed.text);
    });

    it('confirm - should answer 10 distinct recovery codes of at least 112 bits each', async () => {
      const { recoveryCodes } = await enrolledAccount();
      assert.equal(recoveryCodes.length, 10);
      assert.equal(new Set(recoveryCodes).size, 10, 'distinct');
      const symbolsSeen = new Set<string>();
      for (const code of recoveryCodes) {
        const symbols = code.replaceAll('-', '');
        for (const symbol of symbols) {
          assert.ok(RECOVERY_ALPHABET.includes(symbol), 'every symbol is one of 32');
          symbolsSeen.add(symbol);
        }
        assert.ok(symbols.length * Math.log2(RECOVERY_ALPHABET.length) >= 112, 'at least 112 bits');
      }
      // 250 random draws from 32 symbols use nearly all of them; a fixed or low-entropy
      // generator would not.
      assert.ok(symbolsSeen.size >= 24, `only ${symbolsSeen.size} distinct symbols across the codes`);
    });

    it('at rest - the stored seed should be a v1 envelope holding neither the base32 secret nor its bytes', async () => {
      const account = await newAccount();
      const started = await startEnrollment(account);
      const confirmed = await confirm(account, started.enrollmentToken, codeAt(clock, started.seed));
      assert.equal(confirmed.status, 200, confirmed.text);
      const stored = await storedSeed(h, account.userId);
      assert.ok(stored !== null, 'a seed is stored once confirmed');
      assert.match(stored, /^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
      const forms = [
        started.secret,
        started.secret.toLowerCase(),
        started.seed.toString('hex'),
        started.seed.toString('base64'),
        started.seed.toString('base64url'),
        started.seed.toString('latin1'),
      ];
      for (const form of forms) assert.ok(!stored.includes(form), 'the envelope holds no form of the seed');
      // Sealed under a fresh nonce, not a deterministic function of the seed.
      assert.notEqual(stored.split('.')[3], started.seed.toString('base64url'));
    });

    it("at rest - a seed copied into another user's row should not open: their TOTP login fails with a bare 500", async () => {
      const source = await enrolledAccount();
      const target = await enrolledAccount();
      const sourceEnvelope = await storedSeed(h, source.userId);
      assert.ok(sourceEnvelope);
      await h.auth.database.db
        .updateTable('users')
        .set({ totp_secret: sourceEnvelope })
        .where('id', '=', target.userId)
        .execute();
      const sessionsBefore = await sessionCount(h, target.userId);
      for (const seed of [source.seed, target.seed]) {
        const response = await h.post('/auth/2fa/verify', {
          pendingToken: await pendingToken(h, target),
          code: codeAt(clock, seed, 1),
        });
        // The envelope fails authentication under the target's row: an internal error, with
        // the generic problem body and nothing about the envelope, the key or the seeds.
        assertProblem(response, 500, 'INTERNAL');
        assert.equal(response.body.accessToken, undefined);
        assert.equal(response.headers.getSetCookie().length, 0);
        for (const secret of [sourceEnvelope, source.seed.toString('hex'), target.seed.toString('hex')])
          assert.ok(!response.text.includes(secret), 'the answer leaks nothing');
        assert.doesNotMatch(response.text, /aead|envelope|decrypt|authenticat|stack|at \w+ \(/i);
      }
      assert.equal(await sessionCount(h, target.userId), sessionsBefore, 'no session was made');
    });

    it('enable - should answer 409 TWO_FACTOR_ALREADY_ENABLED while 2FA is on, the stored seed untouched', async () => {
      const account = await enrolledAccount();
      const before = await storedSeed(h, account.userId);
      assertProblem(await enable(account), 409, 'TWO_FACTOR_ALREADY_ENABLED');
      assert.equal(await storedSeed(h, account.userId), before);
    });

    it('replay - the code that confirmed the enrollment should not sign in afterwards', async () => {
      const account = await newAccount();
      const started = await startEnrollment(account);
      const confirmingCode = codeAt(clock, started.seed);
      const confirmed = await confirm(account, started.enrollmentToken, confirmingCode);
      assert.equal(confirmed.status, 200, confirmed.text);
      const pending = await pendingToken(h, account);
      assertProblem(
        await h.post('/auth/2fa/verify', { pendingToken: pending, code: confirmingCode }),
        400,
        'TWO_FACTOR_CODE_INVALID',
      );
      // The next step's code, still within the window, signs in on the same pending token.
      const fresh = await h.post('/auth/2fa/verify', {
        pendingToken: pending,
        code: codeAt(clock, started.seed, 1),
      });
      assert.equal(fresh.status, 200, fresh.text);
    });
  });
