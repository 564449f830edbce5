import type { UserView } from '../../../core/index.ts';
import type { Page, PageGroup } from '../../page.ts';
import { errorSummary, type FieldError, field, form, notice } from '../../render/form.ts';
import { html, nothing } from '../../render/html.ts';
import {
  accountPaths,
  currentPasswordField,
  isStepUpProblem,
  section,
  sectionView,
  stepUpErrors,
  stepUpField,
  stepUpHeaders,
  usernameHint,
} from './common.ts';

interface EmailInput {
  readonly newEmail: string;
  /** Show the step-up code field (the API asked for a recent second factor). */
  readonly stepUp: boolean;
}

function emailView(page: Page, user: UserView, input: EmailInput, errors: FieldError[], status?: number) {
  const { t } = page;
  return sectionView(
    page,
    t('email.title'),
    html`${errorSummary(t, errors)}
<p>${t('email.current', { email: user.email })}</p>
<p>${t('email.intro')}</p>
${form({
  action: accountPaths(page.paths).email,
  csrfToken: page.csrfToken,
  submit: t('email.submit'),
  body: [
    usernameHint(user),
    field({
      name: 'newEmail',
      label: t('field.newEmail'),
      type: 'email',
      autocomplete: 'email',
      value: input.newEmail,
      maxlength: 320,
      errors,
    }),
    currentPasswordField(page, errors),
    input.stepUp ? stepUpField(page, errors) : nothing,
  ],
})}`,
    status,
  );
}

/**
 * Change the email address (`POST /users/me/change-email`): a link goes to the new address,
 * and the change happens when it is opened (the confirm-email page). A sensitive action: an
 * account with two-step verification may be asked for a code.
 */
export const emailPages: PageGroup = (router) => {
  const path = accountPaths(router.paths).email;
  section(router, path, {
    async get(page, user) {
      if (page.url.searchParams.get('done') === 'sent') {
        return page.render(sectionView(page, page.t('email.sentTitle'), notice(page.t('email.sentBody'))));
      }
      return page.render(emailView(page, user, { newEmail: '', stepUp: false }, []));
    },
    async post(page, user) {
      const newEmail = (page.form.get('newEmail') ?? '').trim();
      const answer = await page.api('POST', '/users/me/change-email', {
        body: { newEmail, currentPassword: page.form.get('currentPassword') ?? '' },
        session: true,
        headers: stepUpHeaders(page),
      });
      if (answer.problem) {
        const fields = { newEmail: 'newEmail', currentPassword: 'currentPassword' };
        const errors =
          answer.problem.code === 'LOGIN_BAD_CREDENTIALS'
            ? [{ field: 'currentPassword', message: page.t('account.wrongPassword') }]
            : stepUpErrors(page, answer.problem, fields);
        // Once asked for, the code field stays until the change goes through.
        const stepUp = isStepUpProblem(answer.problem) || page.form.has('stepUpCode');
        return page.render(emailView(page, user, { newEmail, stepUp }, errors, answer.status));
      }
      return page.redirect(`${path}?done=sent`);
    },
  });
};
