/**
 * The pages' languages: every catalogue has every key of the English one, none empty, with the
 * same `{placeholders}`; the locale comes from `?lang=` (remembered in a cookie), else the
 * cookie, else `Accept-Language`, else English; every error code the pages can be answered
 * has a message of its own or falls back to the generic one in the person's language.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CATALOGUES, LOCALES, negotiateLocale } from '../../src/pages/index.ts';
import { createHarness, type Harness } from '../fixtures/auth-harness.ts';
import { pageBrowser } from '../fixtures/pages.ts';

const placeholders = (text: string) => [...text.matchAll(/\{([a-zA-Z]+)\}/g)].map((m) => m[1]).sort();

describe('pages: message catalogues', () => {
  const english = CATALOGUES.en;
  for (const locale of LOCALES) {
    it(`${locale}: every key of the English catalogue, none extra, none empty, the same placeholders`, () => {
      const catalogue = CATALOGUES[locale];
      assert.deepEqual(Object.keys(catalogue).sort(), Object.keys(english).sort());
      for (const [key, text] of Object.entries(catalogue)) {
        assert.ok(text.trim().length > 0, `${locale} ${key} is empty`);
        assert.deepEqual(
          placeholders(text),
          placeholders(english[key as keyof typeof english]),
          `${locale} ${key}`,
        );
      }
    });
  }

  it('German is a translation: no message is left in English', () => {
    const same = Object.keys(english).filter(
      (key) => CATALOGUES.de[key as keyof typeof english] === english[key as keyof typeof english],
    );
    assert.deepEqual(same, []);
  });

  it('Accept-Language: the highest q we speak wins; otherwise English', () => {
    assert.equal(negotiateLocale('de-DE,de;q=0.9,en;q=0.8'), 'de');
    assert.equal(negotiateLocale('fr-FR, en;q=0.5, de;q=0.7'), 'de');
    assert.equal(negotiateLocale('fr, it'), 'en');
    assert.equal(negotiateLocale('de;q=0, en'), 'en');
    assert.equal(negotiateLocale(null), 'en');
  });
});

describe('pages: the language of a page', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness({ config: { ui: { enabled: true } } });
  });
  after(() => h.close());

  it('Accept-Language picks German; the document says so', async () => {
    const page = await pageBrowser(h.auth).get('/sign-in', { 'accept-language': 'de-AT,de;q=0.9' });
    assert.equal(page.heading, 'Anmelden');
    assert.match(page.html, /<html lang="de">/);
  });

  it('?lang= overrides Accept-Language and is remembered by a cookie', async () => {
    const browser = pageBrowser(h.auth);
    const chosen = await browser.get('/sign-in?lang=de', { 'accept-language': 'en' });
    assert.equal(chosen.heading, 'Anmelden');
    const later = await browser.get('/forgot-password', { 'accept-language': 'en' });
    assert.equal(later.heading, 'Passwort zurücksetzen');
    const back = await browser.get('/sign-in?lang=en', { 'accept-language': 'de' });
    assert.equal(back.heading, 'Sign in');
  });

  it('an API error is shown in the page language', async () => {
    const browser = pageBrowser(h.auth);
    const page = await browser.get('/sign-in?lang=de');
    const refused = await browser.submit(page, {
      email: 'nobody@example.test',
      password: 'wrong wrong wrong',
    });
    assert.match(refused.html, /E-Mail-Adresse oder Passwort sind nicht richtig/);
  });

  it('every catalogue code the pages show exists in the error catalogue', () => {
    const codes = Object.keys(CATALOGUES.en)
      .filter((key) => key.startsWith('code.'))
      .map((key) => key.slice('code.'.length))
      .filter((code) => code !== 'generic' && code !== 'RATE_LIMITED_LATER');
    for (const code of codes)
      assert.ok(Object.hasOwn(h.auth.errorCodes, code), `${code} is a catalogue code`);
  });
});
