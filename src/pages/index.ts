export type { ApiAnswer, ApiFetch, ApiProblem } from './api.ts';
export { createPages, type Pages, type PagesOptions, pagePaths } from './create-pages.ts';
export { CSRF_FIELD } from './csrf.ts';
export { CATALOGUES, LOCALES, type Locale, type MessageKey, negotiateLocale } from './i18n/index.ts';
export type { Page, PageGroup, PageHandler, PagePaths, PageRouter, PageSettings, View } from './page.ts';
