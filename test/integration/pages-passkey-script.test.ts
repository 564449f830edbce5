/**
 * The sign-in page's passkey script: the checked-in bundle (src/pages/passkey-script.generated.ts)
 * is what scripts/build-passkey-script.ts makes from src/pages/browser/passkeys.js and
 * @simplewebauthn/browser now (a stale file fails here: run the script), it is served as a file
 * of our origin under a content-hash name, and the page loads it only by the response's CSP nonce.
 * @see issue #17
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { GENERATED, passkeyScriptModule } from '../../scripts/build-passkey-script.ts';
import { PASSKEY_SCRIPT, PASSKEY_SCRIPT_FILE } from '../../src/pages/passkey-script.generated.ts';
import { createHarness, type Harness } from '../fixtures/auth-harness.ts';
import { cspNonce } from '../fixtures/pages.ts';

describe('the passkey script of the hosted pages', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ config: { ui: { enabled: true } } });
  });
  after(async () => {
    await h?.close();
  });

  it('the checked-in bundle is what the build script makes now', async () => {
    assert.equal(
      await readFile(GENERATED, 'utf8'),
      await passkeyScriptModule(),
      'run node scripts/build-passkey-script.ts',
    );
  });

  it('is served as an immutable JavaScript file under its hash, and the sign-in page loads it by nonce', async () => {
    const page = await h.auth.fetch(new Request(`${h.auth.config.baseUrl}/sign-in`));
    const html = await page.text();
    const nonce = cspNonce(page.headers);
    assert.ok(nonce);
    const tag = /<script nonce="([^"]+)" src="([^"]+)" defer><\/script>/.exec(html);
    assert.ok(tag, 'the script tag');
    assert.equal(tag[1], nonce);
    assert.equal(tag[2], `/assets/${PASSKEY_SCRIPT_FILE}`);
    const file = await h.auth.fetch(new Request(`${h.auth.config.baseUrl}${tag[2]}`));
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(file.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(await file.text(), PASSKEY_SCRIPT);
  });

  it('without passkeys the sign-in page has neither the block nor the script', async () => {
    const off = await createHarness({ config: { ui: { enabled: true }, passkeys: { enabled: false } } });
    try {
      const html = await (await off.auth.fetch(new Request(`${off.auth.config.baseUrl}/sign-in`))).text();
      assert.doesNotMatch(html, /passkey/i);
      assert.match(html, /autocomplete="email"/);
    } finally {
      await off.close();
    }
  });
});
