/**
 * Threat: a webhook receiver (a third party, its logs, its queue) learns a secret of a user or
 * of Gatehouse from what Gatehouse sends: a password typed into a form, an access, refresh,
 * verification or reset token, an API key, a TOTP secret or a recovery code, the signing
 * secret itself — or personal data (the email address, a changed name) it was never meant to
 * receive.
 *
 * Invariant: after flows that handle every one of those (registration, verification, sign-in,
 * a failed sign-in, a reset request and reset, a change of password, an API key, 2FA
 * enrollment, an admin renaming the user), no delivered body or header holds any of them; an
 * endpoint without `personalData` never sees the address or the name, and one with it sees
 * the address but still no secret.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Kysely } from 'kysely';
import { signedInAdmin } from '../fixtures/admin.ts';
import {
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  tokenFromMail,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';
import { createTestClock, enableTwoFactor } from '../fixtures/two-factor.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../fixtures/webhook-receiver.ts';

describe('webhook payloads leak no secret and no unrequested personal data', () => {
  let plain: WebhookReceiver;
  let personal: WebhookReceiver;
  let h: Harness;
  const clock = createTestClock();

  before(async () => {
    [plain, personal] = await Promise.all([startWebhookReceiver(), startWebhookReceiver()]);
    h = await createHarness({
      config: {
        clock: clock.config,
        apiKeys: { scopes: ['read'] },
        webhooks: {
          endpoints: [
            { url: plain.url, secret: plain.secret, events: ['*'] },
            { url: personal.url, secret: personal.secret, events: ['*'], personalData: true },
          ],
          pollIntervalMs: 20,
        },
      },
    });
  });
  after(async () => {
    await h?.close();
    await Promise.all([plain?.close(), personal?.close()]);
  });

  it('no body or header carries a secret; the address only where the endpoint opted in', async () => {
    const secrets: string[] = [plain.secret, personal.secret, GOOD_PASSWORD];
    const email = uniqueEmail('leak');
    const { userId } = await h.register(email);
    const verifyMail = h.mail.find((message) => message.to === email);
    if (verifyMail) secrets.push(tokenFromMail(verifyMail));
    const session = await h.login(email);
    secrets.push(session.accessToken, session.refreshToken);
    const typedWrong = 'wrong-Password-typed-0451';
    secrets.push(typedWrong);
    await h.post('/auth/login', { email, password: typedWrong });

    await h.post('/auth/forgot-password', { email });
    const resetToken = tokenFromMail(await h.mailTo(email, { subject: /reset/i }));
    secrets.push(resetToken);
    const newPassword = 'second Password of the user 77';
    secrets.push(newPassword);
    const reset = await h.post('/auth/reset-password', { token: resetToken, password: newPassword });
    assert.equal(reset.status, 204, reset.text);
    const again = await h.login(email, newPassword);
    secrets.push(again.accessToken, again.refreshToken);
    const thirdPassword = 'third Password of the user 78';
    secrets.push(thirdPassword);
    const changed = await h.post(
      '/users/me/change-password',
      { currentPassword: newPassword, newPassword: thirdPassword },
      { token: again.accessToken },
    );
    assert.ok(changed.status < 300, changed.text);
    const signedIn = await h.login(email, thirdPassword);
    const key = await h.post(
      '/users/me/api-keys',
      { name: 'ci', scopes: ['read'] },
      { token: signedIn.accessToken },
    );
    assert.equal(key.status, 201, key.text);
    secrets.push(key.body.apiKey);

    const twoFactor = await enableTwoFactor(h, clock, { emailLabel: 'leak2fa' });
    secrets.push(twoFactor.secret, ...twoFactor.recoveryCodes);

    const admin = await signedInAdmin(h);
    const newName = 'Zebediah Quillfeather';
    const renamed = await h.request('PATCH', `/admin/users/${userId}`, {
      token: admin.accessToken,
      body: { name: newName },
    });
    assert.equal(renamed.status, 200, renamed.text);

    // Every event has reached both receivers.
    // biome-ignore lint/suspicious/noExplicitAny: the test reads the feature's table directly.
    const db = h.auth.database.db as unknown as Kysely<any>;
    const deadline = Date.now() + 15_000;
    for (;;) {
      const pending = await db
        .selectFrom('webhook_outbox')
        .select('id')
        .where('status', '!=', 'delivered')
        .execute();
      if (pending.length === 0) break;
      assert.ok(Date.now() < deadline, `${pending.length} deliveries still pending`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const types = new Set(plain.delivered().map((entry) => entry.payload.type));
    for (const type of [
      'user.registered',
      'login.success',
      'login.failure',
      'password.reset',
      'password.changed',
      'apikey.created',
      '2fa.enabled',
      'admin.user_updated',
    ]) {
      assert.ok(types.has(type), `${type} was delivered`);
    }

    const everything = (receiver: WebhookReceiver) =>
      receiver.received.map((entry) => `${JSON.stringify(entry.headers)}\n${entry.body}`).join('\n');
    for (const [label, text] of [
      ['plain', everything(plain)],
      ['personal', everything(personal)],
    ] as const) {
      for (const secret of secrets) {
        assert.ok(secret.length >= 8 && !text.includes(secret), `the ${label} endpoint received a secret`);
      }
      assert.ok(label === 'personal' || !text.includes(twoFactor.email), 'no address of the 2FA user either');
    }
    const plainText = everything(plain);
    assert.ok(!plainText.includes(email), 'no address without the opt-in');
    assert.ok(!plainText.includes(newName), 'no changed name without the opt-in');
    const personalText = everything(personal);
    assert.ok(personalText.includes(email), 'the opted-in endpoint gets the address');
  });
});
