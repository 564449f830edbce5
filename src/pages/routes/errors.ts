import type { Page, View } from '../page.ts';
import { links } from '../render/form.ts';
import { html, nothing } from '../render/html.ts';

/** What to do next, on every error page: the support address when there is one. */
function support(page: Page) {
  const email = page.settings.supportEmail;
  if (!email) return nothing;
  // The address becomes a link inside the translated sentence, wherever the language puts it.
  const [before = '', after = ''] = page.t('error.support', { email: '\u0000' }).split('\u0000');
  return html`<p>${before}<a href="mailto:${email}">${email}</a>${after}</p>`;
}

export function errorView(page: Page): Omit<View, 'status'> {
  return {
    title: page.t('error.title'),
    body: html`<p>${page.t('error.body')}</p>${support(page)}${links([
      { href: page.paths.signIn, text: page.t('error.back') },
    ])}`,
  };
}

/** A form whose CSRF token or origin did not pass: nothing was done; reload and retry. */
export function formExpiredView(page: Page): Omit<View, 'status'> {
  return {
    title: page.t('csrf.title'),
    body: html`<p>${page.t('csrf.body')}</p>${links([{ href: page.paths.signIn, text: page.t('error.back') }])}`,
  };
}

export function notFoundView(page: Page): Omit<View, 'status'> {
  return {
    title: page.t('notFound.title'),
    body: html`<p>${page.t('notFound.body')}</p>${links([{ href: page.paths.signIn, text: page.t('error.back') }])}`,
  };
}
