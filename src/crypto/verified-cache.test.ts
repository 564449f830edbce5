import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createVerifiedCache } from './verified-cache.ts';

describe('createVerifiedCache', () => {
  it('should hold at most its capacity, dropping the least recently used entry', () => {
    const cache = createVerifiedCache<string>(2);
    const a = cache.get('token-a');
    cache.set(a.key, 'A');
    const b = cache.get('token-b');
    cache.set(b.key, 'B');
    assert.equal(cache.get('token-a').value, 'A'); // a is now the most recently used
    const c = cache.get('token-c');
    cache.set(c.key, 'C');
    assert.equal(cache.size, 2);
    assert.equal(cache.get('token-b').value, undefined);
    assert.equal(cache.get('token-a').value, 'A');
    assert.equal(cache.get('token-c').value, 'C');
  });

  it('should never match a different string, even one that folds to the same Latin-1 bytes', () => {
    const cache = createVerifiedCache<string>(10);
    const hit = cache.get('abc.def.ghi');
    cache.set(hit.key, 'verified');
    assert.equal(cache.get('abc.def.ghi').value, 'verified');
    assert.equal(cache.get('abc.def.gh\u0169').value, undefined); // U+0169 & 0xff === 'i'
    assert.equal(cache.get('abc.def.gh').value, undefined);
  });

  it('should store nothing with capacity 0', () => {
    const cache = createVerifiedCache<string>(0);
    cache.set(cache.get('t').key, 'x');
    assert.equal(cache.size, 0);
  });
});
