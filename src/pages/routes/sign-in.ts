import { readCookie, serializeCookie } from '../../http/index.ts';
import type { Page, PageGroup } from '../page.ts';
import { checkbox, errorSummary, type FieldError, field, form, links } from '../render/form.ts';
import { html, nothing, raw } from '../render/html.ts';

/** The pending 2FA sign-in travels in a short-lived cookie, never in a URL or the page. */
const pendingCookieName = (page: Page) => (page.settings.secureCookies ? '__Host-gh_pending' : 'gh_pending');

export function pendingCookie(page: Page, token: string, maxAgeSeconds: number): string {
  return serializeCookie(pendingCookieName(page), token, {
    secure: page.settings.secureCookies,
    sameSite: 'strict',
    maxAgeSeconds,
  });
}

function readPending(page: Page): string | null {
  const lookup = readCookie(page.request.headers.get('cookie'), pendingCookieName(page));
  return lookup.status === 'present' && lookup.value.length > 0 ? lookup.value : null;
}

const withReturnTo = (path: string, returnTo: string | null) =>
  returnTo ? `${path}?returnTo=${encodeURIComponent(returnTo)}` : path;

function signInView(
  page: Page,
  input: { email?: string; rememberMe?: boolean; returnTo: string | null },
  errors: FieldError[],
) {
  const { t, paths, settings } = page;
  // After a provider, the browser comes back to the 2FA page, which goes on to `returnTo`
  // (or finishes the sign-in when the account has a second factor).
  const providerReturn = withReturnTo(paths.twoFactor, input.returnTo);
  const providers =
    settings.providers.length === 0
      ? nothing
      : html`<p class="divider">${t('signIn.providers')}</p><div class="providers">${settings.providers.map(
          (p) =>
            html`<a class="button secondary" href="${p.authorizePath}?redirectTo=${encodeURIComponent(providerReturn)}">${t(
              'signIn.provider',
              { provider: p.displayName },
            )}</a>`,
        )}</div>`;
  return {
    title: t('signIn.title'),
    body: html`${errorSummary(t, errors)}
${form({
  action: paths.signIn,
  csrfToken: page.csrfToken,
  submit: t('signIn.submit'),
  hidden: { returnTo: input.returnTo ?? undefined },
  body: [
    field({
      name: 'email',
      label: t('field.email'),
      type: 'email',
      // `webauthn`: the browser offers passkeys in the field's autofill (conditional UI).
      autocomplete: settings.passkeys ? 'username webauthn' : 'email',
      value: input.email ?? '',
      errors,
      maxlength: 320,
    }),
    field({
      name: 'password',
      label: t('field.password'),
      type: 'password',
      autocomplete: 'current-password',
      errors,
    }),
    checkbox({ name: 'rememberMe', label: t('field.rememberMe'), checked: input.rememberMe ?? false }),
  ],
})}
${providers}
${settings.passkeys ? passkeyBlock(page, input.returnTo) : nothing}
${links([
  ...(settings.emailCode
    ? [{ href: withReturnTo(paths.emailCode, input.returnTo), text: t('emailCode.offer') }]
    : []),
  { href: paths.forgotPassword, text: t('signIn.forgot') },
  { href: withReturnTo(paths.signUp, input.returnTo), text: t('signIn.noAccount') },
])}`,
  };
}

/**
 * The passkey button, hidden until the script finds WebAuthn (without JavaScript the page is the
 * password form alone). The script runs by this response's nonce from a file of our origin.
 */
function passkeyBlock(page: Page, returnTo: string | null) {
  const { t, paths, settings } = page;
  return html`<div id="passkey-sign-in" hidden data-api="${settings.apiBasePath}" data-next="${page.returnTo(returnTo)}" data-two-factor="${withReturnTo(paths.twoFactor, returnTo)}">
<p class="divider">${t('signIn.passkeyDivider')}</p>
<button type="button" class="button secondary">${t('signIn.passkey')}</button>
<p class="error" data-error hidden>${t('signIn.passkeyFailed')}</p>
</div>
<script nonce="${page.nonce}" src="${paths.passkeyScript}" defer></script>`;
}

/**
 * Reads a `#pendingToken=` fragment (where an OAuth sign-in of an account with a second factor
 * lands) into the form, and drops it from the address bar. The only script of the pages: it
 * runs by this response's nonce, and without JavaScript the form still works after a password
 * sign-in (the pending sign-in is in a cookie).
 */
