// The hosted pages' passkey script (browser code, bundled with @simplewebauthn/browser by
// scripts/build-passkey-script.ts into src/pages/passkey-script.generated.ts; never edited
// there): signing in on the sign-in page, adding a passkey on the account page. Without
// JavaScript or WebAuthn the blocks stay hidden and the pages say so or work as before.
import {
  browserSupportsWebAuthn,
  browserSupportsWebAuthnAutofill,
  startAuthentication,
  startRegistration,
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

// The account page: the "add a passkey" form shows only where a passkey can be made.
if (browserSupportsWebAuthn()) {
  for (const block of document.querySelectorAll('[data-passkey-add]')) block.hidden = false;
  for (const note of document.querySelectorAll('[data-passkey-unsupported]')) note.hidden = true;
}

const register = document.getElementById('passkey-register');

/**
 * The creation options the page got from the API (after any step-up), the browser's
 * ceremony, then the attestation to the API with the session's CSRF token; then back.
 */
async function addPasskey() {
  const api = register.dataset.api;
  const response = await startRegistration({ optionsJSON: JSON.parse(register.dataset.options) });
  const csrf = await fetch(`${api}/auth/csrf`, { credentials: 'same-origin' });
  if (!csrf.ok) throw new Error('csrf');
  const { csrfToken } = await csrf.json();
  const name = register.dataset.name;
  const finished = await fetch(`${api}/users/me/passkeys`, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
    body: JSON.stringify(name ? { response, name } : { response }),
  });
  if (!finished.ok) throw new Error('register');
  location.assign(register.dataset.done);
}

if (register && browserSupportsWebAuthn()) {
  register.hidden = false;
  const button = register.querySelector('button');
  button.addEventListener('click', () => {
    button.disabled = true;
    register.querySelector('[data-error]').hidden = true;
    addPasskey().catch(() => {
      button.disabled = false;
      register.querySelector('[data-error]').hidden = false;
    });
  });
}
