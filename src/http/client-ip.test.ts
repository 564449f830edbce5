import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeIp, resolveClientIp, UNKNOWN_CLIENT_IP } from './client-ip.ts';

describe('resolveClientIp', () => {
  it('resolveClientIp - should answer the socket peer when no proxy is trusted', () => {
    assert.equal(
      resolveClientIp({ socketAddress: '198.51.100.4', forwardedFor: null, trustedProxyHops: 0 }),
      '198.51.100.4',
    );
  });

  it('spoofing: X-Forwarded-For is ignored entirely with zero trusted hops', () => {
    const ip = resolveClientIp({
      socketAddress: '198.51.100.4',
      forwardedFor: '203.0.113.9, 10.0.0.1',
      trustedProxyHops: 0,
    });
    assert.equal(ip, '198.51.100.4');
  });

  it('resolveClientIp - should take the rightmost X-Forwarded-For entry behind one proxy', () => {
    const ip = resolveClientIp({
      socketAddress: '10.0.0.2',
      forwardedFor: '203.0.113.7',
      trustedProxyHops: 1,
    });
    assert.equal(ip, '203.0.113.7');
  });

  it('spoofing: with one trusted hop, entries the client prepended are never used', () => {
    const ip = resolveClientIp({
      socketAddress: '10.0.0.2',
      forwardedFor: '1.1.1.1, 6.6.6.6, 203.0.113.7',
      trustedProxyHops: 1,
    });
    assert.equal(ip, '203.0.113.7');
  });

  it('resolveClientIp - should walk one entry per trusted hop', () => {
    const input = { socketAddress: '10.0.0.3', forwardedFor: '6.6.6.6, 203.0.113.7, 10.0.0.2' };
    assert.equal(resolveClientIp({ ...input, trustedProxyHops: 1 }), '10.0.0.2');
    assert.equal(resolveClientIp({ ...input, trustedProxyHops: 2 }), '203.0.113.7');
    assert.equal(resolveClientIp({ ...input, trustedProxyHops: 3 }), '6.6.6.6');
  });

  it('resolveClientIp - should keep the leftmost trusted address when the chain is shorter than configured', () => {
    const ip = resolveClientIp({
      socketAddress: '10.0.0.3',
      forwardedFor: '203.0.113.7',
      trustedProxyHops: 3,
    });
    assert.equal(ip, '203.0.113.7');
  });

  it('resolveClientIp - should answer the socket peer when a trusted proxy sent no header', () => {
    assert.equal(
      resolveClientIp({ socketAddress: '10.0.0.2', forwardedFor: null, trustedProxyHops: 1 }),
      '10.0.0.2',
    );
  });

  it('spoofing: a malformed trusted entry falls back to the last valid address, not further left', () => {
    const ip = resolveClientIp({
      socketAddress: '10.0.0.3',
      forwardedFor: '203.0.113.66, <script>, 10.0.0.2',
      trustedProxyHops: 3,
    });
    assert.equal(ip, '10.0.0.2');
    const junkOnly = resolveClientIp({
      socketAddress: '10.0.0.2',
      forwardedFor: 'unknown',
      trustedProxyHops: 1,
    });
    assert.equal(junkOnly, '10.0.0.2');
    const empty = resolveClientIp({
      socketAddress: '10.0.0.2',
      forwardedFor: '203.0.113.66, ',
      trustedProxyHops: 1,
    });
    assert.equal(empty, '10.0.0.2');
  });

  it('resolveClientIp - should answer unknown without a socket and without trusted entries', () => {
    assert.equal(
      resolveClientIp({ socketAddress: undefined, forwardedFor: null, trustedProxyHops: 0 }),
      UNKNOWN_CLIENT_IP,
    );
    assert.equal(
      resolveClientIp({ socketAddress: undefined, forwardedFor: 'junk', trustedProxyHops: 1 }),
      UNKNOWN_CLIENT_IP,
    );
    assert.equal(
      resolveClientIp({ socketAddress: undefined, forwardedFor: '1.2.3.4', trustedProxyHops: 0 }),
      UNKNOWN_CLIENT_IP,
    );
  });

  it('resolveClientIp - should trust header positions even when the socket address is unavailable', () => {
    const ip = resolveClientIp({
      socketAddress: undefined,
      forwardedFor: '6.6.6.6, 203.0.113.7',
      trustedProxyHops: 1,
    });
    assert.equal(ip, '203.0.113.7');
  });

  it('resolveClientIp - should normalise IPv4-mapped socket and header addresses', () => {
    assert.equal(
      resolveClientIp({ socketAddress: '::ffff:127.0.0.1', forwardedFor: null, trustedProxyHops: 0 }),
      '127.0.0.1',
    );
    const ip = resolveClientIp({
      socketAddress: '::ffff:10.0.0.2',
      forwardedFor: '::FFFF:203.0.113.7',
      trustedProxyHops: 1,
    });
    assert.equal(ip, '203.0.113.7');
  });
});

describe('normalizeIp', () => {
  it('normalizeIp - should keep plain IPv4 and strip a port', () => {
    assert.equal(normalizeIp(' 203.0.113.7 '), '203.0.113.7');
    assert.equal(normalizeIp('203.0.113.7:8080'), '203.0.113.7');
  });

  it('normalizeIp - should canonicalise IPv6 and strip brackets, port and zone', () => {
    assert.equal(normalizeIp('2001:DB8:0:0:0:0:0:1'), '2001:db8::1');
    assert.equal(normalizeIp('[2001:db8::1]:443'), '2001:db8::1');
    assert.equal(normalizeIp('[2001:db8::1]'), '2001:db8::1');
    assert.equal(normalizeIp('fe80::1%eth0'), 'fe80::1');
    assert.equal(normalizeIp('::1'), '::1');
  });

  it('normalizeIp - should turn IPv4-mapped IPv6 in either notation into IPv4', () => {
    assert.equal(normalizeIp('::ffff:1.2.3.4'), '1.2.3.4');
    assert.equal(normalizeIp('::ffff:0102:0304'), '1.2.3.4');
    assert.equal(normalizeIp('[::ffff:203.0.113.7]:80'), '203.0.113.7');
  });

  it('normalizeIp - should reject anything that is not an address', () => {
    for (const junk of [
      '',
      'unknown',
      '_hidden',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      'a'.repeat(100),
      '[1.2.3.4]x',
    ]) {
      assert.equal(normalizeIp(junk), undefined, junk);
    }
  });
});
