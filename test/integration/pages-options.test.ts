/**
 * How the pages are configured and mounted: off by default in the library (auth.fetch serves
 * only the API; auth.pages still works when the app routes to it), under another base path,
 * with a brand, and a rate limit that says when to try again.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MailMessage } from '../../src/mail/contract.ts';
import { capturingTransport, createHarness, GOOD_PASSWORD, uniqueEmail } from '../fixtures/auth-harness.ts';
import { pageBrowser, summaryOf } from '../fixtures/pages.ts';

/** The first message to `to` (mail goes out in the background of the request). */
async function firstMailTo(sent: readonly MailMessage[], to: string): Promise<MailMessage> {
  const deadline = Date.now() + 2_000;
  for (;;) {
    const found = sent.find((m) => m.to === to);
    if (found) return found;
    assert.ok(Date.now() < deadline, `no mail to ${to}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('pages: options and mounting', () => {
  it('library default: auth.fetch serves no page, auth.pages does', async () => {
    const h = await createHarness();
    try {
      const answer = await h.auth.fetch(new Request('https://auth.example.test/sign-in'));
      assert.equal(answer.status, 404);
      assert.equal(answer.headers.get('content-type'), 'application/problem+json');
      assert.equal(h.auth.pages.handles('/sign-in'), true);
      const page = await h.auth.pages.fetch(new Request('https://auth.example.test/sign-in'));
      assert.equal(page.status, 200);
      assert.match(await page.text(), /<h1>Sign in<\/h1>/);
      assert.equal(h.auth.pages.handles('/auth/login'), false);
    } finally {
      await h.close();
    }
  });

  it('ui.basePath /ui: every page under it, the mail-link pages where mail.links says, the API unchanged', async () => {
    const sent: MailMessage[] = [];
    const h = await createHarness({
      config: {
        ui: { enabled: true, basePath: '/ui', appName: 'Example Co', supportEmail: 'help@example.test' },
        mail: { transport: capturingTransport(sent), links: { verifyEmail: '/ui/verify-email' } },
      },
    });
    try {
      const browser = pageBrowser(h.auth);
      assert.equal((await browser.get('/ui')).path, '/ui/sign-in');
      assert.equal((await browser.get('/ui/')).path, '/ui/sign-in');
      const signIn = await browser.get('/ui/sign-in');
      assert.match(signIn.html, /<title>Sign in · Example Co<\/title>/);
      assert.match(signIn.html, /href="\/ui\/assets\/gatehouse-[0-9a-f]+\.css"/);
      assert.equal(signIn.forms[0]?.action, '/ui/sign-in');
      assert.equal((await browser.get('/ui/verify-email')).status, 200);
      assert.equal((await browser.get('/sign-in')).status, 404, 'nothing at the root');
      assert.equal((await h.get('/health')).status, 200);

      const email = uniqueEmail('ui');
      await h.post('/auth/register', { email, password: GOOD_PASSWORD });
      const mail = await firstMailTo(sent, email);
      assert.match(mail.text, /https:\/\/auth\.example\.test\/ui\/verify-email\?token=/);
    } finally {
      await h.close();
    }
  });

  it('mail.linkBase points the links in mail at another origin', async () => {
    const sent: MailMessage[] = [];
    const h = await createHarness({
      config: { mail: { transport: capturingTransport(sent), linkBase: 'https://app.example.test/account' } },
    });
    try {
      const email = uniqueEmail('links');
      await h.post('/auth/register', { email, password: GOOD_PASSWORD });
      const mail = await firstMailTo(sent, email);
      assert.match(mail.text, /https:\/\/app\.example\.test\/account\/verify-email\?token=/);
    } finally {
      await h.close();
    }
  });

  it('a rate-limited sign-in says in how many seconds to try again', async () => {
    const h = await createHarness({
      config: {
        ui: { enabled: true },
        rateLimits: {
          enabled: true,
          slots: { session: { limit: 1, windowSeconds: 60, scope: 'identifier' } },
        },
      },
    });
    try {
      const email = uniqueEmail('limited');
      await h.register(email);
      const browser = pageBrowser(h.auth);
      await browser.submit(await browser.get('/sign-in'), { email, password: 'wrong password, first try' });
      const limited = await browser.submit(await browser.get('/sign-in'), { email, password: GOOD_PASSWORD });
      assert.equal(limited.status, 429);
      const [message = ''] = summaryOf(limited.html);
      const seconds = Number(/Try again in (\d+) seconds/.exec(message)?.[1]);
      assert.ok(seconds >= 1 && seconds <= 60, message);
    } finally {
      await h.close();
    }
  });

  it('a page on an API route (a mail link set to /auth/verify) refuses to start', async () => {
    await assert.rejects(
      createHarness({ config: { ui: { enabled: true }, mail: { links: { verifyEmail: '/auth/verify' } } } }),
      (error: Error) => error instanceof TypeError && /\/auth\/verify/.test(error.message),
    );
  });
});
