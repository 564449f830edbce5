import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MailMessage } from './contract.ts';
import { checkFrom, checkMessage } from './message.ts';

const valid: MailMessage = { to: 'bob@example.test', subject: 'Hello', text: 'Body' };

describe('checkMessage', () => {
  test('checkMessage - should accept a plain message, an HTML part, custom headers and non-ASCII addresses', () => {
    checkMessage(valid);
    checkMessage({ ...valid, html: '<p>Body</p>', headers: { 'Auto-Submitted': 'auto-generated' } });
    checkMessage({ ...valid, to: 'josé@exämple.test' });
  });

  test('header injection - should refuse anything but one bare recipient address', () => {
    const recipients = [
      'bob@example.test, eve@attacker.test',
      'bob@example.test;eve@attacker.test',
      'Bob <bob@example.test>',
      'bob@example.test\r\nBcc: eve@attacker.test',
      'bob@example.test\nBcc: eve@attacker.test',
      ' bob@example.test',
      'bob',
      '@example.test',
      'bob@',
      `${'a'.repeat(250)}@example.test`,
    ];
    for (const to of recipients) {
      assert.throws(() => checkMessage({ ...valid, to }), TypeError, `should refuse ${JSON.stringify(to)}`);
    }
  });

  test('header injection - should refuse line breaks in the subject and in header values', () => {
    assert.throws(() => checkMessage({ ...valid, subject: 'Hi\r\nBcc: eve@attacker.test' }), TypeError);
    assert.throws(() => checkMessage({ ...valid, subject: 'Hi\nthere' }), TypeError);
    assert.throws(
      () => checkMessage({ ...valid, headers: { 'X-Note': 'a\r\nBcc: eve@attacker.test' } }),
      TypeError,
    );
  });

  test('header injection - should refuse headers that change recipients, sender or MIME structure', () => {
    for (const name of [
      'Bcc',
      'cc',
      'TO',
      'From',
      'Sender',
      'Reply-To',
      'Subject',
      'Content-Type',
      'MIME-Version',
    ]) {
      assert.throws(
        () => checkMessage({ ...valid, headers: { [name]: 'x' } }),
        TypeError,
        `should refuse ${name}`,
      );
    }
    for (const name of ['X Note', 'X:Note', '', 'Ñame']) {
      assert.throws(
        () => checkMessage({ ...valid, headers: { [name]: 'x' } }),
        TypeError,
        'invalid field name',
      );
    }
  });

  test('checkMessage - should not echo the offending value in the error', () => {
    try {
      checkMessage({ ...valid, to: 'secret.person@example.test, eve@attacker.test' });
      assert.fail('expected a TypeError');
    } catch (error) {
      assert.ok(error instanceof TypeError);
      assert.equal(error.message.includes('secret.person'), false);
      assert.equal((error as TypeError & { code?: string }).code, 'ERR_INVALID_ARG_VALUE');
    }
  });
});

describe('checkFrom', () => {
  test('checkFrom - should accept a bare address or one with a display name', () => {
    assert.equal(checkFrom('no-reply@example.test'), 'no-reply@example.test');
    assert.equal(checkFrom('Example App <no-reply@example.test>'), 'Example App <no-reply@example.test>');
  });

  test('checkFrom - should refuse lists, names without address and line breaks', () => {
    for (const from of [
      '',
      'Example',
      'a@example.test, b@example.test',
      'a@example.test\r\nBcc: x@y.test',
      42,
    ]) {
      assert.throws(() => checkFrom(from), TypeError);
    }
  });
});
