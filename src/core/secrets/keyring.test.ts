import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateSecret } from '../../crypto/random.ts';
import { createKeyring } from './keyring.ts';

const mac = (key: import('node:crypto').KeyObject, data: string) =>
  createHmac('sha256', key).update(data).digest('hex');

/** HKDF-SHA-256 written out from RFC 5869 with plain HMAC, as an independent reference. */
function referenceHkdf(ikm: string, salt: string, info: string): Buffer {
  const prk = createHmac('sha256', salt).update(ikm).digest();
  const t1 = createHmac('sha256', prk)
    .update(Buffer.concat([Buffer.from(info), Buffer.from([1])]))
    .digest();
  return t1; // 32 bytes = one block
}

describe('createKeyring', () => {
  const a = { id: 'a', secret: generateSecret() };
  const b = { id: 'b', secret: generateSecret() };

  it('active - should derive from the first secret and match an independent HKDF computation', () => {
    const ring = createKeyring([a, b]);
    const key = ring.active('digest');
    assert.equal(key.id, 'a');
    const expected = referenceHkdf(a.secret, 'gatehouse/hkdf/v1', 'gatehouse:digest');
    assert.deepEqual(key.key.export(), expected);
  });

  it('active - should give independent keys per purpose and per secret', () => {
    const ring = createKeyring([a, b]);
    const values = new Set([
      mac(ring.active('digest').key, 'x'),
      mac(ring.active('access-token').key, 'x'),
      mac(ring.byId('digest', 'b')!.key, 'x'),
      mac(ring.byId('access-token', 'b')!.key, 'x'),
    ]);
    assert.equal(values.size, 4);
  });

  it('byId - should build each KeyObject once and return null for a secret no longer in the ring', () => {
    const ring = createKeyring([a, b]);
    assert.equal(ring.active('csrf'), ring.active('csrf'));
    assert.equal(ring.byId('csrf', 'b'), ring.all('csrf')[1]);
    assert.equal(ring.byId('csrf', 'gone'), null);
  });

  it('all - should list keys active first, so values made before a rotation still verify', () => {
    const before = createKeyring([a]);
    const tag = mac(before.active('digest').key, 'token');
    const after = createKeyring([b, a]);
    assert.equal(after.activeId, 'b');
    assert.deepEqual(after.ids, ['b', 'a']);
    assert.notEqual(mac(after.active('digest').key, 'token'), tag);
    assert.ok(after.all('digest').some((k) => mac(k.key, 'token') === tag));
  });

  it('createKeyring - should refuse an empty ring, duplicate ids and bad purpose labels', () => {
    assert.throws(() => createKeyring([]), TypeError);
    assert.throws(() => createKeyring([a, { ...b, id: 'a' }]), TypeError);
    assert.throws(() => createKeyring([a]).active('Bad Purpose'), TypeError);
  });
});