function fragmentScript(page: Page) {
  return html`<script nonce="${page.nonce}">${raw(
    "(function(){var m=/[#&]pendingToken=([^&]+)/.exec(location.hash);if(!m)return;var f=document.getElementById('pending-token');if(f)f.value=decodeURIComponent(m[1]);history.replaceState(null,'',location.pathname+location.search);})();",
  )}</script>`;
}

function twoFactorView(page: Page, returnTo: string | null, errors: FieldError[]) {
  const { t, paths } = page;
  return {
    title: t('twoFactor.title'),
    body: html`${errorSummary(t, errors)}
<p>${t('twoFactor.intro')}</p>
${form({
  action: paths.twoFactor,
  csrfToken: page.csrfToken,
  submit: t('twoFactor.submit'),
  hidden: { returnTo: returnTo ?? undefined },
  body: [
    html`<input type="hidden" name="pendingToken" id="pending-token" value="">`,
    field({
      name: 'code',
      label: t('field.code'),
      hint: t('hint.code'),
      type: 'text',
      autocomplete: 'one-time-code',
      inputmode: 'text',
      maxlength: 64,
      errors,
      autofocus: true,
    }),
  ],
})}
${links([{ href: withReturnTo(paths.signIn, returnTo), text: t('twoFactor.restart') }])}
${fragmentScript(page)}`,
  };
}

/** Sign in (password, providers, remember me), the 2FA step, sign out and signed out. */
export const signInPages: PageGroup = (router) => {
  const { paths } = router;

  router.get(paths.signIn, async (page) => {
    const returnTo = page.url.searchParams.get('returnTo');
    if (await page.currentUser()) return page.redirect(page.returnTo(returnTo));
    return page.render(signInView(page, { returnTo }, []));
  });

  router.post(paths.signIn, async (page) => {
    const email = page.form.get('email') ?? '';
    const rememberMe = page.form.get('rememberMe') === '1';
    const returnTo = page.form.get('returnTo');
    const answer = await page.api('POST', '/auth/session', {
      body: { email, password: page.form.get('password') ?? '', rememberMe },
    });
    if (answer.problem) {
      const errors = page.errorsOf(answer.problem, {
        email: 'email',
        password: 'password',
        LOGIN_BAD_CREDENTIALS: 'password',
      });
      return page.render({
        ...signInView(page, { email, rememberMe, returnTo }, errors),
        status: answer.status,
      });
    }
    if (answer.body?.twoFactorRequired === true) {
      const cookie = pendingCookie(page, String(answer.body.pendingToken), page.settings.pendingLoginSeconds);
      return page.redirect(withReturnTo(paths.twoFactor, returnTo), [cookie]);
    }
    return page.redirect(page.returnTo(returnTo), answer.setCookies);
  });

  router.get(paths.twoFactor, async (page) => {
    const returnTo = page.url.searchParams.get('returnTo');
    if (await page.currentUser()) return page.redirect(page.returnTo(returnTo));
    return page.render(twoFactorView(page, returnTo, []));
  });

  router.post(paths.twoFactor, async (page) => {
    const returnTo = page.form.get('returnTo');
    const pendingToken = page.form.get('pendingToken') || readPending(page) || '';
    const clearPending = pendingCookie(page, '', 0);
    if (!pendingToken) {
      return page.render({
        ...twoFactorView(page, returnTo, [{ message: page.t('twoFactor.expired') }]),
        status: 401,
      });
    }
    const answer = await page.api('POST', '/auth/2fa/verify', {
      body: { pendingToken, code: (page.form.get('code') ?? '').replace(/\s+/g, '') },
    });
    if (answer.problem) {
      const expired = answer.problem.code === 'PENDING_TOKEN_INVALID';
      const errors = page.errorsOf(answer.problem, { code: 'code', TWO_FACTOR_CODE_INVALID: 'code' });
      return page.render({
        ...twoFactorView(page, returnTo, errors),
        status: answer.status,
        cookies: expired ? [clearPending] : [],
      });
    }
    return page.redirect(page.returnTo(returnTo), [clearPending, ...answer.setCookies]);
  });

  router.post(paths.signOut, async (page) => {
    const answer = await page.api('DELETE', '/auth/session', { session: true });
    const response = page.redirect(paths.signedOut, answer.setCookies);
    const clear = answer.headers.get('clear-site-data');
    if (clear) response.headers.set('Clear-Site-Data', clear);
    return response;
  });

  router.get(paths.signedOut, async (page) =>
    page.render({
      title: page.t('signedOut.title'),
      body: html`<p>${page.t('signedOut.body')}</p>${links([{ href: paths.signIn, text: page.t('signedOut.again') }])}`,
    }),
  );
};
