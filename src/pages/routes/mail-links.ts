import type { Page, PageGroup } from '../page.ts';
import { errorSummary, type FieldError, field, form, links, notice } from '../render/form.ts';
import { type Html, html } from '../render/html.ts';

/**
 * The pages mail links open. A GET never spends the token (mail scanners and link previews
 * fetch links): it shows a button whose form POSTs the token, and only that POST calls the API.
 */

const tokenOf = (page: Page): string => page.url.searchParams.get('token') ?? '';

function resendForm(page: Page, errors: FieldError[]): Html {
  return html`<p>${page.t('verify.resendIntro')}</p>
${form({
  action: page.paths.verifyEmail,
  csrfToken: page.csrfToken,
  submit: page.t('verify.resendSubmit'),
  hidden: { intent: 'resend' },
  body: field({
    name: 'email',
    label: page.t('field.email'),
    type: 'email',
    autocomplete: 'email',
    errors,
    maxlength: 320,
  }),
})}`;
}

function expiredVerify(page: Page, status: number) {
  return {
    title: page.t('expired.title'),
    body: html`<p>${page.t('expired.verifyBody')}</p>${resendForm(page, [])}`,
    status,
  };
}

function missingToken(page: Page) {
  return {
    title: page.t('expired.title'),
    body: html`<p>${page.t('expired.missingToken')}</p>${links([{ href: page.paths.signIn, text: page.t('error.back') }])}`,
    status: 400,
  };
}

function confirmButton(page: Page, action: string, intro: string, submit: string, token: string) {
  return html`<p>${intro}</p>${form({ action, csrfToken: page.csrfToken, submit, hidden: { token } })}`;
}

function resetView(page: Page, token: string, errors: FieldError[]) {
  const { t } = page;
  return {
    title: t('reset.title'),
    body: html`${errorSummary(t, errors)}
<p>${t('reset.intro')}</p>
${form({
  action: page.paths.resetPassword,
  csrfToken: page.csrfToken,
  submit: t('reset.submit'),
  hidden: { token },
  body: field({
    name: 'password',
    label: t('field.newPassword'),
    hint: t('hint.newPassword', { min: page.settings.minPasswordLength }),
    type: 'password',
    autocomplete: 'new-password',
    errors,
  }),
})}`,
  };
}

export const mailLinkPages: PageGroup = (router) => {
  const { paths } = router;

  router.get(paths.verifyEmail, async (page) => {
    const token = tokenOf(page);
    if (!token) return page.render({ title: page.t('verify.title'), body: resendForm(page, []) });
    return page.render({
      title: page.t('verify.title'),
      body: confirmButton(page, paths.verifyEmail, page.t('verify.intro'), page.t('verify.submit'), token),
    });
  });

  router.post(paths.verifyEmail, async (page) => {
    if (page.form.get('intent') === 'resend') {
      const answer = await page.api('POST', '/auth/request-verify', {
        body: { email: page.form.get('email') ?? '' },
      });
      if (answer.problem) {
        const errors = page.errorsOf(answer.problem, { email: 'email' });
        return page.render({
          title: page.t('verify.title'),
          body: html`${errorSummary(page.t, errors)}${resendForm(page, errors)}`,
          status: answer.status,
        });
      }
      return page.render({ title: page.t('verify.title'), body: notice(page.t('verify.resentBody')) });
    }
    const token = page.form.get('token') ?? '';
    if (!token) return page.render(missingToken(page));
    const answer = await page.api('POST', '/auth/verify', { body: { token } });
    if (answer.problem?.code === 'VERIFY_TOKEN_INVALID')
      return page.render(expiredVerify(page, answer.status));
    if (answer.problem) return page.render(problemView(page, answer.problem));
    return page.render({
      title: page.t('verify.doneTitle'),
      body: html`${notice(page.t('verify.doneBody'))}${links([{ href: paths.signIn, text: page.t('signIn.title') }])}`,
    });
  });

  router.get(paths.resetPassword, async (page) => {
    const token = tokenOf(page);
    if (!token) return page.render(missingToken(page));
    return page.render(resetView(page, token, []));
  });

  router.post(paths.resetPassword, async (page) => {
    const token = page.form.get('token') ?? '';
    if (!token) return page.render(missingToken(page));
    const answer = await page.api('POST', '/auth/reset-password', {
      body: { token, password: page.form.get('password') ?? '' },
    });
    if (answer.problem?.code === 'RESET_TOKEN_INVALID') {
      return page.render({
        title: page.t('expired.title'),
        body: html`<p>${page.t('expired.resetBody')}</p>${links([
          { href: paths.forgotPassword, text: page.t('expired.resetAction') },
        ])}`,
        status: answer.status,
      });
    }
    if (answer.problem) {
      const errors = page.errorsOf(answer.problem, { password: 'password' });
      return page.render({ ...resetView(page, token, errors), status: answer.status });
    }
    return page.render({
      title: page.t('reset.doneTitle'),
      body: html`${notice(page.t('reset.doneBody'))}${links([{ href: paths.signIn, text: page.t('signIn.title') }])}`,
    });
  });

  router.get(paths.confirmEmail, async (page) => {
    const token = tokenOf(page);
    if (!token) return page.render(missingToken(page));
    return page.render({
      title: page.t('confirm.title'),
      body: confirmButton(page, paths.confirmEmail, page.t('confirm.intro'), page.t('confirm.submit'), token),
    });
  });

  router.post(paths.confirmEmail, async (page) => {
    const token = page.form.get('token') ?? '';
    if (!token) return page.render(missingToken(page));
    const answer = await page.api('POST', '/auth/confirm-email', { body: { token } });
    if (answer.problem?.code === 'EMAIL_CHANGE_TOKEN_INVALID') {
      return page.render({
        title: page.t('expired.title'),
        body: html`<p>${page.t('expired.confirmBody')}</p>${links([{ href: paths.signIn, text: page.t('signIn.title') }])}`,
        status: answer.status,
      });
    }
    if (answer.problem) return page.render(problemView(page, answer.problem));
    return page.render({
      title: page.t('confirm.doneTitle'),
      body: html`${notice(page.t('confirm.doneBody'))}${links([{ href: paths.account, text: page.t('account.title') }])}`,
    });
  });
};

/** Any other refusal (a rate limit, a taken address): its message, and the way back. */
function problemView(page: Page, problem: Parameters<Page['errorsOf']>[0]) {
  return {
    title: page.t('error.title'),
    body: html`${errorSummary(page.t, page.errorsOf(problem))}${links([{ href: page.paths.signIn, text: page.t('error.back') }])}`,
    status: problem.status,
  };
}
