/**
 * Mail templates: every built-in message has a text and an escaped HTML part; an application
 * can replace any of them; links use the configured paths under baseUrl; and a template or
 * transport that fails never changes the HTTP answer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MAIL_TEMPLATES, escapeHtml, MAIL_KINDS } from '../../src/features/verification/index.ts';
import type { MailMessage } from '../../src/mail/index.ts';
import {
  capturingTransport,
  createHarness,
  GOOD_PASSWORD,
  HARNESS_BASE_URL,
  uniqueEmail,
} from '../fixtures/auth-harness.ts';

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('mail templates', () => {
  it('built-ins - should render subject, text and HTML, escaping the app name and the link in HTML', () => {
    const context = {
      appName: 'A&B <Shop>',
      link: 'https://a.example/x?token=1&next="2"',
      expiresIn: '30 minutes',
    };
    for (const kind of MAIL_KINDS) {
      const rendered = DEFAULT_MAIL_TEMPLATES[kind](context);
      assert.ok(rendered.subject.includes('A&B <Shop>'), kind);
      assert.ok(rendered.text.includes('A&B <Shop>'), kind);
      assert.ok(rendered.html.includes(escapeHtml('A&B <Shop>')), kind);
      assert.ok(!rendered.html.includes('<Shop>'), `${kind}: raw markup in HTML`);
    }
    const reset = DEFAULT_MAIL_TEMPLATES.passwordReset(context);
    assert.ok(reset.text.includes(context.link));
    assert.ok(reset.html.includes(`href="${escapeHtml(context.link)}"`));
    assert.ok(reset.text.includes('30 minutes'));
  });

  it('overrides and links - should use the application template and the configured link path', async () => {
    const outbox: MailMessage[] = [];
    const h = await createHarness({
      config: {
        appName: 'Acme',
        mail: {
          transport: capturingTransport(outbox),
          links: { resetPassword: '/account/new-password' },
          templates: {
            passwordReset: ({ appName, link }) => ({
              subject: `[${appName}] reset`,
              text: `go: ${link}`,
              html: `<a href="${escapeHtml(link ?? '')}">reset</a>`,
            }),
          },
        },
      },
    });
    try {
      const email = uniqueEmail('template');
      await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
      // Forged headers must not reach the link.
      await h.post(
        '/auth/forgot-password',
        { email },
        { headers: { Host: 'evil.example', 'X-Forwarded-Host': 'evil.example' } },
      );
      await settle();
      const sent = outbox.find((m) => m.to === email);
      assert.ok(sent);
      assert.equal(sent.subject, '[Acme] reset');
      assert.match(sent.text, new RegExp(`^go: ${HARNESS_BASE_URL}/account/new-password\\?token=`));
      assert.ok(!sent.text.includes('evil.example'));
    } finally {
      await h.close();
    }
  });

  it('function transport - should receive every message with its text and HTML parts', async () => {
    const delivered: MailMessage[] = [];
    const h = await createHarness({
      config: {
        mail: {
          transport: async (message: MailMessage) => {
            delivered.push(message);
          },
        },
      },
    });
    try {
      const email = uniqueEmail('fn');
      await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
      assert.equal((await h.post('/auth/forgot-password', { email })).status, 202);
      await settle();
      assert.equal(delivered.length, 1);
      assert.equal(delivered[0]?.to, email);
      assert.match(
        delivered[0]?.html ?? '',
        /<a href="https:\/\/auth\.example\.test\/reset-password\?token=/,
      );
      assert.equal(h.auth.mail.kind, 'function');
    } finally {
      await h.close();
    }
  });

  it('failures - a template that throws should be logged and leave the answer unchanged', async () => {
    const outbox: MailMessage[] = [];
    const h = await createHarness({
      config: {
        mail: {
          transport: capturingTransport(outbox),
          templates: {
            passwordReset: () => {
              throw new Error('template bug');
            },
          },
        },
      },
    });
    try {
      const email = uniqueEmail('broken');
      await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
      const known = await h.post('/auth/forgot-password', { email });
      const unknown = await h.post('/auth/forgot-password', { email: uniqueEmail('none') });
      assert.equal(known.status, 202);
      assert.equal(known.text, unknown.text);
      await settle();
      assert.equal(outbox.length, 0);
    } finally {
      await h.close();
    }
  });
});

describe('new sign-in notice', () => {
  it('notifyNewSignIn - should mail the owner for a new address, never for the first sign-in or a known one', async () => {
    const outbox: MailMessage[] = [];
    // One trusted proxy hop: the test plays the proxy and says which address each login is from.
    const h = await createHarness({
      config: {
        http: { trustedProxyHops: 1 },
        mail: { transport: capturingTransport(outbox), notifyNewSignIn: true },
      },
    });
    try {
      const email = uniqueEmail('signin');
      await h.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
      const from = (ip: string) =>
        h.post('/auth/login', { email, password: GOOD_PASSWORD }, { headers: { 'X-Forwarded-For': ip } });
      const notices = async () => {
        await settle();
        return outbox.filter((m) => m.to === email && /New sign-in/.test(m.subject)).length;
      };
      assert.equal((await from('198.51.100.1')).status, 200);
      assert.equal(await notices(), 0, 'first sign-in');
      assert.equal((await from('198.51.100.1')).status, 200);
      assert.equal(await notices(), 0, 'known address');
      assert.equal((await from('203.0.113.77')).status, 200);
      assert.equal(await notices(), 1, 'new address');
      assert.equal((await from('203.0.113.77')).status, 200);
      assert.equal(await notices(), 1, 'now known');
    } finally {
      await h.close();
    }
  });
});
