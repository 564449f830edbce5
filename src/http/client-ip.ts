import { isIP } from 'node:net';

/** Returned when no trustworthy address is known (e.g. an in-process request with no socket). */
export const UNKNOWN_CLIENT_IP = 'unknown';

/** Upper bound for `trustedProxyHops`; a deeper chain of our own proxies is a configuration mistake. */
export const MAX_TRUSTED_PROXY_HOPS = 16;

export interface ClientIpInput {
  /** The TCP peer of this connection (`socket.remoteAddress`); `undefined` when not served over a socket. */
  readonly socketAddress: string | undefined;
  /** The raw `X-Forwarded-For` header (all occurrences joined by `, `), or `null` when absent. */
  readonly forwardedFor: string | null;
  /**
   * How many reverse proxies that we operate stand in front of this process.
   * 0 means clients connect directly and `X-Forwarded-For` is ignored entirely.
   * @default 0
   */
  readonly trustedProxyHops: number;
}

/**
 * Resolves the address of the client that sent a request.
 *
 * Model: each proxy appends the address of its own peer to `X-Forwarded-For`, so the list
 * `[...X-Forwarded-For, socketAddress]` ends with one address per hop, nearest first from the
 * right. With `N` trusted proxies the last `N + 1` entries were written by machines we trust
 * (the socket peer is the last proxy), and the client is the entry `N` places from the right.
 * Everything further left was supplied by the client and is never used.
 *
 * The walk goes right to left and stops at the first entry that is missing or not an IP
 * address, answering the last trustworthy address seen; it never falls through to
 * attacker-supplied entries. The socket peer's *position* is trusted by configuration, so a
 * missing socket address (in-process requests) does not stop the walk.
 *
 * Addresses are normalised: ports and brackets are stripped, IPv6 is written in its canonical
 * lower-case form without zone, and IPv4-mapped IPv6 (`::ffff:1.2.3.4`) becomes plain IPv4.
 *
 * @example
 * resolveClientIp({ socketAddress: '10.0.0.2', forwardedFor: '6.6.6.6, 203.0.113.7', trustedProxyHops: 1 });
 * // '203.0.113.7' (6.6.6.6 was written by the client itself)
 */
export function resolveClientIp(input: ClientIpInput): string {
  const { socketAddress, forwardedFor, trustedProxyHops } = input;
  let answer = (socketAddress === undefined ? undefined : normalizeIp(socketAddress)) ?? UNKNOWN_CLIENT_IP;
  if (trustedProxyHops <= 0 || forwardedFor === null) return answer;
  const entries = forwardedFor.split(',');
  const hops = Math.min(trustedProxyHops, MAX_TRUSTED_PROXY_HOPS);
  for (let step = 1; step <= hops; step += 1) {
    const entry = entries[entries.length - step];
    // Fewer entries than proxies: the chain is shorter than configured, keep the leftmost
    // address a trusted proxy wrote.
    if (entry === undefined) break;
    const address = normalizeIp(entry);
    if (address === undefined) break;
    answer = address;
  }
  return answer;
}

const BRACKETED = /^\[([^\]]+)\](?::\d{1,5})?$/;
const IPV4_WITH_PORT = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/;
const MAPPED_IPV4 = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/;

/**
 * Returns the canonical form of one address as found in a socket or a forwarding header, or
 * `undefined` when it is not an IP address (`unknown`, an obfuscated identifier, junk).
 */
export function normalizeIp(raw: string): string | undefined {
  let value = raw.trim();
  if (value.length === 0 || value.length > 64) return undefined;
  const bracketed = BRACKETED.exec(value);
  if (bracketed) value = bracketed[1] ?? '';
  else {
    const withPort = IPV4_WITH_PORT.exec(value);
    if (withPort) value = withPort[1] ?? '';
  }
  const family = isIP(value);
  if (family === 4) return value;
  if (family !== 6) return undefined;
  // The zone (`%eth0`) only means something on this host; drop it so one client has one key.
  const zone = value.indexOf('%');
  const withoutZone = zone === -1 ? value : value.slice(0, zone);
  let canonical: string;
  try {
    canonical = new URL(`http://[${withoutZone}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
  const mapped = MAPPED_IPV4.exec(canonical);
  if (mapped) {
    const high = Number.parseInt(mapped[1] ?? '0', 16);
    const low = Number.parseInt(mapped[2] ?? '0', 16);
    return `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;
  }
  return canonical;
}

/** The TCP peer `@hono/node-server` (and so `gatehouse/node`) passes in `env.incoming`. */
export function nodeSocketAddress(env: unknown): string | undefined {
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: unknown } } } | undefined)?.incoming;
  const address = incoming?.socket?.remoteAddress;
  return typeof address === 'string' ? address : undefined;
}
