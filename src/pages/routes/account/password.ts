import type { UserView } from '../../../core/index.ts';
import type { Page, PageGroup } from '../../page.ts';
import { errorSummary, type FieldError, field, form } from '../../render/form.ts';
import { html } from '../../render/html.ts';
import {
  accountPaths,
  currentPasswordField,
  doneNotice,
  section,
  sectionView,
  usernameHint,
} from './common.ts';

function passwordView(page: Page, user: UserView, errors: FieldError[], status?: number) {
  const { t } = page;
  return sectionView(
    page,
    t('password.title'),
    html`${errorSummary(t, errors)}${doneNotice(page, { changed: t('password.changed') })}
<p>${t('password.intro')}</p>
${form({
  action: accountPaths(page.paths).password,
  csrfToken: page.csrfToken,
  submit: t('password.submit'),
  body: [
    usernameHint(user),
    currentPasswordField(page, errors),
    field({
      name: 'newPassword',
      label: t('field.newPassword'),
      hint: t('hint.newPassword', { min: page.settings.minPasswordLength }),
      type: 'password',
      autocomplete: 'new-password',
      errors,
    }),
  ],
})}`,
    status,
  );
}

/**
 * Change the password (`POST /users/me/change-password`): every other session ends; this
 * one moves to a new id, whose cookie the browser is handed.
 */
export const passwordPages: PageGroup = (router) => {
  const path = accountPaths(router.paths).password;
  section(router, path, {
    get: async (page, user) => page.render(passwordView(page, user, [])),
    async post(page, user) {
      const answer = await page.api('POST', '/users/me/change-password', {
        body: {
          currentPassword: page.form.get('currentPassword') ?? '',
          newPassword: page.form.get('newPassword') ?? '',
        },
        session: true,
      });
      if (answer.problem) {
        const errors =
          answer.problem.code === 'LOGIN_BAD_CREDENTIALS'
            ? [{ field: 'currentPassword', message: page.t('account.wrongPassword') }]
            : page.errorsOf(answer.problem, {
                currentPassword: 'currentPassword',
                newPassword: 'newPassword',
                // The policy names the password it refused `password`.
                password: 'newPassword',
              });
        return page.render(passwordView(page, user, errors, answer.status));
      }
      return page.redirect(`${path}?done=changed`, answer.setCookies);
    },
  });
};
