import type { PageGroup, PageHandler } from '../page.ts';

/** `/` (the base path): the account page when signed in, else the sign-in page. */
export const homePages: PageGroup = (router) => {
  const home: PageHandler = async (page) =>
    page.redirect((await page.currentUser()) ? router.paths.account : router.paths.signIn);
  router.get(router.paths.home, home);
  if (router.paths.home !== '/') router.get(`${router.paths.home}/`, home);
};
