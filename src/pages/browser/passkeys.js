// The hosted sign-in page's passkey script (browser code, bundled with @simplewebauthn/browser
// by scripts/build-passkey-script.ts into src/pages/passkey-script.generated.ts; never edited
// there). Without JavaScript or WebAuthn the block stays hidden and the page works as before.
import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
} from '@simplewebauthn/browser';

const root = document.getElementById('passkey-sign-in');

/** Options from the API, the browser's ceremony, then the cookie session; then where to go. */
async function signIn(conditional) {
  const email = conditional ? '' : (document.getElementById('field-email')?.value ?? '').trim();
  const post = (path, body) =>
    fetch(root.dataset.api + path, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const started = await post('/auth/passkey/options', email ? { email } : {});
  if (!started.ok) throw new Error('options');
  const { flowId, options } = await started.json();
  const response = await startAuthentication({ optionsJSON: options, useBrowserAutofill: conditional });
  const remember = document.querySelector('input[name="rememberMe"]')?.checked === true;
  const finished = await post('/auth/passkey/session', { flowId, response, rememberMe: remember });
  if (!finished.ok) throw new Error('sign-in');
  const answer = await finished.json();
  if (answer.twoFactorRequired === true) {
    // One factor only (no user verification): the 2FA page reads the pending sign-in from here.
    location.assign(`${root.dataset.twoFactor}#pendingToken=${encodeURIComponent(answer.pendingToken)}`);
    return;
  }
  location.assign(root.dataset.next);
}

function failed() {
  const message = root.querySelector('[data-error]');
  if (message) message.hidden = false;
}

if (root && browserSupportsWebAuthn()) {
  root.hidden = false;
  root.querySelector('button').addEventListener('click', () => {
    // A new ceremony cancels the autofill one (the library aborts the previous request).
    signIn(false).catch(failed);
  });
  browserSupportsWebAuthnAutofill().then((autofill) => {
    if (autofill) signIn(true).catch(() => {});
  });
}
