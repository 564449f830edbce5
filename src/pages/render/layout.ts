import { LOCALES, type Locale, translator } from '../i18n/index.ts';
import { type Html, html, nothing } from './html.ts';

/** What every page shows around its content: the brand, the language switch, the stylesheet. */
export interface LayoutSettings {
  readonly appName: string;
  readonly logoUrl: string | undefined;
  readonly colors: { readonly accent?: string | undefined; readonly accentDark?: string | undefined };
  readonly stylesheetHref: string;
}

export interface LayoutInput {
  readonly title: string;
  readonly body: Html;
  readonly locale: Locale;
  readonly nonce: string;
  /** The page's own URL, for the language links (which keep its query, e.g. a mail-link token). */
  readonly url: URL;
}

/** Brand colours: the only inline style, allowed by this response's nonce. */
function brandStyle(settings: LayoutSettings, nonce: string): Html {
  const { accent, accentDark } = settings.colors;
  if (!accent && !accentDark) return nothing;
  // Both values passed the schema's `#rrggbb` check, so they are safe inside CSS.
  const light = accent ? `:root{--accent:${accent};--focus:${accent}}` : '';
  const dark = accentDark
    ? `@media (prefers-color-scheme:dark){:root{--accent:${accentDark};--focus:${accentDark}}}`
    : '';
  return html`<style nonce="${nonce}">${light}${dark}</style>`;
}

function languageLinks(input: LayoutInput): Html {
  return html`<nav aria-label="${translator(input.locale)('lang.label')}"><ul>${LOCALES.map((locale) => {
    const target = new URL(input.url);
    target.searchParams.set('lang', locale);
    const name = translator(locale)('lang.name');
    return locale === input.locale
      ? html`<li><span aria-current="true" lang="${locale}">${name}</span></li>`
      : html`<li><a href="${target.pathname}${target.search}" lang="${locale}" hreflang="${locale}">${name}</a></li>`;
  })}</ul></nav>`;
}

/** The whole document of a page. */
export function layout(settings: LayoutSettings, input: LayoutInput): Html {
  return html`<!doctype html>
<html lang="${input.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<title>${input.title} · ${settings.appName}</title>
<link rel="stylesheet" href="${settings.stylesheetHref}">
${brandStyle(settings, input.nonce)}
</head>
<body>
<main>
<p class="brand">${settings.logoUrl ? html`<img src="${settings.logoUrl}" alt="">` : nothing}<span>${settings.appName}</span></p>
<h1>${input.title}</h1>
${input.body}
</main>
<footer>${languageLinks(input)}</footer>
</body>
</html>`;
}
