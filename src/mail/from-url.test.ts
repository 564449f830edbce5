import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { inspect } from 'node:util';
import { createMailTransportFromUrl } from './from-url.ts';
import { parseMailUrl } from './url.ts';

const FROM = 'Gatehouse <no-reply@example.test>';
const PASSWORD = 'hunter2-Secret';

let root: string;
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-mail-url-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('parseMailUrl', () => {
  test('parseMailUrl - should read console', () => {
    assert.deepEqual(parseMailUrl('console'), { scheme: 'console' });
    assert.deepEqual(parseMailUrl(' console '), { scheme: 'console' });
  });

  test('parseMailUrl - should read an absolute file URL', () => {
    assert.deepEqual(parseMailUrl('file:///var/spool/gatehouse/'), {
      scheme: 'file',
      directory: '/var/spool/gatehouse',
    });
    assert.deepEqual(parseMailUrl('file://localhost/tmp/mail%20out'), {
      scheme: 'file',
      directory: '/tmp/mail out',
    });
  });

  test('parseMailUrl - should read smtp:// with default port 587 and opportunistic STARTTLS', () => {
    assert.deepEqual(parseMailUrl('smtp://mail.example.test'), {
      scheme: 'smtp',
      host: 'mail.example.test',
      port: 587,
      secure: false,
      requireTLS: false,
      pool: false,
      auth: undefined,
    });
  });

  test('parseMailUrl - should read smtps:// with default port 465 and implicit TLS', () => {
    const settings = parseMailUrl('smtps://mail.example.test');
    assert.equal(settings.scheme, 'smtp');
    assert.equal(settings.scheme === 'smtp' && settings.port, 465);
    assert.equal(settings.scheme === 'smtp' && settings.secure, true);
  });

  test('parseMailUrl - should percent-decode credentials and read port and flags', () => {
    assert.deepEqual(parseMailUrl('smtp://us%40er:p%40ss%3Aw%2Fd@[::1]:2525?requireTLS=true&pool=true'), {
      scheme: 'smtp',
      host: '::1',
      port: 2525,
      secure: false,
      requireTLS: true,
      pool: true,
      auth: { user: 'us@er', pass: 'p@ss:w/d' },
    });
  });

  test('parseMailUrl - should refuse unusable URLs with a TypeError', () => {
    const cases = [
      '',
      'not a url',
      'ftp://mail.example.test',
      'http://mail.example.test',
      'file:relative/dir',
      'file:./relative',
      'file://otherhost/dir',
      'file:///',
      'file:///var/mail?x=1',
      'smtp://',
      'smtp://mail.example.test/path',
      'smtp://mail.example.test#fragment',
      'smtp://mail.example.test:0',
      'smtp://mail.example.test?requireTLS=yes',
      'smtp://mail.example.test?tls.rejectUnauthorized=false',
      'smtps://mail.example.test?requireTLS=true',
      'smtp://useronly@mail.example.test',
      'smtp://:passonly@mail.example.test',
    ];
    for (const url of cases) {
      assert.throws(() => parseMailUrl(url), TypeError, `should refuse ${JSON.stringify(url)}`);
    }
  });

  test('credential leak - should never echo the password of an invalid URL', () => {
    const cases = [
      `smtp://user:${PASSWORD}@mail.example.test/path`,
      `smtp://user:${PASSWORD}@mail.example.test?bogus=1`,
      `smtp://user:${PASSWORD}@mail.example.test:99999`,
      `smtp://user:${PASSWORD}@mail.example.test?requireTLS=maybe`,
      `smtps://user:${PASSWORD}@mail.example.test?requireTLS=true`,
      `user:${PASSWORD}@mail.example.test`,
      `smtp://user:${PASSWORD}%ZZ@mail.example.test`,
      `sftp://user:${PASSWORD}@mail.example.test`,
      `smtp://user:${PASSWORD}@`,
    ];
    for (const url of cases) {
      let error: unknown;
      try {
        parseMailUrl(url);
      } catch (caught) {
        error = caught;
      }
      assert.ok(error instanceof TypeError, `should refuse ${url.replace(PASSWORD, '***')}`);
      assert.match(error.message, /^Invalid mail URL: /);
      const everything = `${inspect(error, { depth: 10, showHidden: true })}${JSON.stringify(error)}`;
      assert.equal(everything.includes(PASSWORD), false, 'the password is not in the error');
      assert.equal(everything.includes('mail.example.test'), false, 'the URL is not in the error');
    }
  });
});

describe('createMailTransportFromUrl', () => {
  test('createMailTransportFromUrl - should build a console transport and warn that it is for development', async () => {
    const warnings: string[] = [];
    const output: string[] = [];
    const transport = createMailTransportFromUrl('console', {
      from: FROM,
      logger: { warn: (message) => warnings.push(message) },
      consoleOutput: (text) => output.push(text),
    });
    assert.equal(transport.kind, 'console');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /development only/);
    await transport.send({ to: 'bob@example.test', subject: 'Hi', text: 'link' });
    assert.equal(output.length, 1);
  });

  test('createMailTransportFromUrl - should build a file transport writing into the URL folder', async () => {
    const directory = join(root, 'outbox');
    const transport = createMailTransportFromUrl(pathToFileURL(directory).href, { from: FROM });
    assert.equal(transport.kind, 'file');
    await transport.send({ to: 'bob@example.test', subject: 'Hi', text: 'link' });
    const names = await readdir(directory);
    assert.equal(names.length, 1);
    assert.match(names[0]!, /\.eml$/);
  });

  test('createMailTransportFromUrl - should build an SMTP transport and pass the logger on', () => {
    const warnings: string[] = [];
    const transport = createMailTransportFromUrl('smtp://user:pass@mail.example.test', {
      from: FROM,
      logger: { warn: (message) => warnings.push(message) },
    });
    assert.equal(transport.kind, 'smtp');
    assert.equal(warnings.length, 1, 'warns that TLS is not required');
    createMailTransportFromUrl('smtp://user:pass@mail.example.test?requireTLS=true', {
      from: FROM,
      logger: { warn: (message) => warnings.push(message) },
    });
    assert.equal(warnings.length, 1, 'no warning once TLS is required');
  });

  test('createMailTransportFromUrl - should refuse an invalid sender', () => {
    assert.throws(() => createMailTransportFromUrl('console', { from: 'nobody' }), TypeError);
  });
});
