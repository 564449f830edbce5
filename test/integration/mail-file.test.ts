import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspect } from 'node:util';
import { createFileTransport, isMailError } from '../../src/mail/index.ts';
import { parseMime, textAndHtml } from '../fixtures/mail.ts';

const FROM = 'Gatehouse <no-reply@example.test>';
const RECIPIENT = 'bob.recipient@example.test';
const NAME_PATTERN = /^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{16}\.eml$/;

let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-mail-file-'));
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

let counter = 0;
function freshDirectory(): string {
  counter += 1;
  return join(root, `case-${counter}`, 'outbox');
}

describe('file transport', () => {
  test('send - should write one parseable .eml with text and HTML parts', async () => {
    const directory = freshDirectory();
    const transport = createFileTransport({ directory, from: FROM });
    assert.equal(transport.kind, 'file');
    await transport.send({
      to: RECIPIENT,
      subject: 'Réinitialisez votre mot de passe',
      text: 'Reset: https://auth.example.test/reset?token=a.b\n',
      html: '<p><a href="https://auth.example.test/reset?token=a.b">Reset</a></p>',
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
    const names = await readdir(directory);
    assert.equal(names.length, 1);
    assert.match(names[0]!, NAME_PATTERN);
    const message = parseMime(await readFile(join(directory, names[0]!), 'utf8'));
    assert.equal(message.headers.get('from'), FROM);
    assert.equal(message.headers.get('to'), RECIPIENT);
    assert.equal(message.headers.get('subject'), 'Réinitialisez votre mot de passe');
    assert.equal(message.headers.get('auto-submitted'), 'auto-generated');
    assert.equal(message.headers.get('mime-version'), '1.0');
    assert.ok(message.headers.get('message-id'), 'has a Message-ID');
    assert.ok(message.headers.get('date'), 'has a Date');
    assert.equal(message.contentType, 'multipart/alternative');
    assert.deepEqual(textAndHtml(message), {
      text: 'Reset: https://auth.example.test/reset?token=a.b\n',
      html: '<p><a href="https://auth.example.test/reset?token=a.b">Reset</a></p>',
    });
  });

  test('token exposure - should create the folder with mode 0700 and each file with mode 0600', async () => {
    const directory = freshDirectory();
    const previousUmask = process.umask(0o000); // the most permissive umask must not widen modes
    try {
      await createFileTransport({ directory, from: FROM }).send({ to: RECIPIENT, subject: 's', text: 't' });
    } finally {
      process.umask(previousUmask);
    }
    assert.equal((await stat(directory)).mode & 0o777, 0o700);
    const [name] = await readdir(directory);
    assert.equal((await stat(join(directory, name!))).mode & 0o777, 0o600);
  });

  test('send - should name files so that they sort in sending order', async () => {
    const directory = freshDirectory();
    const transport = createFileTransport({ directory, from: FROM });
    for (const n of [1, 2, 3]) {
      await transport.send({ to: RECIPIENT, subject: `Message ${n}`, text: 't' });
      await new Promise((resolve) => setTimeout(resolve, 3));
    }
    const names = (await readdir(directory)).sort();
    const subjects = await Promise.all(
      names.map(async (name) =>
        parseMime(await readFile(join(directory, name), 'utf8')).headers.get('subject'),
      ),
    );
    assert.deepEqual(subjects, ['Message 1', 'Message 2', 'Message 3']);
  });

  test('send - should give parallel messages unique names and leave no temporary files', async () => {
    const directory = freshDirectory();
    const transport = createFileTransport({ directory, from: FROM });
    const count = 40;
    await Promise.all(
      Array.from({ length: count }, (_, n) =>
        transport.send({ to: RECIPIENT, subject: `Parallel ${n}`, text: 't' }),
      ),
    );
    const names = await readdir(directory);
    assert.equal(names.length, count, 'one file per message, none overwritten, no leftovers');
    assert.ok(names.every((name) => NAME_PATTERN.test(name)));
    const subjects = await Promise.all(
      names.map(async (name) =>
        parseMime(await readFile(join(directory, name), 'utf8')).headers.get('subject'),
      ),
    );
    assert.equal(new Set(subjects).size, count);
  });

  test('partial read - should never expose a half-written .eml to a reader polling the folder', async () => {
    const directory = freshDirectory();
    const transport = createFileTransport({ directory, from: FROM });
    // ~2.6 MB per message, so the file is written in several chunks (a non-atomic writer would
    // expose the gaps); no final line break (a single-part body's last CRLF is ambiguous).
    const text = `${`${'0123456789abcdef'.repeat(4)}\n`.repeat(40_000)}end`;
    let sending = true;
    const checked = new Set<string>();
    const reader = (async () => {
      while (sending) {
        const names = await readdir(directory).catch(() => [] as string[]);
        for (const name of names.filter((n) => n.endsWith('.eml') && !checked.has(n))) {
          const body = textAndHtml(parseMime(await readFile(join(directory, name), 'utf8'))).text;
          assert.ok(body === text, 'a visible .eml is always complete');
          checked.add(name);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    try {
      await Promise.all(
        Array.from({ length: 5 }, (_, n) => transport.send({ to: RECIPIENT, subject: `Big ${n}`, text })),
      );
    } finally {
      sending = false;
      await reader;
    }
    assert.ok(checked.size > 0, 'the reader saw finished files');
    assert.equal((await readdir(directory)).filter((n) => !n.endsWith('.eml')).length, 0);
  });

  test('send - should reject with a MailError that does not name the recipient when it cannot write', async () => {
    const blocker = join(root, 'not-a-directory');
    await writeFile(blocker, 'x');
    const transport = createFileTransport({ directory: join(blocker, 'outbox'), from: FROM });
    let error: unknown;
    try {
      await transport.send({ to: RECIPIENT, subject: 's', text: 'secret token' });
    } catch (caught) {
      error = caught;
    }
    assert.ok(isMailError(error));
    assert.equal(error.kind, 'write');
    assert.equal(error.reason, 'ENOTDIR');
    const everything = inspect(error, { depth: 10, showHidden: true });
    assert.equal(everything.includes(RECIPIENT), false);
    assert.equal(everything.includes('secret token'), false);
  });

  test('verify - should create the folder and resolve when it is writable', async () => {
    const directory = freshDirectory();
    await createFileTransport({ directory, from: FROM }).verify?.();
    assert.ok((await stat(directory)).isDirectory());
  });

  test('createFileTransport - should refuse a relative directory', () => {
    for (const directory of ['mail', './mail', '../mail', '']) {
      assert.throws(() => createFileTransport({ directory, from: FROM }), TypeError);
    }
  });
});
