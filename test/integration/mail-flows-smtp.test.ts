/**
 * End-to-end mail flows through a real SMTP server on loopback: every message is received over
 * SMTP, parsed from its raw form, and its link is followed the way a user would (POSTing the
 * token). Covers verification, password reset, email change, host-header poisoning and
 * look-alike addresses.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  HARNESS_BASE_URL,
  type Harness,
} from '../fixtures/auth-harness.ts';
import {
  type MimeEntity,
  parseMime,
  type ReceivedMail,
  startTestSmtpServer,
  type TestSmtpServer,
  textAndHtml,
} from '../fixtures/mail.ts';

const SMTP_USER = 'mailer';
const SMTP_PASSWORD = 's3cret p@ss/word';
const NEW_PASSWORD = 'a different horse battery staple 77';

let smtp: TestSmtpServer;
let harness: Harness;

before(async () => {
  smtp = await startTestSmtpServer({ auth: { user: SMTP_USER, pass: SMTP_PASSWORD } });
  harness = await createHarness({
    config: {
      mail: {
        url: `smtp://${SMTP_USER}:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${smtp.port}`,
        from: 'Gatehouse <no-reply@example.test>',
      },
    },
  });
});

after(async () => {
  await harness?.close();
  await smtp?.close();
});

interface ParsedMail {
  readonly received: ReceivedMail;
  readonly entity: MimeEntity;
  readonly subject: string;
  readonly to: string;
  readonly text: string;
  readonly html: string;
}

function parse(received: ReceivedMail): ParsedMail {
  const entity = parseMime(received.raw);
  const { text, html } = textAndHtml(entity);
  return {
    received,
    entity,
    subject: entity.headers.get('subject') ?? '',
    to: entity.headers.get('to') ?? '',
    text: text ?? '',
    html: html ?? '',
  };
}

/** Waits (bounded) for the first message received after `from` that matches. */
async function waitForMail(
  from: number,
  match: (mail: ParsedMail) => boolean,
  options: { timeoutMs?: number } = {},
): Promise<ParsedMail> {
  const deadline = Date.now() + (options.timeoutMs ?? 2_000);
  for (;;) {
    const found = smtp.received.slice(from).map(parse).find(match);
    if (found) return found;
    if (Date.now() > deadline) assert.fail('no matching message arrived over SMTP in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function mailTo(from: number, address: string, subject: RegExp): Promise<ParsedMail> {
  return waitForMail(from, (m) => m.received.rcptTo.includes(address) && subject.test(m.subject));
}

/** The link in the TEXT part (after quoted-printable decoding) and its token. */
function linkIn(mail: ParsedMail, path: string): { link: string; token: string } {
  const match = /(\S+)\?token=([^\s&]+)/.exec(mail.text);
  assert.ok(match?.[1] && match[2], 'the text part holds a link with a token');
  const link = match[0];
  assert.equal(match[1], `${HARNESS_BASE_URL}${path}`, 'the link points at the configured base URL');
  return { link, token: decodeURIComponent(match[2]) };
}

/** Every message must carry both parts, with the link inside an href in the HTML one. */
function assertWellFormed(mail: ParsedMail, link: string): void {
  const leaves = mail.entity.parts.length === 0 ? [mail.entity] : mail.entity.parts;
  assert.ok(
    leaves.some((p) => p.contentType === 'text/plain'),
    'the message has a text/plain part',
  );
  assert.ok(
    leaves.some((p) => p.contentType === 'text/html'),
    'the message has a text/html part',
  );
  const escaped = link.replace(/&/g, '&amp;');
  assert.ok(mail.html.includes(`href="${escaped}"`), 'the HTML part links to the same URL in an href');
}

function uniqueAddress(label: string): string {
  return `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}@example.test`;
}

describe('mail flows over SMTP', () => {
  test('register - should deliver a verification link that verifies the account and allows login', async () => {
    const email = uniqueAddress('reg');
    const mark = smtp.received.length;
    const registered = await harness.post('/auth/register', { email, password: GOOD_PASSWORD });
    assert.equal(registered.status, 202, registered.text);

    // Enumeration-safe registration refuses login until the address is verified.
    assertProblem(
      await harness.post('/auth/login', { email, password: GOOD_PASSWORD }),
      401,
      'LOGIN_BAD_CREDENTIALS',
    );

    const mail = await mailTo(mark, email, /^Verify your email/);
    assert.deepEqual(mail.received.rcptTo, [email]);
    const { link, token } = linkIn(mail, '/verify-email');
    assertWellFormed(mail, link);

    const verified = await harness.post('/auth/verify', { token });
    assert.equal(verified.status, 200, verified.text);
    assert.equal(verified.body.user.email, email);

    const login = await harness.post('/auth/login', { email, password: GOOD_PASSWORD });
    assert.equal(login.status, 200, login.text);
  });

  test('forgot-password - should reset through the mailed link and kill every earlier session', async () => {
    const email = uniqueAddress('reset');
    await harness.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });
    const before = await harness.login(email);

    const mark = smtp.received.length;
    const forgot = await harness.post('/auth/forgot-password', { email });
    assert.equal(forgot.status, 202, forgot.text);
    const mail = await mailTo(mark, email, /^Reset your/);
    const { link, token } = linkIn(mail, '/reset-password');
    assertWellFormed(mail, link);

    const reset = await harness.post('/auth/reset-password', { token, password: NEW_PASSWORD });
    assert.equal(reset.status, 204, reset.text);

    const me = await harness.get('/users/me', { token: before.accessToken });
    assert.equal(me.status, 401, 'the access token from before the reset is dead');
    assertProblem(
      await harness.post('/auth/refresh', { refreshToken: before.refreshToken }),
      401,
      'REFRESH_TOKEN_INVALID',
    );

    await harness.login(email, NEW_PASSWORD);
    assertProblem(
      await harness.post('/auth/login', { email, password: GOOD_PASSWORD }),
      401,
      'LOGIN_BAD_CREDENTIALS',
    );

    // The owner is told the password changed.
    const done = await mailTo(mark, email, /password was changed/);
    assert.ok(done.text.length > 0 && done.html.length > 0);
  });

  test('change-email - should confirm through the link mailed to the new address and notify the old one', async () => {
    const oldEmail = uniqueAddress('old');
    const newEmail = uniqueAddress('new');
    await harness.auth.api.users.create({ email: oldEmail, password: GOOD_PASSWORD, emailVerified: true });
    const user = await harness.login(oldEmail);

    const mark = smtp.received.length;
    const change = await harness.post(
      '/users/me/change-email',
      { newEmail, currentPassword: GOOD_PASSWORD },
      { token: user.accessToken },
    );
    assert.equal(change.status, 202, change.text);

    const confirmation = await mailTo(mark, newEmail, /^Confirm your new email/);
    assert.deepEqual(confirmation.received.rcptTo, [newEmail]);
    const notice = await mailTo(mark, oldEmail, /email is about to change/);
    assert.deepEqual(notice.received.rcptTo, [oldEmail]);
    assert.ok(!/token=/.test(notice.text), 'the notice to the old address carries no confirmation token');

    const { link, token } = linkIn(confirmation, '/confirm-email');
    assertWellFormed(confirmation, link);
    const confirmed = await harness.post('/auth/confirm-email', { token });
    assert.equal(confirmed.status, 200, confirmed.text);
    assert.equal(confirmed.body.user.email, newEmail);

    await harness.login(newEmail);
    assertProblem(
      await harness.post('/auth/login', { email: oldEmail, password: GOOD_PASSWORD }),
      401,
      'LOGIN_BAD_CREDENTIALS',
    );
  });

  test('host-header poisoning - should build reset links from the configured base URL only', async () => {
    const email = uniqueAddress('poison');
    await harness.auth.api.users.create({ email, password: GOOD_PASSWORD, emailVerified: true });

    const mark = smtp.received.length;
    const forgot = await harness.post(
      '/auth/forgot-password',
      { email },
      {
        headers: {
          Host: 'evil.example',
          'X-Forwarded-Host': 'evil.example',
          'X-Forwarded-Proto': 'http',
          Forwarded: 'host=evil.example;proto=http',
        },
      },
    );
    assert.equal(forgot.status, 202, forgot.text);

    const mail = await mailTo(mark, email, /^Reset your/);
    const { link } = linkIn(mail, '/reset-password');
    assert.ok(link.startsWith(`${HARNESS_BASE_URL}/`), 'the link starts with the configured base URL');
    assert.ok(
      !mail.received.raw.includes('evil.example'),
      'the attacker host appears nowhere in the message',
    );
    assertWellFormed(mail, link);
  });

  test('look-alike addresses - should mail only the stored address and never a look-alike domain', async () => {
    const stored = 'anna@example.com';
    await harness.auth.api.users.create({ email: stored, password: GOOD_PASSWORD, emailVerified: true });
    const mark = smtp.received.length;

    // Case and surrounding space, then the fullwidth form that NFKC folds to the same address.
    for (const variant of ['Anna@Example.com ', 'ａｎｎａ@example.com']) {
      const from = smtp.received.length;
      const forgot = await harness.post('/auth/forgot-password', { email: variant });
      assert.equal(forgot.status, 202, forgot.text);
      const mail = await mailTo(from, stored, /^Reset your/);
      assert.deepEqual(mail.received.rcptTo, [stored], 'the envelope names exactly the stored address');
      assert.ok(
        mail.to === stored || mail.to.endsWith(`<${stored}>`),
        'the To header names exactly the stored address',
      );
      assertWellFormed(mail, linkIn(mail, '/reset-password').link);
    }

    // A different domain (capital I for l) is another address: it must get nothing.
    const lookAlike = await harness.post('/auth/forgot-password', { email: 'anna@exampIe.com' });
    assert.equal(lookAlike.status, 202, lookAlike.text);
    // A later request for a control account bounds the wait: once its mail is in, give stragglers
    // a short grace before checking that nothing else arrived.
    const control = uniqueAddress('control');
    await harness.auth.api.users.create({ email: control, password: GOOD_PASSWORD, emailVerified: true });
    const controlMark = smtp.received.length;
    await harness.post('/auth/forgot-password', { email: control });
    await mailTo(controlMark, control, /^Reset your/);
    await new Promise((resolve) => setTimeout(resolve, 150));

    const sinceMark = smtp.received.slice(mark).map(parse);
    const toAnna = sinceMark.filter((m) => !m.received.rcptTo.includes(control));
    assert.equal(toAnna.length, 2, 'exactly the two folded variants produced mail');
    for (const mail of sinceMark) {
      for (const rcpt of mail.received.rcptTo) {
        assert.equal(
          rcpt,
          rcpt.normalize('NFKC').trim().toLowerCase(),
          'the envelope holds only normalised forms',
        );
        assert.ok(!rcpt.toLowerCase().includes('exampie.com'), 'the look-alike domain never receives mail');
      }
      assert.ok(!/exampIe/i.test(mail.to), 'no To header names the look-alike domain');
    }
    assert.ok(
      smtp.received.every((m) => !m.rcptTo.some((r) => /exampie\.com$/i.test(r) || r !== r.toLowerCase())),
      'no message ever went to the look-alike or to a non-normalised address',
    );
  });

  test('every message - should carry a text and an HTML part, with any link also in an href', () => {
    assert.ok(smtp.received.length >= 8, 'the flows above produced mail');
    for (const received of smtp.received) {
      const mail = parse(received);
      const leaves = mail.entity.parts.length === 0 ? [mail.entity] : mail.entity.parts;
      assert.ok(mail.entity.contentType.startsWith('multipart/'), 'the message is multipart');
      assert.ok(
        leaves.some((p) => p.contentType === 'text/plain' && p.body.length > 0),
        'non-empty text part',
      );
      assert.ok(
        leaves.some((p) => p.contentType === 'text/html' && p.body.length > 0),
        'non-empty HTML part',
      );
      const link = /https?:\/\/\S+\?token=[^\s&]+/.exec(mail.text)?.[0];
      if (link) assertWellFormed(mail, link);
    }
  });
});
