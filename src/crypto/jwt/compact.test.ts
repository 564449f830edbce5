import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeBase64Url, decodeJsonObject, MAX_TOKEN_LENGTH, splitCompact } from './compact.ts';

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64url');

describe('splitCompact', () => {
  it('should split exactly three segments and keep the signing input', () => {
    assert.deepEqual(splitCompact('aaa.bbb.ccc'), {
      headerSegment: 'aaa',
      payloadSegment: 'bbb',
      signatureSegment: 'ccc',
      signingInput: 'aaa.bbb',
    });
  });

  it('should return null for any other number of segments, an empty header, or an oversized token', () => {
    for (const token of ['', 'a', 'a.b', 'a.b.c.d', 'a.b.c.d.e', '.b.c', `${'a'.repeat(513)}.b.c`]) {
      assert.equal(splitCompact(token), null, token.slice(0, 20));
    }
    assert.equal(splitCompact(`a.b.${'c'.repeat(MAX_TOKEN_LENGTH)}`), null);
    assert.notEqual(splitCompact(`a.b.${'c'.repeat(MAX_TOKEN_LENGTH - 4)}`), null);
  });
});

describe('decodeBase64Url', () => {
  it('should decode canonical unpadded base64url', () => {
    assert.deepEqual(decodeBase64Url('QQ'), Buffer.from('A'));
    assert.deepEqual(decodeBase64Url('QUI'), Buffer.from('AB'));
    assert.deepEqual(decodeBase64Url('QUJD'), Buffer.from('ABC'));
    assert.deepEqual(decodeBase64Url('-_8'), Buffer.from([0xfb, 0xff]));
  });

  it('should return null for padding, the standard alphabet, whitespace, stray bits and impossible lengths', () => {
    for (const text of [
      '',
      'QQ==',
      'QQ=',
      '+/8',
      'Q Q',
      'QQ\n',
      'QR',
      'QUJ',
      'Q',
      'QUJDR',
      'QUJD.',
      'Q\u00c9',
    ]) {
      assert.equal(decodeBase64Url(text), null, JSON.stringify(text));
    }
  });
});

describe('decodeJsonObject', () => {
  it('should decode a JSON object', () => {
    assert.deepEqual(decodeJsonObject(b64('{"alg":"HS256"}')), { alg: 'HS256' });
  });

  it('should return null for non-objects, invalid JSON, invalid UTF-8 and a byte order mark', () => {
    for (const segment of [
      b64('[]'),
      b64('null'),
      b64('"x"'),
      b64('42'),
      b64('{"alg":'),
      b64('{"a":1}x'),
      b64(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])),
      b64('\ufeff{"alg":"HS256"}'),
      'not base64url!',
    ]) {
      assert.equal(decodeJsonObject(segment), null, segment);
    }
  });
});
