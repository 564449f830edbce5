import type { PageGroup } from '../page.ts';
import { form } from '../render/form.ts';
import { html } from '../render/html.ts';
import { apiKeyPages } from './account/api-keys.ts';
import { accountPaths, section } from './account/common.ts';
import { emailPages } from './account/email.ts';
import { passkeyPages } from './account/passkeys.ts';
import { passwordPages } from './account/password.ts';
import { profilePages } from './account/profile.ts';
import { providerPages } from './account/providers.ts';
import { sessionPages } from './account/sessions.ts';
import { twoFactorPages } from './account/two-factor.ts';

/**
 * The account page: who is signed in, a link to each section (profile, password, email,
 * sessions, two-step verification, passkeys, sign-in providers, API keys), and signing out. Each section
 * is a page of its own under it (`routes/account/`).
 */
export const accountPages: PageGroup = (router) => {
  const { paths } = router;
  const sections = accountPaths(paths);
  section(router, paths.account, {
    async get(page, user) {
      const { t } = page;
      const entries = [
        { href: sections.profile, text: t('profile.title') },
        { href: sections.password, text: t('password.title') },
        { href: sections.email, text: t('email.title') },
        { href: sections.sessions, text: t('sessions.title') },
        { href: sections.twoFactor, text: t('twoFactorSettings.title') },
        ...(router.settings.passkeys ? [{ href: sections.passkeys, text: t('passkeys.title') }] : []),
        ...(router.settings.providers.length > 0
          ? [{ href: sections.providers, text: t('providers.title') }]
          : []),
        { href: sections.apiKeys, text: t('apiKeys.title') },
      ];
      return page.render({
        title: t('account.title'),
        body: html`<p>${t('account.signedInAs', { email: user.email })}</p>
<nav aria-label="${t('account.sections')}"><ul class="sections">${entries.map(
          (entry) => html`<li><a href="${entry.href}">${entry.text}</a></li>`,
        )}</ul></nav>
${form({ action: paths.signOut, csrfToken: page.csrfToken, submit: t('account.signOut'), variant: 'secondary' })}`,
      });
    },
  });
  for (const group of [
    profilePages,
    passwordPages,
    emailPages,
    sessionPages,
    twoFactorPages,
    providerPages,
    apiKeyPages,
  ]) {
    group(router);
  }
  if (router.settings.passkeys) passkeyPages(router);
};
