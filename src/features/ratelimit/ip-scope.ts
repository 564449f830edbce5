import { isIPv4, isIPv6 } from 'node:net';

/**
 * The part of a client address a limit counts against: an IPv4 address as is, an IPv6
 * address by its prefix (a /64 by default), since one host usually holds a whole /64 and could
 * otherwise rotate addresses to dodge every limit.
 */
export function ipScope(ip: string, ipv6PrefixLength: number): string {
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return ip; // 'unknown' (no socket) is one shared bucket
  const hextets = expandIPv6(ip);
  const bits = hextets.flatMap((h) => [...h.toString(2).padStart(16, '0')]);
  const kept = bits.slice(0, ipv6PrefixLength).join('').padEnd(128, '0');
  const masked = Array.from({ length: 8 }, (_, i) =>
    Number.parseInt(kept.slice(i * 16, i * 16 + 16), 2).toString(16),
  );
  return `${masked.join(':')}/${ipv6PrefixLength}`;
}

/** `2001:db8::1` → eight numbers; an embedded IPv4 tail (`::ffff:1.2.3.4`) becomes two. */
function expandIPv6(ip: string): number[] {
  let address = ip.split('%')[0]!.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (v4?.[1]) {
    const [a, b, c, d] = v4[1].split('.').map(Number) as [number, number, number, number];
    address =
      address.slice(0, -v4[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array.from({ length: missing }, () => '0'), ...right].map((h) =>
    Number.parseInt(h || '0', 16),
  );
}
