import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import {
  createMailTransportFromUrl,
  createSmtpTransport,
  isMailError,
  MailError,
} from '../../src/mail/index.ts';
import { findFreePort } from '../fixtures/free-port.ts';
import {
  makeSelfSignedCertificate,
  parseMime,
  startTestSmtpServer,
  type TestCertificate,
  type TestSmtpServer,
  textAndHtml,
} from '../fixtures/mail.ts';

const FROM = 'Gatehouse <no-reply@example.test>';
const USER = 'mailer';
const PASSWORD = 's3cret p@ss/word';
const RECIPIENT = 'alice.recipient@example.test';

let certificate: TestCertificate;
let plain: TestSmtpServer;
let startTls: TestSmtpServer;
let implicitTls: TestSmtpServer;

before(async () => {
  certificate = await makeSelfSignedCertificate();
  const auth = { user: USER, pass: PASSWORD };
  [plain, startTls, implicitTls] = await Promise.all([
    startTestSmtpServer({ auth }),
    startTestSmtpServer({ auth, certificate }),
    startTestSmtpServer({ auth, certificate, secure: true }),
  ]);
});

after(async () => {
  await Promise.all([plain?.close(), startTls?.close(), implicitTls?.close()]);
});

/** Everything a leaked secret could hide in: message, stack, own properties, cause chain. */
function everythingIn(error: unknown): string {
  return `${String(error)}\n${inspect(error, { depth: 10, showHidden: true })}\n${JSON.stringify(error)}`;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail('expected the promise to reject');
}

