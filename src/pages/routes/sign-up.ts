import type { Page, PageGroup } from '../page.ts';
import { errorSummary, type FieldError, field, form, links, notice } from '../render/form.ts';
import { html } from '../render/html.ts';

function signUpView(page: Page, input: { email?: string; name?: string }, errors: FieldError[]) {
  const { t, paths } = page;
  return {
    title: t('signUp.title'),
    body: html`${errorSummary(t, errors)}
${form({
  action: paths.signUp,
  csrfToken: page.csrfToken,
  submit: t('signUp.submit'),
  body: [
    field({
      name: 'name',
      label: t('field.name'),
      type: 'text',
      autocomplete: 'name',
      value: input.name ?? '',
      required: false,
      errors,
      maxlength: 200,
    }),
    field({
      name: 'email',
      label: t('field.email'),
      type: 'email',
      autocomplete: 'email',
      value: input.email ?? '',
      errors,
      maxlength: 320,
    }),
    field({
      name: 'password',
      label: t('field.password'),
      hint: t('hint.newPassword', { min: page.settings.minPasswordLength }),
      type: 'password',
      autocomplete: 'new-password',
      errors,
    }),
  ],
})}
${links([{ href: paths.signIn, text: t('signUp.haveAccount') }])}`,
  };
}

function forgotView(page: Page, email: string, errors: FieldError[]) {
  const { t, paths } = page;
  return {
    title: t('forgot.title'),
    body: html`${errorSummary(t, errors)}
<p>${t('forgot.intro')}</p>
${form({
  action: paths.forgotPassword,
  csrfToken: page.csrfToken,
  submit: t('forgot.submit'),
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
${links([{ href: paths.signIn, text: t('error.back') }])}`,
  };
}

/** Sign up and forgot password: both answer the same whether or not the address has an account. */
export const signUpPages: PageGroup = (router) => {
  const { paths } = router;

  router.get(paths.signUp, async (page) => page.render(signUpView(page, {}, [])));

  router.post(paths.signUp, async (page) => {
    const email = page.form.get('email') ?? '';
    const name = (page.form.get('name') ?? '').trim();
    const answer = await page.api('POST', '/auth/register', {
      body: { email, password: page.form.get('password') ?? '', ...(name ? { name } : {}) },
    });
    if (answer.problem) {
      const errors = page.errorsOf(answer.problem, {
        email: 'email',
        password: 'password',
        name: 'name',
        USER_ALREADY_EXISTS: 'email',
      });
      return page.render({ ...signUpView(page, { email, name }, errors), status: answer.status });
    }
    return page.render({
      title: page.t('signUp.sentTitle'),
      body: html`${notice(page.t('signUp.sentBody'))}${links([{ href: paths.signIn, text: page.t('signUp.haveAccount') }])}`,
    });
  });

  router.get(paths.forgotPassword, async (page) => page.render(forgotView(page, '', [])));

  router.post(paths.forgotPassword, async (page) => {
    const email = page.form.get('email') ?? '';
    const answer = await page.api('POST', '/auth/forgot-password', { body: { email } });
    if (answer.problem) {
      const errors = page.errorsOf(answer.problem, { email: 'email' });
      return page.render({ ...forgotView(page, email, errors), status: answer.status });
    }
    return page.render({
      title: page.t('forgot.sentTitle'),
      body: html`${notice(page.t('forgot.sentBody'))}${links([{ href: paths.signIn, text: page.t('error.back') }])}`,
    });
  });
};
