import type { Page, PageGroup } from '../../page.ts';
import { errorSummary, type FieldError, form, notice } from '../../render/form.ts';
import { html, nothing } from '../../render/html.ts';
import {
  accountPaths,
  formatTime,
  section,
  sectionView,
  stepUpErrors,
  stepUpHeaders,
  stepUpView,
} from './common.ts';

interface LinkedAccount {
  readonly id: string;
  readonly provider: string;
  readonly email: string | null;
  readonly createdAt: string;
}

async function linkedAccounts(page: Page): Promise<LinkedAccount[]> {
  const answer = await page.api('GET', '/users/me/oauth-accounts');
  return answer.status === 200 ? (answer.body.accounts as LinkedAccount[]) : [];
}

/** What people read for a provider key: its `displayName`; a key no longer configured as is. */
function displayNameOf(page: Page, name: string): string {
  return page.settings.providers.find((p) => p.name === name)?.displayName ?? name;
}

function providersView(
  page: Page,
  accounts: readonly LinkedAccount[],
  errors: FieldError[],
  status?: number,
) {
  const { t, settings } = page;
  const path = accountPaths(page.paths).providers;
  const linked = page.url.searchParams.get('linked');
  const unlinked = page.url.searchParams.get('done') === 'unlinked';
  // Every configured provider, and any linked one that is no longer configured (unlinkable).
  const names = [...new Set([...settings.providers.map((p) => p.name), ...accounts.map((a) => a.provider)])];
  const shown = (name: string) => displayNameOf(page, name);
  return sectionView(
    page,
    t('providers.title'),
    html`${errorSummary(t, errors)}${
      linked && names.includes(linked) ? notice(t('providers.linked', { provider: shown(linked) })) : nothing
    }${unlinked ? notice(t('providers.unlinked')) : nothing}
<p>${t('providers.intro')}</p>
${names.length === 0 ? html`<p>${t('providers.none')}</p>` : nothing}
<ul class="items">${names.map((name) => {
      const mine = accounts.filter((a) => a.provider === name);
      const configured = settings.providers.some((p) => p.name === name);
      return html`<li>
<p class="item-title">${shown(name)}</p>
${mine.map(
  (account) => html`<p class="item-meta">${t('providers.linkedAs', {
    email: account.email ?? shown(name),
    time: formatTime(page, account.createdAt),
  })}</p>
${form({
  action: path,
  csrfToken: page.csrfToken,
  submit: t('providers.unlink', { provider: shown(name) }),
  hidden: { intent: 'unlink', id: account.id },
  variant: 'secondary',
})}`,
)}
${
  mine.length === 0 && configured
    ? form({
        action: path,
        csrfToken: page.csrfToken,
        submit: t('providers.link', { provider: shown(name) }),
        hidden: { intent: 'link', provider: name },
      })
    : nothing
}</li>`;
    })}</ul>`,
    status,
  );
}

/**
 * Sign-in providers linked to the account: link one (the API's link flow: a step-up for an
 * account with two-step verification, then the provider's page) and unlink one (never the last
 * way to sign in: the API refuses it).
 */
export const providerPages: PageGroup = (router) => {
  const path = accountPaths(router.paths).providers;
  section(router, path, {
    get: async (page) => page.render(providersView(page, await linkedAccounts(page), [])),
    async post(page, user) {
      const intent = page.form.get('intent');
      if (intent === 'link') {
        const provider = page.form.get('provider') ?? '';
        if (!page.settings.providers.some((p) => p.name === provider)) return page.redirect(path);
        const answer = await page.api('POST', `/auth/oauth/${encodeURIComponent(provider)}/link`, {
          body: { redirectTo: path },
          session: true,
          headers: stepUpHeaders(page),
        });
        const { problem } = answer;
        if (problem?.code === 'STEP_UP_REQUIRED' || problem?.code === 'TWO_FACTOR_CODE_INVALID') {
          return page.render(
            stepUpView(page, user, {
              action: path,
              hidden: { intent, provider },
              submit: page.t('providers.link', { provider: displayNameOf(page, provider) }),
              errors: stepUpErrors(page, problem),
              status: answer.status,
            }),
          );
        }
        if (problem) {
          return page.render(
            providersView(page, await linkedAccounts(page), page.errorsOf(problem), answer.status),
          );
        }
        // The flow cookie goes to the browser, which goes on to the provider.
        return page.redirect(String(answer.body.authorizationUrl), answer.setCookies);
      }
      if (intent === 'unlink') {
        const id = page.form.get('id') ?? '';
        const answer = await page.api('DELETE', `/users/me/oauth-accounts/${encodeURIComponent(id)}`, {
          session: true,
        });
        if (answer.problem) {
          const errors =
            answer.problem.code === 'LAST_SIGN_IN_METHOD'
              ? [{ message: page.t('providers.lastMethod') }]
              : page.errorsOf(answer.problem);
          return page.render(providersView(page, await linkedAccounts(page), errors, answer.status));
        }
        return page.redirect(`${path}?done=unlinked`);
      }
      return page.redirect(path);
    },
  });
};
