/**
 * Threat: webhooks turned into a server-side request forgery: an endpoint that points at (or a
 * hostname that resolves to, perhaps only later — DNS rebinding) loopback, a private network,
 * link-local metadata services and the like, so Gatehouse posts into the operator's own network.
 *
 * Invariant: with the production guard on (`publicOnly`), an attempt never connects to a
 * non-public address, whether the URL names it literally or through a name that resolves to it
 * (checked on the connection's own lookup); the attempt fails as `refused address` and the
 * receiver listening there gets nothing. The address check covers v4, v6 and v4-mapped v6.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sendWebhook } from '../../src/features/webhooks/sender.ts';
import { isNonPublicAddress } from '../../src/features/webhooks/target-guard.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../fixtures/webhook-receiver.ts';

describe('webhook targets on non-public addresses are refused in production', () => {
  let receiver: WebhookReceiver;
  before(async () => {
    receiver = await startWebhookReceiver();
  });
  after(async () => {
    await receiver?.close();
  });

  const attempt = (url: string, publicOnly: boolean) =>
    sendWebhook({
      url,
      secret: receiver.secret,
      messageId: 'msg-ssrf',
      payload: '{"type":"login.success","data":{}}',
      timeoutMs: 2_000,
      publicOnly,
    });

  it('a literal loopback address and a name resolving to it are refused; nothing reaches the receiver', async () => {
    const port = new URL(receiver.url).port;
    assert.deepEqual(await attempt(`http://127.0.0.1:${port}/hooks`, true), {
      ok: false,
      error: 'refused address',
    });
    assert.deepEqual(await attempt(`http://localhost:${port}/hooks`, true), {
      ok: false,
      error: 'refused address',
    });
    assert.deepEqual(await attempt(`http://[::ffff:127.0.0.1]:${port}/hooks`, true), {
      ok: false,
      error: 'refused address',
    });
    assert.equal(receiver.received.length, 0);
    // The same target without the guard (development) is reached: the refusal was the guard's.
    assert.deepEqual(await attempt(`http://localhost:${port}/hooks`, false), { ok: true });
    assert.equal(receiver.received.length, 1);
  });

  it('the address check knows the non-public ranges', () => {
    for (const address of [
      '127.0.0.1',
      '10.0.0.1',
      '172.16.5.4',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
      '::ffff:169.254.169.254',
    ]) {
      assert.equal(isNonPublicAddress(address), true, address);
    }
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
      assert.equal(isNonPublicAddress(address), false, address);
    }
  });
});
