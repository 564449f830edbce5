import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { newId } from './ids.ts';
import { newOpaqueToken, parseOpaqueToken } from './opaque-token.ts';

describe('opaque tokens', () => {
  it('newOpaqueToken - should join the id and a 256-bit base64url secret with a dot', () => {
    const id = newId();
    const made = newOpaqueToken(id);
    assert.equal(made.id, id);
    assert.equal(made.token, `${id}.${made.secret}`);
    assert.match(made.secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(made.secret, 'base64url').length, 32);
    assert.ok(Object.isFrozen(made));
  });

  it('newOpaqueToken - should never repeat a secret', () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => newOpaqueToken('s').secret));
    assert.equal(secrets.size, 1000);
  });

  it('newOpaqueToken - should refuse ids that could not be parsed back', () => {
    for (const id of ['', 'a.b', 'a b', 'x'.repeat(129), 'é', undefined]) {
      assert.throws(() => newOpaqueToken(id as string), TypeError);
    }
  });

  it('parseOpaqueToken - should return the id and secret of a token it made', () => {
    const made = newOpaqueToken(newId());
    assert.deepEqual(parseOpaqueToken(made.token), { id: made.id, secret: made.secret });
  });

  it('parseOpaqueToken - should return null, never throw, for anything of another shape', () => {
    const { id, secret } = newOpaqueToken('abc');
    const bad: unknown[] = [
      '',
      '.',
      id,
      secret,
      `.${secret}`,
      `${id}.`,
      `${id}.${secret}.x`,
      `${id}..${secret}`,
      `${id}.${secret.slice(1)}`,
      `${id}.${secret}A`,
      `${id}.${secret.slice(0, -1)}B`, // non-canonical last character (stray low bits)
      `${id}.${secret.slice(0, -1)}=`,
      `${id}.${secret.replace(/[A-Za-z0-9]/, '+')}`,
      `${id} .${secret}`,
      ` ${id}.${secret}`,
      `${id}.${secret}\n`,
      `${'a'.repeat(200)}.${secret}`,
      `${'a'.repeat(10_000)}.${secret}`,
      null,
      undefined,
      42,
      { toString: () => `${id}.${secret}` },
    ];
    for (const token of bad)
      assert.equal(parseOpaqueToken(token as string), null, String(token).slice(0, 40));
  });
});