describe('SMTP transport', () => {
  test('send - should deliver subject, text and HTML with the right envelope', async () => {
    const transport = createSmtpTransport({
      from: FROM,
      host: '127.0.0.1',
      port: plain.port,
      auth: { user: USER, pass: PASSWORD },
    });
    const before = plain.received.length;
    await transport.send({
      to: RECIPIENT,
      subject: 'Vérifiez votre adresse',
      text: 'Open this link:\nhttps://auth.example.test/verify?token=abc.def\n',
      html: '<p>Open <a href="https://auth.example.test/verify?token=abc.def">this link</a> — merci</p>',
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
    await transport.close?.();

    assert.equal(plain.received.length, before + 1);
    const mail = plain.received.at(-1)!;
    assert.equal(mail.mailFrom, 'no-reply@example.test');
    assert.deepEqual(mail.rcptTo, [RECIPIENT]);
    assert.equal(mail.user, USER);
    const message = parseMime(mail.raw);
    assert.equal(message.headers.get('subject'), 'Vérifiez votre adresse');
    assert.equal(message.headers.get('from'), FROM);
    assert.equal(message.headers.get('to'), RECIPIENT);
    assert.equal(message.headers.get('auto-submitted'), 'auto-generated');
    assert.equal(message.headers.has('x-mailer'), false, 'no X-Mailer advertising the library');
    assert.equal(message.contentType, 'multipart/alternative');
    assert.deepEqual(textAndHtml(message), {
      text: 'Open this link:\nhttps://auth.example.test/verify?token=abc.def\n',
      html: '<p>Open <a href="https://auth.example.test/verify?token=abc.def">this link</a> — merci</p>',
    });
  });

  test('send - should send a text-only message as a single text/plain part', async () => {
    const transport = createSmtpTransport({
      from: FROM,
      host: '127.0.0.1',
      port: plain.port,
      auth: { user: USER, pass: PASSWORD },
    });
    await transport.send({ to: RECIPIENT, subject: 'Plain', text: 'Only text' });
    const message = parseMime(plain.received.at(-1)!.raw);
    assert.equal(message.contentType, 'text/plain');
    assert.equal(message.body, 'Only text');
  });

  test('createMailTransportFromUrl - should deliver through smtp:// with percent-encoded credentials', async () => {
    const url = `smtp://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${plain.port}`;
    const transport = createMailTransportFromUrl(url, { from: FROM });
    assert.equal(transport.kind, 'smtp');
    const before = plain.received.length;
    await transport.send({ to: RECIPIENT, subject: 'From URL', text: 'hello' });
    await transport.close?.();
    assert.equal(plain.received.length, before + 1);
    assert.equal(plain.received.at(-1)!.user, USER);
  });

  test('credential leak - should reject a wrong password with a MailError naming neither password nor recipient', async () => {
    const wrongPassword = 'Wr0ng-Passw0rd-XYZ';
    const transport = createSmtpTransport({
      from: FROM,
      host: '127.0.0.1',
      port: plain.port,
      auth: { user: USER, pass: wrongPassword },
    });
    const before = plain.received.length;
    const error = await rejection(transport.send({ to: RECIPIENT, subject: 'x', text: 'token body 12345' }));
    assert.ok(isMailError(error), 'a MailError');
    assert.equal(error.kind, 'auth');
    assert.equal(error.retryable, false);
    assert.equal(error.reason, 'EAUTH');
    assert.equal(error.responseCode, 535);
    const text = everythingIn(error);
    for (const secret of [wrongPassword, RECIPIENT, 'token body 12345', 'Invalid username']) {
      assert.equal(
        text.includes(secret),
        false,
        'the error must not carry the password, recipient, body or reply',
      );
    }
    assert.equal(plain.received.length, before, 'nothing delivered');
  });

  test('verify - should resolve with valid credentials and reject with a MailError otherwise', async () => {
    const good = createSmtpTransport({
      from: FROM,
      host: '127.0.0.1',
      port: plain.port,
      auth: { user: USER, pass: PASSWORD },
    });
    await good.verify?.();
    const bad = createSmtpTransport({
      from: FROM,
      host: '127.0.0.1',
      port: plain.port,
      auth: { user: USER, pass: 'nope' },
    });
    const error = await rejection(bad.verify!());
    assert.ok(error instanceof MailError);
    assert.equal(error.kind, 'auth');
    assert.equal(everythingIn(error).includes('nope'), false);
  });

  test('send - should fail fast with a retryable MailError when the server is down', async () => {
    const port = await findFreePort();
    const transport = createSmtpTransport({ from: FROM, host: '127.0.0.1', port, connectionTimeoutMs: 1000 });
    const started = performance.now();
    const error = await rejection(transport.send({ to: RECIPIENT, subject: 'x', text: 'y' }));
    assert.ok(performance.now() - started < 2000, 'fails within the connection timeout');
    assert.ok(isMailError(error));
    assert.equal(error.kind, 'connection');
    assert.equal(error.retryable, true);
    assert.equal(error.reason, 'ECONNREFUSED');
    assert.equal(everythingIn(error).includes(RECIPIENT), false);
  });

  test('send - should honour greetingTimeoutMs when the server accepts but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => {
      sockets.add(socket);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const address = silent.address();
      assert.ok(address !== null && typeof address === 'object');
      const transport = createSmtpTransport({
        from: FROM,
        host: '127.0.0.1',
        port: address.port,
        greetingTimeoutMs: 300,
      });
      const started = performance.now();
      const error = await rejection(transport.send({ to: RECIPIENT, subject: 'x', text: 'y' }));
      const elapsed = performance.now() - started;
      assert.ok(
        elapsed >= 250 && elapsed < 2000,
        `timed out after the configured 300 ms (took ${elapsed} ms)`,
      );
      assert.ok(isMailError(error));
      assert.equal(error.kind, 'timeout');
      assert.equal(error.retryable, true);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  test('recipient leak - should report a refused recipient without echoing the server reply', async () => {
    const refused = 'refused.person@example.test';
    plain.refuseRecipients.add(refused);
    const transport = createSmtpTransport({
      from: FROM,
      host: '127.0.0.1',
      port: plain.port,
      auth: { user: USER, pass: PASSWORD },
    });
    const error = await rejection(transport.send({ to: refused, subject: 'x', text: 'y' }));
    assert.ok(isMailError(error));
    assert.equal(error.kind, 'rejected');
    assert.equal(error.responseCode, 550);
    assert.equal(error.retryable, false);
    const text = everythingIn(error);
    assert.equal(text.includes(refused), false, 'no recipient address');
    assert.equal(text.includes('Recipient address rejected'), false, 'no server reply text');
  });

  test('header injection - should refuse a recipient list or a multi-line subject before connecting', async () => {
    const transport = createSmtpTransport({ from: FROM, host: '127.0.0.1', port: plain.port });
    const connections = plain.connections();
    const list = await rejection(
      transport.send({ to: `${RECIPIENT}, evil@attacker.test`, subject: 'x', text: 'y' }),
    );
    assert.ok(list instanceof TypeError);
    assert.equal(list.message.includes('attacker'), false, 'the address is not echoed');
    const subject = await rejection(
      transport.send({ to: RECIPIENT, subject: 'Hi\r\nBcc: evil@attacker.test', text: 'y' }),
    );
    assert.ok(subject instanceof TypeError);
    assert.equal(plain.connections(), connections, 'no connection was opened');
  });

  test('pool - should deliver parallel messages over one reused connection', async () => {
    const transport = createSmtpTransport({
      from: FROM,
      host: '127.0.0.1',
      port: plain.port,
      auth: { user: USER, pass: PASSWORD },
      pool: { maxConnections: 1 },
    });
    const connections = plain.connections();
    const before = plain.received.length;
    await Promise.all(
      [1, 2, 3].map((n) => transport.send({ to: RECIPIENT, subject: `Pooled ${n}`, text: `message ${n}` })),
    );
    await transport.close?.();
    assert.equal(plain.received.length, before + 3);
    const subjects = plain.received.slice(before).map((mail) => parseMime(mail.raw).headers.get('subject'));
    assert.deepEqual(subjects.sort(), ['Pooled 1', 'Pooled 2', 'Pooled 3']);
    assert.equal(plain.connections() - connections, 1, 'one connection carried all three messages');
  });
});

describe('SMTP transport over TLS', () => {
  test('STARTTLS - should upgrade and deliver when requireTLS is set and the CA is trusted', async () => {
    const transport = createSmtpTransport({
      from: FROM,
      host: '127.0.0.1',
      port: startTls.port,
      requireTLS: true,
      auth: { user: USER, pass: PASSWORD },
      tls: { ca: certificate.cert },
    });
    await transport.send({ to: RECIPIENT, subject: 'Over STARTTLS', text: 'secret link' });
    const mail = startTls.received.at(-1)!;
    assert.equal(mail.secure, true, 'the message travelled over TLS');
    assert.equal(parseMime(mail.raw).headers.get('subject'), 'Over STARTTLS');
  });

  test('STARTTLS - should upgrade when the server offers it even without requireTLS', async () => {
    const url = `smtp://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${startTls.port}`;
    const transport = createMailTransportFromUrl(url, { from: FROM, tls: { ca: certificate.cert } });
    await transport.send({ to: RECIPIENT, subject: 'Opportunistic', text: 'secret link' });
    assert.equal(startTls.received.at(-1)!.secure, true);
  });

  test('STARTTLS stripping - should refuse to send in plaintext when requireTLS is set', async () => {
    const url = `smtp://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${plain.port}?requireTLS=true`;
    const transport = createMailTransportFromUrl(url, { from: FROM });
    const before = plain.received.length;
    const error = await rejection(transport.send({ to: RECIPIENT, subject: 'x', text: 'y' }));
    assert.ok(isMailError(error));
    assert.equal(error.kind, 'tls');
    assert.equal(plain.received.length, before, 'nothing was sent in plaintext');
    assert.equal(everythingIn(error).includes(PASSWORD), false);
  });

  test('server impersonation - should refuse a STARTTLS server whose certificate is not trusted', async () => {
    const before = startTls.received.length;
    for (const requireTLS of [true, false]) {
      const transport = createSmtpTransport({
        from: FROM,
        host: '127.0.0.1',
        port: startTls.port,
        requireTLS,
        auth: { user: USER, pass: PASSWORD },
      });
      const error = await rejection(transport.send({ to: RECIPIENT, subject: 'x', text: 'y' }));
      assert.ok(isMailError(error), `a MailError (requireTLS: ${requireTLS})`);
      assert.equal(error.kind, 'tls');
      assert.equal(error.retryable, false);
    }
    assert.equal(startTls.received.length, before, 'no fallback to plaintext');
  });

  test('smtps - should deliver over implicit TLS from a smtps:// URL', async () => {
    const url = `smtps://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${implicitTls.port}`;
    const transport = createMailTransportFromUrl(url, { from: FROM, tls: { ca: certificate.cert } });
    await transport.send({ to: RECIPIENT, subject: 'Implicit TLS', text: 'z', html: '<b>z</b>' });
    const mail = implicitTls.received.at(-1)!;
    assert.equal(mail.secure, true);
    assert.deepEqual(textAndHtml(parseMime(mail.raw)), { text: 'z', html: '<b>z</b>' });
  });

  test('server impersonation - should refuse an smtps server whose certificate is not trusted', async () => {
    const transport = createSmtpTransport({
      from: FROM,
      host: '127.0.0.1',
      port: implicitTls.port,
      secure: true,
      auth: { user: USER, pass: PASSWORD },
    });
    const error = await rejection(transport.send({ to: RECIPIENT, subject: 'x', text: 'y' }));
    assert.ok(isMailError(error));
    assert.equal(error.kind, 'tls');
  });
});

describe('SMTP transport options', () => {
  function collectWarnings(): { warnings: string[]; logger: { warn(message: string): void } } {
    const warnings: string[] = [];
    return { warnings, logger: { warn: (message: string) => warnings.push(message) } };
  }

  test('createSmtpTransport - should warn when a remote server may be reached without TLS', () => {
    const { warnings, logger } = collectWarnings();
    createSmtpTransport({ from: FROM, host: 'mail.example.test', logger });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /requireTLS/);
  });

  test('createSmtpTransport - should not warn for requireTLS, implicit TLS or a loopback relay', () => {
    const { warnings, logger } = collectWarnings();
    createSmtpTransport({ from: FROM, host: 'mail.example.test', requireTLS: true, logger });
    createSmtpTransport({ from: FROM, host: 'mail.example.test', secure: true, logger });
    createSmtpTransport({ from: FROM, host: '127.0.0.1', logger });
    createSmtpTransport({ from: FROM, url: 'smtp://localhost:25', logger });
    assert.deepEqual(warnings, []);
  });

  test('createSmtpTransport - should warn when certificate verification is turned off', () => {
    const { warnings, logger } = collectWarnings();
    createSmtpTransport({
      from: FROM,
      url: 'smtps://mail.example.test',
      tls: { rejectUnauthorized: false },
      logger,
    });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /rejectUnauthorized/);
  });

  test('createSmtpTransport - should reject contradictory or invalid options with a TypeError', () => {
    const cases: Record<string, unknown>[] = [
      { from: FROM },
      { from: FROM, url: 'smtp://a.test', host: 'b.test' },
      { from: FROM, host: 'a.test', secure: true, requireTLS: true },
      { from: FROM, host: 'a.test', port: 70_000 },
      { from: FROM, host: 'a.test', connectionTimeoutMs: 0 },
      { from: FROM, host: 'a.test', auth: { user: '', pass: 'x' } },
      { from: FROM, host: 'a.test', pool: { maxConnections: 0 } },
      { from: 'not an address', host: 'a.test' },
      { from: 'a@b.test, c@d.test', host: 'a.test' },
      { from: 'a@b.test\r\nBcc: c@d.test', host: 'a.test' },
    ];
    for (const options of cases) {
      assert.throws(
        () => createSmtpTransport(options as never),
        TypeError,
        `should refuse ${JSON.stringify(Object.keys(options))}`,
      );
    }
  });
});
