import type { Page, PageGroup } from '../page.ts';
import { errorSummary, type FieldError, field, form, links } from '../render/form.ts';
import { html } from '../render/html.ts';
import { pendingCookie } from './sign-in.ts';

/**
 * Sign-in by a mailed code (only when `emailCode.enabled`): the page that asks for the address,
 * the code entry, and the page the mailed link opens. That link page never signs in on GET
 * (mail scanners and link previews fetch links): it shows a button whose form POSTs the token.
 * The link signs in without the code only in the browser that asked (the API's binding
 * cookie); anywhere else the page asks for the code from the same mail.
 */

const withReturnTo = (path: string, returnTo: string | null) =>
  returnTo ? `${path}?returnTo=${encodeURIComponent(returnTo)}` : path;

function codeField(page: Page, errors: FieldError[]) {
  return field({
    name: 'code',
    label: page.t('field.emailCode'),
    hint: page.t('hint.emailCode'),
    type: 'text',
    autocomplete: 'one-time-code',
    inputmode: 'numeric',
    maxlength: 16,
    errors,
    autofocus: true,
  });
}

function requestView(page: Page, email: string, returnTo: string | null, errors: FieldError[]) {
  const { t } = page;
  return {
    title: t('emailCode.title'),
    body: html`${errorSummary(t, errors)}
<p>${t('emailCode.intro')}</p>
${form({
  action: page.paths.emailCode,
  csrfToken: page.csrfToken,
  submit: t('emailCode.send'),
  hidden: { intent: 'request', returnTo: returnTo ?? undefined },
  body: field({
    name: 'email',
    label: t('field.email'),
    type: 'email',
    autocomplete: 'email',
    value: email,
    errors,
    maxlength: 320,
  }),
})}
${links([{ href: withReturnTo(page.paths.signIn, returnTo), text: t('signIn.title') }])}`,
  };
}

function enterView(page: Page, email: string, returnTo: string | null, errors: FieldError[]) {
  const { t } = page;
  return {
    title: t('emailCode.title'),
    body: html`${errorSummary(t, errors)}
<p>${t('emailCode.sentIntro', { email })}</p>
${form({
  action: page.paths.emailCode,
  csrfToken: page.csrfToken,
  submit: t('emailCode.submit'),
  hidden: { intent: 'verify', email, returnTo: returnTo ?? undefined },
  body: codeField(page, errors),
})}
${form({
  action: page.paths.emailCode,
  csrfToken: page.csrfToken,
  submit: t('emailCode.again'),
  hidden: { intent: 'request', email, returnTo: returnTo ?? undefined },
  variant: 'secondary',
})}`,
  };
}

function linkView(page: Page, action: string, token: string, needsCode: boolean, errors: FieldError[]) {
  const { t } = page;
  return {
    title: t('emailCode.linkTitle'),
    body: html`${errorSummary(t, errors)}
<p>${needsCode ? t('emailCode.linkNeedsCode') : t('emailCode.linkIntro')}</p>
${form({
  action,
  csrfToken: page.csrfToken,
  submit: t('emailCode.linkSubmit'),
  hidden: { token },
  ...(needsCode ? { body: codeField(page, errors) } : {}),
})}
${links([{ href: page.paths.emailCode, text: t('emailCode.again') }])}`,
  };
}

/** After a right code or link: the session, or the 2FA step with its pending cookie. */
function signedIn(page: Page, answer: Awaited<ReturnType<Page['api']>>, returnTo: string | null) {
  if (answer.body?.twoFactorRequired === true) {
    const cookie = pendingCookie(page, String(answer.body.pendingToken), page.settings.pendingLoginSeconds);
    return page.redirect(withReturnTo(page.paths.twoFactor, returnTo), [cookie, ...answer.setCookies]);
  }
  return page.redirect(page.returnTo(returnTo), answer.setCookies);
}

export const emailCodePages: PageGroup = (router) => {
  const settings = router.settings.emailCode;
  if (settings === null) return;
  const { paths } = router;
  const linkPath = settings.linkPath;

  router.get(paths.emailCode, async (page) => {
    const returnTo = page.url.searchParams.get('returnTo');
    if (await page.currentUser()) return page.redirect(page.returnTo(returnTo));
    return page.render(requestView(page, '', returnTo, []));
  });

  router.post(paths.emailCode, async (page) => {
    const email = page.form.get('email') ?? '';
    const returnTo = page.form.get('returnTo');
    if (page.form.get('intent') === 'verify') {
      const code = (page.form.get('code') ?? '').replace(/\s+/g, '');
      const answer = await page.api('POST', '/auth/email-code/session', { body: { email, code } });
      if (answer.problem) {
        const errors = page.errorsOf(answer.problem, {
          code: 'code',
          email: 'code',
          EMAIL_CODE_INVALID: 'code',
        });
        return page.render({ ...enterView(page, email, returnTo, errors), status: answer.status });
      }
      return signedIn(page, answer, returnTo);
    }
    const answer = await page.api('POST', '/auth/email-code/request', { body: { email } });
    if (answer.problem) {
      const errors = page.errorsOf(answer.problem, { email: 'email' });
      return page.render({ ...requestView(page, email, returnTo, errors), status: answer.status });
    }
    // The binding cookie goes to the browser, so the mailed link works here without the code.
    return page.render({ ...enterView(page, email, returnTo, []), cookies: answer.setCookies });
  });

  router.get(linkPath, async (page) => {
    const token = page.url.searchParams.get('token') ?? '';
    if (!token) return page.redirect(paths.emailCode);
    return page.render(linkView(page, linkPath, token, false, []));
  });

  router.post(linkPath, async (page) => {
    const token = page.form.get('token') ?? '';
    if (!token) return page.redirect(paths.emailCode);
    const typed = page.form.get('code');
    const code = typed === null ? undefined : typed.replace(/\s+/g, '');
    const answer = await page.api('POST', '/auth/email-code/link', {
      body: { token, ...(code === undefined ? {} : { code }) },
    });
    if (answer.problem?.code === 'EMAIL_CODE_LINK_UNBOUND') {
      return page.render({ ...linkView(page, linkPath, token, true, []), status: answer.status });
    }
    if (answer.problem) {
      const errors = page.errorsOf(answer.problem, { code: 'code', EMAIL_CODE_INVALID: 'code' });
      return page.render({
        ...linkView(page, linkPath, token, code !== undefined, errors),
        status: answer.status,
      });
    }
    return signedIn(page, answer, null);
  });
};
