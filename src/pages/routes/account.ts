import type { PageGroup } from '../page.ts';
import { form } from '../render/form.ts';
import { html } from '../render/html.ts';

/**
 * The account page: who is signed in, and signing out. (Its sections, profile, password, email,
 * sessions, two-factor, providers and API keys, are pages of their own added beside it.)
 */
export const accountPages: PageGroup = (router) => {
  const { paths } = router;
  router.get(paths.account, async (page) => {
    const user = await page.currentUser();
    if (!user) return page.redirect(`${paths.signIn}?returnTo=${encodeURIComponent(paths.account)}`);
    return page.render({
      title: page.t('account.title'),
      body: html`<p>${page.t('account.signedInAs', { email: user.email })}</p>
${form({ action: paths.signOut, csrfToken: page.csrfToken, submit: page.t('account.signOut'), variant: 'secondary' })}`,
    });
  });
};
