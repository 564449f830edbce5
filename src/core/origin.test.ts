import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseOrigin } from './origin.ts';

describe('parseOrigin', () => {
  it('parseOrigin - should normalise case, a trailing slash and the default port', () => {
    assert.equal(parseOrigin('https://App.Example.com'), 'https://app.example.com');
    assert.equal(parseOrigin('https://app.example.com/'), 'https://app.example.com');
    assert.equal(parseOrigin('https://app.example.com:443'), 'https://app.example.com');
    assert.equal(parseOrigin('http://127.0.0.1:8080'), 'http://127.0.0.1:8080');
  });

  it('parseOrigin - should refuse anything that is not exactly an http(s) origin', () => {
    for (const value of [
      '*',
      'https://*.example.com',
      'https://app.example.com/path',
      'https://app.example.com?x',
      'https://app.example.com#x',
      'https://user:pass@app.example.com',
      'ftp://app.example.com',
      'javascript:alert(1)',
      'app.example.com',
      'https:\\\\app.example.com',
      '',
    ]) {
      assert.equal(parseOrigin(value), null, value);
    }
  });
});
