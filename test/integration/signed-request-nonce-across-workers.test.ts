/**
 * Signed requests across workers: a nonce is taken once per key for the whole fleet, not once
 * per process. A captured signed request fired at two workers at the same moment — or replayed
 * on a second worker after the first accepted it — must succeed exactly once.
 *
 * Two real `gatehouse serve` processes in production mode share one PostgreSQL database and one
 * Redis, with the same secrets. The owner is made with `gatehouse create-user`, signs in over
 * HTTP and creates a signing key over HTTP; requests are signed with the reference client.
 *
 * Why node:http and an explicit Host header: a signature covers the `host` header, so "the same
 * request" on A and on B means the same bytes, Host included. The workers listen on different
 * ports, and a request signed for each worker's own URL would differ by host (and pass on both,
 * proving nothing). So every request here is signed once for A's authority (`127.0.0.1:<A>`)
 * and those exact bytes are sent to either worker, as a load balancer forwards the public Host
 * to whichever worker it picks. `fetch` cannot do this: Host is a forbidden request header in
 * the Fetch standard, and Node's fetch silently replaces it with the URL's authority. node:http
 * sends the Host header it is given, and the server builds the request URL from it and signs
 * nothing else about where the request arrived, so B verifies A's bytes (the first case checks
 * exactly that, so that B's refusals below are about the nonce and nothing else).
 *
 * Production rate limits stay on: refused signatures count toward `apiKeyAuthFailure` (20 a
 * minute per address), and this file stays well under it.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { signedFetchInit } from '../../src/client/signing/node.ts';
import { DEFAULTS } from '../../src/core/config/defaults.ts';
import {
  createApiKeyOn,
  type SigningKey,
  signInOn,
  signingKeyOf,
  startTwoWorkers,
  type TwoWorkers,
} from '../fixtures/api-keys.ts';
import { jsonCall } from '../fixtures/production-server.ts';
import type { ServerProcess } from '../fixtures/spawn-server.ts';

const OWNER = { email: 'signing-owner@example.com', password: 'orchard-Beacon-granite-53' };
/** Rounds of "the same signed request to A and B at once", each with a fresh nonce. */
const PARALLEL_ROUNDS = 5;
const REQUEST_TIMEOUT_MS = 5_000;

/** A signed request as bytes on the wire: sent unchanged to whichever worker. */
interface WireRequest {
  readonly method: string;
  /** Path and query. */
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
}

interface WireReply {
  readonly status: number;
  readonly code: string | undefined;
  readonly body: Record<string, unknown> | null;
}

let workers: TwoWorkers | undefined;
let workerA: ServerProcess;
let workerB: ServerProcess;
let accessToken = '';
let key: SigningKey;

/**
 * Signs `method target` for worker A's authority with the reference client, and returns the
 * exact headers and body to send. With a body, Content-Length is announced (node:http would
 * otherwise switch to chunked encoding) unless `announceLength` is false.
 */
function signForA(
  method: string,
  target: string,
  body?: string,
  options: { announceLength?: boolean } = {},
): WireRequest {
  const url = new URL(target, workerA.url);
  const init = signedFetchInit({
    keyId: key.keyId,
    secret: key.secret,
    method,
    url,
    ...(body === undefined ? {} : { body }),
  });
  const headers: Record<string, string> = Object.fromEntries(init.headers);
  assert.equal(headers.host, url.host, 'the signed host is A’s authority');
  const bytes = body === undefined ? undefined : Buffer.from(body);
  if (bytes && options.announceLength !== false) headers['content-length'] = String(bytes.length);
  return { method: init.method, target: `${url.pathname}${url.search}`, headers, body: bytes };
}

/**
 * Sends `wire` byte for byte (Host included) to `worker`'s port. With `chunkBytes`, the body is
 * written in pieces of that size (chunked encoding when no Content-Length was announced), and
 * writing stops once the answer arrives: a server may answer before it has read everything.
 */
function sendTo(
  worker: ServerProcess,
  wire: WireRequest,
  options: { chunkBytes?: number } = {},
): Promise<WireReply> {
  const { hostname, port } = new URL(worker.url);
  return new Promise<WireReply>((resolve, reject) => {
    let answered = false;
    const outgoing = httpRequest(
      {
        host: hostname,
        port,
        method: wire.method,
        path: wire.target,
        headers: wire.headers,
        agent: false,
        timeout: REQUEST_TIMEOUT_MS,
      },
      (incoming) => {
        answered = true;
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('error', reject);
        incoming.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const body = text ? (JSON.parse(text) as Record<string, unknown>) : null;
          resolve({ status: incoming.statusCode ?? 0, code: body?.code as string | undefined, body });
        });
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    outgoing.on('error', (error) => {
      // Once answered, a reset while the rest of the body was still going out is expected.
      if (!answered) reject(error);
    });
    const { chunkBytes } = options;
    if (wire.body === undefined || chunkBytes === undefined) {
      outgoing.end(wire.body);
      return;
    }
    const body = wire.body;
    let offset = 0;
    const writeNext = (): void => {
      if (answered || outgoing.destroyed) return;
      if (offset >= body.length) {
        outgoing.end();
        return;
      }
      const piece = body.subarray(offset, offset + chunkBytes);
      offset += piece.length;
      // One piece per turn of the event loop, so the server sees them arrive separately.
      outgoing.write(piece, () => setImmediate(writeNext));
    };
    writeNext();
  });
}

function assertAccepted(reply: WireReply, label: string): void {
  assert.equal(reply.status, 200, `${label}: ${JSON.stringify(reply.body)}`);
}

