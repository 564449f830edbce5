/**
 * Threat: account enumeration through email sign-in codes — learning whether an address has an
 * account from what POST /auth/email-code/request answers or from how long it takes (the known
 * address does a store write, an audit row and a mail; a careless unknown path would skip them).
 *
 * Invariant: the answer is 202 with a byte-identical body and the same headers (apart from the
 * request id, the date and the binding cookie's random value) for an active account, an unknown
 * address, an inactive account and something that is not an address; and the time it takes is
 * indistinguishable: over interleaved samples the medians of a known and an unknown address
 * differ by less than a generous bound (half the larger median, at least 2 ms); and the mail
 * goes out off the request path, so a slow mail server (200 ms here) cannot tell them apart.
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MailMessage, MailTransport } from '../../src/mail/contract.ts';
import {
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type JsonResponse,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import { EMAIL_CODE_COOKIE, requestCode } from '../fixtures/email-code.ts';

const SAMPLES = 60;
const VARYING_HEADERS = new Set(['x-request-id', 'date', 'set-cookie']);

function comparable(response: JsonResponse) {
  const cookie = response.headers.getSetCookie().find((line) => line.startsWith(`${EMAIL_CODE_COOKIE}=`));
  return {
    status: response.status,
    text: response.text,
    headers: [...response.headers].filter(([name]) => !VARYING_HEADERS.has(name)),
    // The value is random either way; its attributes are the same.
    cookieAttributes: cookie?.split(';').slice(1).join(';'),
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

let h: Harness;
const accounts = { active: '', inactive: '' };
/** Mail to known addresses waits this long at the "mail server": the answer must not. */
const SLOW_MAIL_MS = 200;

before(async () => {
  const slow: MailTransport = {
    kind: 'slow-test',
    async send(_message: MailMessage) {
      await new Promise((resolve) => setTimeout(resolve, SLOW_MAIL_MS));
    },
  };
  h = await createHarness({
    config: { emailCode: { enabled: true }, rateLimits: { enabled: false }, mail: { transport: slow } },
  });
  accounts.active = uniqueEmail('active');
  accounts.inactive = uniqueEmail('inactive');
  await h.auth.api.users.create({ email: accounts.active, password: GOOD_PASSWORD, emailVerified: true });
  const inactive = await h.auth.api.users.create({
    email: accounts.inactive,
    password: GOOD_PASSWORD,
    emailVerified: true,
  });
  await h.auth.api.users.update(inactive.id, { isActive: false });
});
after(() => h.close());

describe('POST /auth/email-code/request', () => {
  it('answers the same for an account, an unknown address, an inactive account and a non-address', async () => {
    const known = comparable(await requestCode(h, accounts.active));
    assert.equal(known.status, 202);
    assert.ok(known.cookieAttributes?.includes('HttpOnly'));
    for (const email of [uniqueEmail('nobody'), accounts.inactive, 'not an address']) {
      assert.deepEqual(comparable(await requestCode(h, email)), known, email);
    }
  });

  it(`takes the same time for a known and an unknown address (medians of ${SAMPLES} interleaved samples)`, async () => {
    const times = { known: [] as number[], unknown: [] as number[] };
    const timed = async (email: string) => {
      const started = performance.now();
      const response = await requestCode(h, email);
      const elapsed = performance.now() - started;
      assert.equal(response.status, 202);
      return elapsed;
    };
    // Warm both paths first (module and statement caches).
    await timed(accounts.active);
    await timed(uniqueEmail('warm'));
    for (let i = 0; i < SAMPLES; i++) {
      times.known.push(await timed(accounts.active));
      times.unknown.push(await timed(uniqueEmail('nobody')));
    }
    const known = median(times.known);
    const unknown = median(times.unknown);
    const bound = Math.max(2, Math.max(known, unknown) / 2);
    assert.ok(
      Math.abs(known - unknown) < bound,
      `medians ${known.toFixed(2)} ms vs ${unknown.toFixed(2)} ms`,
    );
    // The slow mail server is not waited for: each answer came well before it would have finished.
    assert.ok(known < SLOW_MAIL_MS / 2, `known-address median ${known.toFixed(2)} ms`);
    console.log(`email-code request medians: known ${known.toFixed(2)} ms, unknown ${unknown.toFixed(2)} ms`);
  });
});
