/**
 * Threat: account enumeration — learning whether an email has an account (to target it, or
 * to confirm a leaked list) from what login or registration answers, or from how long they
 * take. Invariant: POST /auth/login answers 401 LOGIN_BAD_CREDENTIALS with a byte-identical
 * body and the same headers (apart from X-Request-Id and Date) for an unknown email, a wrong
 * password, an inactive account and an unverified email (enumeration-safe mode, the default)
 * — the last two even with the right password; in enumeration-safe mode POST /auth/register
 * answers a byte-identical 202 for new and taken emails; and an unknown email costs the same
 * argon2 work as a wrong password, so the timing does not tell them apart either.
 *
 * The timing half runs with the default argon2id parameters (19 MiB, t = 2), so the hash
 * dominates each request; bounds are generous (medians within 0.5×–2×) to stay stable on a
 * busy machine while still catching a path that skips the hash (which would be ~50× faster).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPasswordHasher, DEFAULT_ARGON2_PARAMS } from '../../src/crypto/password.ts';
import {
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type JsonResponse,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';

const SAMPLES = 15;
const WRONG_PASSWORD = 'definitely not the password 9';

/** Headers that legitimately differ between two responses. */
const VARYING_HEADERS = new Set(['x-request-id', 'date']);

function comparableHeaders(response: JsonResponse): [string, string][] {
  return [...response.headers].filter(([name]) => !VARYING_HEADERS.has(name));
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

let h: Harness;
const accounts = { active: '', inactive: '', unverified: '' };

before(async () => {
  // Default argon2 parameters: the timing comparison needs real hashing cost.
  h = await createHarness({ realHashing: true });
  accounts.active = uniqueEmail('active');
  accounts.inactive = uniqueEmail('inactive');
  accounts.unverified = uniqueEmail('unverified');
  await h.auth.api.users.create({ email: accounts.active, password: GOOD_PASSWORD, emailVerified: true });
  const inactive = await h.auth.api.users.create({
    email: accounts.inactive,
    password: GOOD_PASSWORD,
    emailVerified: true,
  });
  await h.auth.api.users.update(inactive.id, { isActive: false });
  // Registered through the route (as a real unverified user would be), never verified.
  await h.register(accounts.unverified, { verify: false });
});
after(() => h.close());

const login = (email: string, password: string): Promise<JsonResponse> =>
  h.post('/auth/login', { email, password });

describe('login answers', () => {
  it('login enumeration - should answer byte-identical 401 bodies and headers for every failure cause', async () => {
    const failures: [string, JsonResponse][] = [
      ['unknown email', await login(uniqueEmail('nobody'), GOOD_PASSWORD)],
      ['wrong password', await login(accounts.active, WRONG_PASSWORD)],
      ['inactive, right password', await login(accounts.inactive, GOOD_PASSWORD)],
      ['inactive, wrong password', await login(accounts.inactive, WRONG_PASSWORD)],
      ['unverified, right password', await login(accounts.unverified, GOOD_PASSWORD)],
      ['unverified, wrong password', await login(accounts.unverified, WRONG_PASSWORD)],
    ];
    const [, reference] = failures[0]!;
    assert.equal(reference.status, 401);
    assert.equal(reference.body.code, 'LOGIN_BAD_CREDENTIALS');
    for (const [cause, response] of failures) {
      assert.equal(response.status, 401, cause);
      assert.equal(response.text, reference.text, `${cause}: body differs`);
      assert.deepEqual(comparableHeaders(response), comparableHeaders(reference), `${cause}: headers differ`);
    }
    assert.equal('detail' in reference.body, false, 'no detail that could name the cause');
    // The right password on the active account does get in: the accounts are real.
    assert.equal((await login(accounts.active, GOOD_PASSWORD)).status, 200);
  });

  it('login enumeration - should not tell emails apart by their spelling either', async () => {
    const unknown = await login(uniqueEmail('nobody').toUpperCase(), WRONG_PASSWORD);
    const known = await login(`  ${accounts.active.toUpperCase()} `, WRONG_PASSWORD);
    assert.equal(known.text, unknown.text);
    assert.deepEqual(comparableHeaders(known), comparableHeaders(unknown));
  });
});

describe('registration answers (enumeration-safe mode)', () => {
  it('register enumeration - should answer byte-identical 202 responses for a new and a taken email', async () => {
    const fresh = await h.post('/auth/register', { email: uniqueEmail('fresh'), password: GOOD_PASSWORD });
    const taken = await h.post('/auth/register', { email: accounts.active, password: GOOD_PASSWORD });
    const takenOtherSpelling = await h.post('/auth/register', {
      email: accounts.unverified.toUpperCase(),
      password: `${GOOD_PASSWORD} again`,
    });
    assert.equal(fresh.status, 202);
    for (const response of [taken, takenOtherSpelling]) {
      assert.equal(response.status, 202);
      assert.equal(response.text, fresh.text);
      assert.deepEqual(comparableHeaders(response), comparableHeaders(fresh));
    }
  });
});

describe('login timing', () => {
  it('login enumeration - should spend the same argon2 work on an unknown email as on a wrong password', async () => {
    // Warm up both paths (the dummy hash is built on first use).
    await login(uniqueEmail('warmup'), WRONG_PASSWORD);
    await login(accounts.active, WRONG_PASSWORD);

    const unknownMs: number[] = [];
    const wrongMs: number[] = [];
    const time = async (email: string, into: number[]) => {
      const started = performance.now();
      const response = await login(email, WRONG_PASSWORD);
      into.push(performance.now() - started);
      assert.equal(response.status, 401);
    };
    // Interleaved, so drift in machine load hits both series alike.
    for (let i = 0; i < SAMPLES; i++) {
      await time(uniqueEmail('timing'), unknownMs);
      await time(accounts.active, wrongMs);
    }
    const ratio = median(unknownMs) / median(wrongMs);
    assert.ok(
      ratio > 0.5 && ratio < 2,
      `unknown-email median ${median(unknownMs).toFixed(1)} ms vs wrong-password median ${median(wrongMs).toFixed(1)} ms`,
    );

    // And that work is an argon2 verification at the configured cost, not a shortcut both share.
    const hasher = createPasswordHasher(DEFAULT_ARGON2_PARAMS);
    const stored = await hasher.hash(GOOD_PASSWORD);
    const verifyMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const started = performance.now();
      await hasher.verify(stored, WRONG_PASSWORD);
      verifyMs.push(performance.now() - started);
    }
    assert.ok(
      median(unknownMs) > 0.5 * median(verifyMs),
      `unknown-email login ${median(unknownMs).toFixed(1)} ms vs one argon2 verify ${median(verifyMs).toFixed(1)} ms`,
    );
  });
});