function assertReplayRefused(reply: WireReply, label: string): void {
  assert.equal(reply.status, 401, `${label}: ${JSON.stringify(reply.body)}`);
  assert.equal(reply.code, 'NONCE_REPLAYED', label);
}

/** Exactly one of `replies` is a 200 and every other one is 401 NONCE_REPLAYED. */
function assertOneWinner(replies: readonly WireReply[], label: string): WireReply {
  const statuses = replies.map((reply) => reply.status).join(', ');
  const winners = replies.filter((reply) => reply.status === 200);
  assert.equal(winners.length, 1, `${label}: exactly one 200 (${statuses})`);
  for (const reply of replies.filter((r) => r.status !== 200)) assertReplayRefused(reply, label);
  return winners[0] as WireReply;
}

async function ownerName(): Promise<unknown> {
  const me = await jsonCall(workerB.url, 'GET', '/users/me', { token: accessToken });
  assert.equal(me.status, 200, JSON.stringify(me.body));
  return (me.body?.user as { name?: unknown } | undefined)?.name;
}

before(async () => {
  workers = await startTwoWorkers({ users: [OWNER] });
  ({ workerA, workerB } = workers);
  ({ accessToken } = await signInOn(workerA, OWNER));
  const created = await createApiKeyOn(workerA, accessToken, { name: 'fleet signing key', signing: true });
  key = signingKeyOf(created);
});

after(async () => {
  await workers?.stop();
});

describe('signed-request nonces across two workers', () => {
  it('workers - should be two processes on two ports', () => {
    assert.notEqual(workerA.url, workerB.url);
    assert.notEqual(workerA.child.pid, workerB.child.pid);
  });

  it('the reference client with fetch, to a worker’s own URL - should be accepted as the owner', async () => {
    // The documented use, with nothing else in the way: if this fails, every case below does.
    const url = `${workerA.url}/users/me`;
    const response = await fetch(url, {
      ...signedFetchInit({ keyId: key.keyId, secret: key.secret, method: 'GET', url }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const body = (await response.json()) as { user?: { email?: unknown } };
    assert.equal(response.status, 200, JSON.stringify(body));
    assert.equal(body.user?.email, OWNER.email);
  });

  it('a request signed for A’s host, sent only to B with that Host - should be accepted (the control)', async () => {
    const reply = await sendTo(workerB, signForA('GET', '/users/me'));
    assertAccepted(reply, 'fresh signed request on B');
    assert.equal((reply.body?.user as { email?: unknown } | undefined)?.email, OWNER.email);
  });

  it(`the same signed request to A and B in parallel, ${PARALLEL_ROUNDS} rounds with fresh nonces - should succeed exactly once per nonce`, async () => {
    const winners = { A: 0, B: 0 };
    for (let round = 0; round < PARALLEL_ROUNDS; round++) {
      const wire = signForA('GET', `/users/me?round=${round}`);
      const [onA, onB] = await Promise.all([sendTo(workerA, wire), sendTo(workerB, wire)]);
      const winner = assertOneWinner([onA as WireReply, onB as WireReply], `round ${round}`);
      winners[winner === onA ? 'A' : 'B'] += 1;
    }
    // Not asserted: which worker wins is a race; the count per nonce is what matters.
    assert.equal(winners.A + winners.B, PARALLEL_ROUNDS);
  });

  it('a nonce used on A - should be refused on B with 401 NONCE_REPLAYED, and one used on B refused on A', async () => {
    const first = signForA('GET', '/users/me');
    assertAccepted(await sendTo(workerA, first), 'first use on A');
    assertReplayRefused(await sendTo(workerB, first), 'the same request on B');

    const second = signForA('GET', '/users/me');
    assertAccepted(await sendTo(workerB, second), 'first use on B');
    assertReplayRefused(await sendTo(workerA, second), 'the same request on A');
  });

  it('a signed PATCH with a body fired at A and B at once - should rename once, and a later replay should change nothing', async () => {
    const rename = signForA('PATCH', '/users/me', JSON.stringify({ name: 'Fleet Rename' }));
    const replies = await Promise.all([sendTo(workerA, rename), sendTo(workerB, rename)]);
    const winner = assertOneWinner(replies, 'parallel signed PATCH');
    assert.equal((winner.body?.user as { name?: unknown } | undefined)?.name, 'Fleet Rename');

    const changed = await jsonCall(workerA.url, 'PATCH', '/users/me', {
      token: accessToken,
      body: { name: 'Changed Since' },
    });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    const loser = replies[0] === winner ? workerB : workerA;
    assertReplayRefused(await sendTo(loser, rename), 'the rename replayed later');
    assert.equal(await ownerName(), 'Changed Since', 'the replay did not rename back');
  });

  it('an oversized signed body, chunked without Content-Length - should be answered 413 over the socket and rename nobody', async () => {
    // The servers run with the default body limit. Valid JSON padded with spaces: only its
    // size can be refused, and the signature over it is good.
    const limit = DEFAULTS.bodyLimitBytes;
    const padded = JSON.stringify({ name: 'Too Big' }).padEnd(4 * limit, ' ');
    const wire = signForA('PATCH', '/users/me', padded, { announceLength: false });
    assert.equal(wire.headers['content-length'], undefined, 'no length is announced');
    const before = await ownerName();
    const reply = await sendTo(workerB, wire, { chunkBytes: 4096 });
    assert.equal(reply.status, 413, JSON.stringify(reply.body));
    assert.equal(reply.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(await ownerName(), before, 'the handler never ran');
  });
});
