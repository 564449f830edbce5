import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, test } from 'node:test';
import { createConsoleTransport } from './console.ts';
import { MailError } from './contract.ts';

const FROM = 'Gatehouse <no-reply@example.test>';

describe('console transport', () => {
  test('send - should print sender, recipient, subject, headers and text, and mention the HTML part', async () => {
    const output: string[] = [];
    const transport = createConsoleTransport({ from: FROM, output: (text) => output.push(text) });
    assert.equal(transport.kind, 'console');
    await transport.send({
      to: 'bob@example.test',
      subject: 'Verify your address',
      text: 'Open https://auth.example.test/verify?token=abc\r\n',
      html: '<p>Open</p>',
      headers: { 'Auto-Submitted': 'auto-generated' },
    });
    assert.equal(output.length, 1);
    const printed = output[0]!;
    assert.match(printed, /development only/);
    assert.match(printed, /^From: Gatehouse <no-reply@example\.test>$/m);
    assert.match(printed, /^To: bob@example\.test$/m);
    assert.match(printed, /^Subject: Verify your address$/m);
    assert.match(printed, /^Auto-Submitted: auto-generated$/m);
    assert.match(printed, /^Open https:\/\/auth\.example\.test\/verify\?token=abc$/m);
    assert.match(printed, /HTML alternative: 11 characters/);
    assert.equal(printed.includes('\r'), false, 'line breaks are normalised for terminals');
  });

  test('send - should write to a stream', async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        chunks.push(chunk.toString());
        callback();
      },
    });
    await createConsoleTransport({ from: FROM, output: stream }).send({
      to: 'bob@example.test',
      subject: 'S',
      text: 'T',
    });
    assert.match(chunks.join(''), /^Subject: S$/m);
  });

  test('send - should reject with a MailError when the output throws', async () => {
    const transport = createConsoleTransport({
      from: FROM,
      output: () => {
        throw new Error('closed');
      },
    });
    await assert.rejects(transport.send({ to: 'bob@example.test', subject: 'S', text: 'T' }), (error) => {
      assert.ok(error instanceof MailError);
      assert.equal(error.kind, 'write');
      return true;
    });
  });

  test('send - should refuse an invalid message before printing anything', async () => {
    const output: string[] = [];
    const transport = createConsoleTransport({ from: FROM, output: (text) => output.push(text) });
    await assert.rejects(
      transport.send({ to: 'Bob <bob@example.test>', subject: 'S', text: 'T' }),
      TypeError,
    );
    assert.deepEqual(output, []);
  });
});
