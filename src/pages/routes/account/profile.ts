import type { UserView } from '../../../core/index.ts';
import type { Page, PageGroup } from '../../page.ts';
import { errorSummary, type FieldError, field, form } from '../../render/form.ts';
import { html } from '../../render/html.ts';
import { accountPaths, doneNotice, section, sectionView } from './common.ts';

/** Longest name the API accepts (`PATCH /users/me`). */
const NAME_MAX = 200;

function profileView(page: Page, user: UserView, name: string, errors: FieldError[], status?: number) {
  const { t } = page;
  const path = accountPaths(page.paths).profile;
  return sectionView(
    page,
    t('profile.title'),
    html`${errorSummary(t, errors)}${doneNotice(page, { saved: t('profile.saved') })}
<p>${t('profile.email', { email: user.email })}</p>
${form({
  action: path,
  csrfToken: page.csrfToken,
  submit: t('profile.submit'),
  body: field({
    name: 'name',
    label: t('field.name'),
    hint: t('hint.name'),
    type: 'text',
    autocomplete: 'name',
    value: name,
    required: false,
    maxlength: NAME_MAX,
    errors,
  }),
})}`,
    status,
  );
}

/** The profile: the name shown to the person and in mail (`PATCH /users/me`). */
export const profilePages: PageGroup = (router) => {
  section(router, accountPaths(router.paths).profile, {
    get: async (page, user) => page.render(profileView(page, user, user.name ?? '', [])),
    async post(page, user) {
      const name = (page.form.get('name') ?? '').trim();
      // An empty field clears the name.
      const answer = await page.api('PATCH', '/users/me', {
        body: { name: name === '' ? null : name },
        session: true,
      });
      if (answer.problem) {
        const errors = page.errorsOf(answer.problem, { name: 'name' });
        return page.render(profileView(page, user, name, errors, answer.status));
      }
      return page.redirect(`${accountPaths(page.paths).profile}?done=saved`);
    },
  });
};
