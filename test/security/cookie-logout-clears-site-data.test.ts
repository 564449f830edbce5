/**
 * Threat: on a shared or public computer, signing out leaves behind what the site stored for
 * the signed-in user — other cookies the app set, localStorage, IndexedDB, a service worker's
 * caches — for the next person at the keyboard.
 *
 * Invariant: a cookie logout (`DELETE /auth/session`) answers `Clear-Site-Data: "cookies",
 * "storage"` besides clearing the session cookie and revoking the session; a refused logout
 * (no CSRF token) clears nothing and revokes nothing.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertInvalidToken, assertProblem, createHarness, type Harness } from '../fixtures/auth-harness.ts';
import {
  cookieHeaders,
  createVerifiedUser,
  OWN_ORIGIN,
  OWN_PAGE,
  SESSION_COOKIE,
  signInWithCookie,
} from '../fixtures/cookie-session.ts';

describe('cookie logout clears site data', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });
  after(async () => {
    await h?.close();
  });

  it('DELETE /auth/session - should answer 204 with Clear-Site-Data "cookies", "storage", clear the cookie and end the session', async () => {
    const user = await createVerifiedUser(h, 'clear');
    const session = await signInWithCookie(h, user.email);
    const logout = await h.request('DELETE', '/auth/session', { headers: cookieHeaders(session, OWN_PAGE) });
    assert.equal(logout.status, 204, logout.text);
    assert.equal(logout.headers.get('clear-site-data'), '"cookies", "storage"');
    const cleared = logout.headers.getSetCookie().find((line) => line.startsWith(`${SESSION_COOKIE}=;`));
    assert.ok(cleared?.includes('Max-Age=0'), 'the session cookie is deleted');
    assertInvalidToken(await h.get('/users/me', { headers: cookieHeaders(session) }));
  });

  it('refused logout - without the CSRF token should be 403 with no Clear-Site-Data, and the session should stay', async () => {
    const user = await createVerifiedUser(h, 'refused');
    const session = await signInWithCookie(h, user.email);
    const refused = await h.request('DELETE', '/auth/session', {
      headers: cookieHeaders(session, { origin: OWN_ORIGIN }),
    });
    assertProblem(refused, 403, 'CSRF_FAILED');
    assert.equal(refused.headers.get('clear-site-data'), null);
    assert.equal((await h.get('/users/me', { headers: cookieHeaders(session) })).status, 200);
  });
});
