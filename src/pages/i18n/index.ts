import { DE } from './de.ts';
import { EN, type MessageKey } from './en.ts';

export type { MessageKey } from './en.ts';

/** The languages the pages speak; the first is the fallback. */
export const LOCALES = ['en', 'de'] as const;
export type Locale = (typeof LOCALES)[number];

/** Every catalogue, by locale (a language is added here and in its own file). */
export const CATALOGUES: Readonly<Record<Locale, Readonly<Record<MessageKey, string>>>> = { en: EN, de: DE };

/** Looks a message up and fills its `{name}` placeholders. */
export type Translate = (key: MessageKey, values?: Readonly<Record<string, string | number>>) => string;

export function translator(locale: Locale): Translate {
  const catalogue = CATALOGUES[locale];
  return (key, values) =>
    catalogue[key].replace(/\{([a-zA-Z]+)\}/g, (whole, name: string) =>
      values && Object.hasOwn(values, name) ? String(values[name]) : whole,
    );
}

export function isLocale(value: string | null | undefined): value is Locale {
  return value !== null && value !== undefined && (LOCALES as readonly string[]).includes(value);
}

/**
 * The best of our locales for an `Accept-Language` header (RFC 9110 §12.5.4): the highest
 * q-value whose primary subtag we speak, earlier entries winning ties; English otherwise.
 */
export function negotiateLocale(header: string | null): Locale {
  if (!header) return LOCALES[0];
  let best: { locale: Locale; q: number } | null = null;
  for (const part of header.split(',').slice(0, 32)) {
    const [range = '', ...params] = part.trim().split(';');
    const primary = range.trim().toLowerCase().split('-')[0];
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q) || q <= 0 || !isLocale(primary)) continue;
    if (best === null || q > best.q) best = { locale: primary, q };
  }
  return best?.locale ?? LOCALES[0];
}
