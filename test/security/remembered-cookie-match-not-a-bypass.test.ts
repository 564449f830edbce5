/**
 * Threat: the per-process memory of cookies that matched their session (which spares a
 * returning browser the keyed HMAC) turned into a way in: a guessed secret for a session id
 * whose real cookie was just seen, the real cookie after its session was signed out, or
 * another session's secret under this session's id.
 * Invariant: only the exact cookie value that matched its session's stored digest is spared
 * the HMAC, and only while that digest is still the session's; every other value pays the
 * full check, and a signed-out session answers 401 whatever was remembered.
 * @see issue #18
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  type Harness,
  type JsonResponse,
} from '../fixtures/auth-harness.ts';
import {
  type CookieSignIn,
  createVerifiedUser,
  OWN_PAGE,
  SESSION_COOKIE,
  signInWithCookie,
} from '../fixtures/cookie-session.ts';

let h: Harness;

before(async () => {
  h = await createHarness();
});
after(() => h.close());

function whoAmI(cookieValue: string): Promise<JsonResponse> {
  return h.get('/users/me', { headers: { Cookie: `${SESSION_COOKIE}=${cookieValue}` } });
}

/** A cookie session whose value has been presented (and so remembered) twice. */
async function rememberedSession(label: string): Promise<CookieSignIn> {
  const { email } = await createVerifiedUser(h, label);
  const session = await signInWithCookie(h, email);
  for (let i = 0; i < 2; i++) assert.equal((await whoAmI(session.value)).status, 200);
  return session;
}

/** The value with the last character of its secret changed. */
function oneCharacterOff(value: string): string {
  const last = value.at(-1) === 'A' ? 'B' : 'A';
  return `${value.slice(0, -1)}${last}`;
}

describe('remembered cookie matches', () => {
  it('cookie guessing - should refuse a secret one character off after the real cookie was remembered', async () => {
    const session = await rememberedSession('guessed');
    assertProblem(await whoAmI(oneCharacterOff(session.value)), 401, 'INVALID_TOKEN');
    assert.equal((await whoAmI(session.value)).status, 200, 'the real cookie still works');
  });

  it("cookie guessing - should refuse another session's secret under this session's id", async () => {
    const mine = await rememberedSession('mine');
    const theirs = await rememberedSession('theirs');
    const secretOf = (value: string) => value.slice(value.indexOf('.') + 1);
    const spliced = `${mine.sessionId}.${secretOf(theirs.value)}`;
    assertProblem(await whoAmI(spliced), 401, 'INVALID_TOKEN');
  });

  it('signed-out cookie - should refuse a remembered cookie once its session is signed out', async () => {
    const session = await rememberedSession('signed-out');
    const signOut = await h.request('DELETE', '/auth/session', {
      headers: {
        Cookie: `${SESSION_COOKIE}=${session.value}`,
        Origin: OWN_PAGE.origin as string,
        'X-CSRF-Token': session.csrfToken,
      },
    });
    assert.equal(signOut.status, 204);
    assertProblem(await whoAmI(session.value), 401, 'INVALID_TOKEN');
  });

  it('renewed cookie - should refuse the remembered old cookie once a password change renews the session', async () => {
    const session = await rememberedSession('renewed');
    const renew = await h.request('POST', '/users/me/change-password', {
      body: { currentPassword: GOOD_PASSWORD, newPassword: 'an entirely new passphrase 7' },
      headers: {
        Cookie: `${SESSION_COOKIE}=${session.value}`,
        Origin: OWN_PAGE.origin as string,
        'X-CSRF-Token': session.csrfToken,
      },
    });
    assert.equal(renew.status, 204, renew.text);
    assertProblem(await whoAmI(session.value), 401, 'INVALID_TOKEN');
  });
});
