import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ipScope } from './ip-scope.ts';

describe('ipScope', () => {
  it('ipScope - should keep an IPv4 address whole', () => {
    assert.equal(ipScope('203.0.113.7', 64), '203.0.113.7');
  });

  it('ipScope - should put every address of one IPv6 /64 in one bucket, and other /64s elsewhere', () => {
    const a = ipScope('2001:db8:1:2:aaaa:bbbb:cccc:dddd', 64);
    assert.equal(a, '2001:db8:1:2:0:0:0:0/64');
    assert.equal(ipScope('2001:db8:1:2::1', 64), a);
    assert.equal(ipScope('2001:DB8:1:2:FFFF::', 64), a);
    assert.notEqual(ipScope('2001:db8:1:3::1', 64), a);
  });

  it('ipScope - should honour other prefix lengths, including ones inside a hextet', () => {
    assert.equal(ipScope('2001:db8:1:2::1', 48), '2001:db8:1:0:0:0:0:0/48');
    assert.equal(ipScope('2001:db8:ffff::', 36), '2001:db8:f000:0:0:0:0:0/36');
    assert.equal(ipScope('2001:db8::1', 128), '2001:db8:0:0:0:0:0:1/128');
  });

  it('ipScope - should expand an embedded IPv4 tail and leave unknown addresses as one bucket', () => {
    assert.equal(ipScope('64:ff9b::192.0.2.33', 128), '64:ff9b:0:0:0:0:c000:221/128');
    assert.equal(ipScope('unknown', 64), 'unknown');
  });
});
