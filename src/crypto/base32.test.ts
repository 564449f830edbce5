import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { base32Decode, base32Encode } from './base32.ts';

/** RFC 4648 section 10, BASE32 rows. */
const RFC4648 = [
  ['', ''],
  ['f', 'MY======'],
  ['fo', 'MZXQ===='],
  ['foo', 'MZXW6==='],
  ['foob', 'MZXW6YQ='],
  ['fooba', 'MZXW6YTB'],
  ['foobar', 'MZXW6YTBOI======'],
] as const;

const unpadded = (text: string): string => text.replace(/=+$/, '');

describe('base32Encode', () => {
  it('should give the RFC 4648 test vectors without padding', () => {
    for (const [plain, encoded] of RFC4648) assert.equal(base32Encode(Buffer.from(plain)), unpadded(encoded));
  });

  it('should write only upper-case RFC 4648 alphabet characters', () => {
    assert.match(base32Encode(randomBytes(200)), /^[A-Z2-7]+$/);
    assert.equal(base32Encode(new Uint8Array(5).fill(0xff)), '77777777');
    assert.equal(base32Encode(new Uint8Array(5)), 'AAAAAAAA');
  });

  it('should refuse anything that is not a Uint8Array', () => {
    for (const bad of ['foo', null, undefined, [1, 2], new ArrayBuffer(2)])
      assert.throws(() => base32Encode(bad as unknown as Uint8Array), TypeError);
  });
});

describe('base32Decode', () => {
  it('should decode the RFC 4648 test vectors, padded and unpadded', () => {
    for (const [plain, encoded] of RFC4648) {
      assert.equal(base32Decode(encoded).toString('latin1'), plain, encoded);
      assert.equal(base32Decode(unpadded(encoded)).toString('latin1'), plain, encoded);
    }
  });

  it('should round-trip random byte strings of every length from 0 to 70', () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = randomBytes(length);
      const decoded = base32Decode(base32Encode(bytes));
      assert.ok(Buffer.isBuffer(decoded));
      assert.deepEqual(decoded, bytes, `length ${length}`);
    }
  });

  it('should accept lower case and spaces, as people type and copy secrets', () => {
    assert.equal(base32Decode('mzxw6ytboi').toString(), 'foobar');
    assert.equal(base32Decode('MzXw 6YtB oI== ====').toString(), 'foobar');
    assert.equal(base32Decode(' MZXW 6YTB ').toString(), 'fooba');
    assert.equal(base32Decode('   ').length, 0);
  });

  it('should refuse characters outside the alphabet (0, 1, 8, 9, punctuation, other whitespace, non-ASCII)', () => {
    for (const bad of [
      'MZXW6YT0',
      'MZXW6YT1',
      'MZXW6YT8',
      'MZXW6YT9',
      'MZXW-6YTB',
      'MZXW\t6YTB',
      'MZXW\n6YTB',
      'MZXW6YTß',
      'MZXW6YTＢ',
      'MZXW6YT\u0000',
    ])
      assert.throws(() => base32Decode(bad), { name: 'TypeError', message: /alphabet/ }, JSON.stringify(bad));
  });

  it('should refuse lengths no byte string encodes to', () => {
    for (const bad of ['M', 'MZX', 'MZXW6Y', 'MZXW6YTBO'])
      assert.throws(() => base32Decode(bad), { name: 'TypeError', message: /length/ }, bad);
  });

  it('should refuse padding that is misplaced or does not match the length', () => {
    for (const bad of ['MY=', 'MY=====', 'MY=======', 'MZXW6YTB========', '=MY=====', 'MY==A===', '========'])
      assert.throws(() => base32Decode(bad), TypeError, bad);
  });

  it('should refuse non-zero bits after the last byte, so each byte string has one spelling', () => {
    assert.equal(base32Decode('MY').toString(), 'f');
    for (const bad of ['MZ', 'M7', 'MZXR', 'MZXW7', 'MZXW6YR'])
      assert.throws(() => base32Decode(bad), { name: 'TypeError', message: /non-zero bits/ }, bad);
  });

  it('should never repeat the input in its error message (the input is usually a secret)', () => {
    const secretLike = 'JBSWY3DPEHPK3PXP!';
    assert.throws(
      () => base32Decode(secretLike),
      (error: unknown) =>
        error instanceof TypeError && !error.message.includes('JBSWY3DP') && !error.message.includes('!'),
    );
  });

  it('should refuse non-strings with a TypeError', () => {
    for (const bad of [null, undefined, 42, Buffer.from('MY')])
      assert.throws(() => base32Decode(bad as unknown as string), TypeError);
  });
});
