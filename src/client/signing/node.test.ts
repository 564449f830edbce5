import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createBodyHasher, parseSignatureHeader, verifySignature } from '../../crypto/request-signing.ts';
import { signedFetchInit, signedRequest } from './node.ts';

interface SigningVectors {
  keyId: string;
  secretBase64Url: string;
  examples: {
    name: string;
    input: {
      method: string;
      url: string;
      headers: [string, string][];
      body: string | null;
      signedHeaders: string[];
      timestamp: number;
      nonce: string;
    };
    authorization: string;
  }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../../test/vectors/request-signing.json', import.meta.url), 'utf8'),
) as SigningVectors;

const KEY_ID = 'RDjavJFreECZMoKwG6Zu4Q';
const SECRET = Buffer.from('client test signing secret, 32+ bytes long');
const BODY_LIMIT = 16 * 1024;

/** What a server would decide: parse the header, hash the body, verify. `keyId` must match too. */
async function verifyLikeServer(
  request: { method: string; url: URL; headers: Headers; body: ReadableStream<Uint8Array> | null },
  secret: Uint8Array = SECRET,
): Promise<boolean> {
  const parsed = parseSignatureHeader(request.headers.get('authorization') ?? '');
  if (parsed === null || parsed.keyId !== KEY_ID) return false;
  const { sha256Hex: bodySha256Hex } = await createBodyHasher(BODY_LIMIT).hash(request.body);
  return verifySignature(
    secret,
    {
      method: request.method,
      url: request.url,
      headers: request.headers,
      signedHeaders: parsed.signedHeaders,
      timestamp: parsed.timestamp,
      nonce: parsed.nonce,
      bodySha256Hex,
    },
    parsed.signature,
  );
}

/** The same check on a `Request` built in process. */
function verifyRequest(request: Request, secret?: Uint8Array): Promise<boolean> {
  return verifyLikeServer(
    { method: request.method, url: new URL(request.url), headers: request.headers, body: request.body },
    secret,
  );
}

describe('signedFetchInit', () => {
  it('should reproduce the Authorization header of every worked example', () => {
    const secret = Buffer.from(vectors.secretBase64Url, 'base64url');
    for (const { name, input, authorization } of vectors.examples) {
      const init = signedFetchInit({
        keyId: vectors.keyId,
        secret,
        method: input.method,
        url: input.url,
        headers: input.headers,
        body: input.body ?? undefined,
        now: input.timestamp * 1000 + 999,
        nonce: input.nonce,
        signedHeaders: input.signedHeaders.filter((header) => header !== 'host' && header !== 'content-type'),
      });
      assert.equal(init.headers.get('authorization'), authorization, name);
      assert.equal(init.method, input.method.toUpperCase(), name);
    }
  });

  it('should sign host and, with a body, a default application/json Content-Type', async () => {
    const init = signedFetchInit({
      keyId: KEY_ID,
      secret: SECRET,
      method: 'post',
      url: 'https://api.example.com/v1/orders',
      body: '{"a":1}',
    });
    assert.equal(init.method, 'POST');
    assert.equal(init.body, '{"a":1}');
    assert.equal(init.headers.get('content-type'), 'application/json');
    assert.equal(init.headers.get('host'), 'api.example.com');
    assert.deepEqual(parseSignatureHeader(init.headers.get('authorization') ?? '')?.signedHeaders, [
      'host',
      'content-type',
    ]);
    assert.equal(await verifyRequest(new Request('https://api.example.com/v1/orders', init)), true);
  });

  it('should keep a Content-Type the caller gives, and sign it', async () => {
    const init = signedFetchInit({
      keyId: KEY_ID,
      secret: SECRET,
      method: 'PUT',
      url: 'https://api.example.com/v1/blobs/1',
      headers: { 'Content-Type': 'application/octet-stream' },
      body: new Uint8Array([0, 1, 2, 255]),
    });
    assert.equal(init.headers.get('content-type'), 'application/octet-stream');
    assert.equal(await verifyRequest(new Request('https://api.example.com/v1/blobs/1', init)), true);
  });

  it('should sign only host for a GET without a body or type, and leave other headers unsigned', async () => {
    const init = signedFetchInit({
      keyId: KEY_ID,
      secret: SECRET,
      method: 'GET',
      url: 'https://api.example.com:8443/v1/orders?b=2&a=1',
      headers: { accept: 'application/json' },
    });
    assert.equal(init.body, undefined);
    assert.equal(init.headers.has('content-type'), false);
    assert.equal(init.headers.get('host'), 'api.example.com:8443');
    assert.deepEqual(parseSignatureHeader(init.headers.get('authorization') ?? '')?.signedHeaders, ['host']);
  });

  it('should sign extra headers in the order asked, case-insensitively and once each', () => {
    const init = signedFetchInit({
      keyId: KEY_ID,
      secret: SECRET,
      method: 'POST',
      url: 'https://api.example.com/v1/orders',
      headers: { 'Idempotency-Key': 'k1', 'X-Tenant': 't1' },
      body: '{}',
      signedHeaders: ['X-Tenant', 'idempotency-key', 'HOST', 'x-tenant'],
    });
    assert.deepEqual(parseSignatureHeader(init.headers.get('authorization') ?? '')?.signedHeaders, [
      'host',
      'content-type',
      'x-tenant',
      'idempotency-key',
    ]);
  });

  it('should stamp whole seconds of now, and draw a fresh nonce for every request', () => {
    const sign = (now?: number) =>
      parseSignatureHeader(
        signedFetchInit({ keyId: KEY_ID, secret: SECRET, method: 'GET', url: 'https://h/', now }).headers.get(
          'authorization',
        ) ?? '',
      );
    assert.equal(sign(1_767_225_600_999)?.timestamp, 1_767_225_600);
    const before = Math.floor(Date.now() / 1000);
    const current = sign();
    assert.ok(current !== null && current.timestamp >= before && current.timestamp <= before + 1);
    const nonces = new Set(Array.from({ length: 20 }, () => sign(1_767_225_600_000)?.nonce));
    assert.equal(nonces.size, 20);
  });

  it('should refuse a body with GET or HEAD, and bodies that are neither strings nor bytes', () => {
    for (const method of ['GET', 'head'])
      assert.throws(
        () => signedFetchInit({ keyId: KEY_ID, secret: SECRET, method, url: 'https://h/', body: 'x' }),
        TypeError,
      );
    assert.throws(
      () =>
        signedFetchInit({
          keyId: KEY_ID,
          secret: SECRET,
          method: 'POST',
          url: 'https://h/',
          body: { a: 1 } as unknown as string,
        }),
      TypeError,
    );
  });

  it('should refuse a caller Authorization header rather than overwrite it', () => {
    assert.throws(
      () =>
        signedFetchInit({
          keyId: KEY_ID,
          secret: SECRET,
          method: 'GET',
          url: 'https://h/',
          headers: { Authorization: 'Bearer other' },
        }),
      /Authorization/,
    );
  });

  it('should refuse a Host header that differs from the URL (fetch would send the URL’s)', () => {
    const sign = (host: string) =>
      signedFetchInit({
        keyId: KEY_ID,
        secret: SECRET,
        method: 'GET',
        url: 'https://api.example.com/',
        headers: { host },
      });
    assert.throws(() => sign('evil.example'), /Host/);
    assert.equal(sign('api.example.com').headers.get('host'), 'api.example.com');
  });

  it('should refuse an extra signed header that is absent, a short secret, a bad key id or nonce', () => {
    const base = { keyId: KEY_ID, secret: SECRET, method: 'GET', url: 'https://h/' };
    assert.throws(() => signedFetchInit({ ...base, signedHeaders: ['x-absent'] }), TypeError);
    assert.throws(() => signedFetchInit({ ...base, signedHeaders: ['authorization'] }), TypeError);
    assert.throws(() => signedFetchInit({ ...base, secret: new Uint8Array(16) }), TypeError);
    assert.throws(() => signedFetchInit({ ...base, keyId: 'a.b' }), TypeError);
    assert.throws(() => signedFetchInit({ ...base, nonce: 'too-short' }), TypeError);
  });
});

describe('signedRequest', () => {
  it('should return a new Request with the same body and options that verifies', async () => {
    const controller = new AbortController();
    const original = new Request('https://api.example.com/v1/orders?x=1', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-tenant': 't1' },
      body: '{"sku":"A-1"}',
      signal: controller.signal,
      redirect: 'manual',
    });
    const signed = await signedRequest(original, {
      keyId: KEY_ID,
      secret: SECRET,
      signedHeaders: ['x-tenant'],
    });
    assert.equal(original.bodyUsed, true);
    assert.equal(signed.method, 'POST');
    assert.equal(signed.url, 'https://api.example.com/v1/orders?x=1');
    assert.equal(signed.redirect, 'manual');
    assert.equal(signed.headers.get('x-tenant'), 't1');
    const copy = signed.clone();
    assert.equal(await copy.text(), '{"sku":"A-1"}');
    assert.equal(await verifyRequest(signed), true);
    controller.abort();
    assert.equal(signed.signal.aborted, true, 'the abort signal carries over');
  });

  it('should sign a Request without a body', async () => {
    const signed = await signedRequest(new Request('https://api.example.com/v1/me'), {
      keyId: KEY_ID,
      secret: SECRET,
    });
    assert.equal(signed.body, null);
    assert.equal(await verifyRequest(signed), true);
    assert.equal(
      await verifyRequest(signed.clone(), Buffer.from('a different secret of 32+ bytes here')),
      false,
    );
  });

  it('should refuse a Request whose body was already read', async () => {
    const request = new Request('https://h/', { method: 'POST', body: 'x' });
    await request.text();
    await assert.rejects(signedRequest(request, { keyId: KEY_ID, secret: SECRET }), TypeError);
  });
});

describe('over HTTP (what fetch sends is what was signed)', () => {
  let server: Server;
  let origin: string;
  /** The body each request carried on the wire, for the tamper cases to replace. */
  let replaceBody: string | undefined;

  /** The server's view: the request target and headers as received, the body as streamed. */
  async function verifyIncoming(message: IncomingMessage): Promise<boolean> {
    const headers = new Headers();
    for (let index = 0; index < message.rawHeaders.length; index += 2)
      headers.append(message.rawHeaders[index]!, message.rawHeaders[index + 1]!);
    const url = new URL(message.url ?? '/', `http://${message.headers.host}`);
    const body =
      replaceBody !== undefined
        ? (Readable.toWeb(Readable.from([Buffer.from(replaceBody)])) as ReadableStream<Uint8Array>)
        : (Readable.toWeb(message) as ReadableStream<Uint8Array>);
    return verifyLikeServer({ method: message.method ?? '', url, headers, body });
  }

  before(async () => {
    server = createServer((message, response) => {
      verifyIncoming(message).then(
        (verified) => {
          message.resume();
          response.end(JSON.stringify({ verified }));
        },
        () => {
          message.resume();
          response.statusCode = 500;
          response.end();
        },
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function send(
    url: string,
    init: RequestInit & { method: string; headers: Headers },
    options: { sendTo?: string } = {},
  ): Promise<boolean> {
    const response = await fetch(options.sendTo ?? url, init);
    assert.equal(response.status, 200);
    return ((await response.json()) as { verified: boolean }).verified;
  }

  it('should verify GET, POST JSON and a percent-encoded path as received by a Node server', async () => {
    const cases = [
      { method: 'GET', path: '/v1/orders?status=open&tag=b&tag=a&q=red+shoes' },
      { method: 'POST', path: '/v1/orders', body: '{"sku":"A-1","quantity":2}' },
      { method: 'delete', path: '/v1/files/r%c3%a9sum%c3%a9%20(final).pdf?note=50%25+off&v=%e2%82%ac' },
      { method: 'patch', path: '/v1/orders/7', body: '{"note":"é"}' },
    ];
    for (const { method, path, body } of cases) {
      const url = `${origin}${path}`;
      const init = signedFetchInit({ keyId: KEY_ID, secret: SECRET, method, url, body });
      assert.equal(await send(url, init), true, `${method} ${path}`);
    }
  });

  it('should verify a signed Request sent with fetch', async () => {
    const request = new Request(`${origin}/v1/orders`, {
      method: 'POST',
      body: '{"sku":"B-2"}',
      headers: { 'x-tenant': 't9' },
    });
    const signed = await signedRequest(request, {
      keyId: KEY_ID,
      secret: SECRET,
      signedHeaders: ['x-tenant'],
    });
    const response = await fetch(signed);
    assert.deepEqual(await response.json(), { verified: true });
  });

  it('tampered path or query - should fail when the request goes somewhere other than what was signed', async () => {
    const url = `${origin}/v1/orders?status=open`;
    const init = signedFetchInit({ keyId: KEY_ID, secret: SECRET, method: 'GET', url });
    assert.equal(await send(url, init, { sendTo: `${origin}/v1/orders?status=closed` }), false);
    assert.equal(await send(url, init, { sendTo: `${origin}/v1/admin?status=open` }), false);
  });

  it('tampered body - should fail when the bytes received differ from the bytes signed', async () => {
    const url = `${origin}/v1/orders`;
    const init = signedFetchInit({
      keyId: KEY_ID,
      secret: SECRET,
      method: 'POST',
      url,
      body: '{"quantity":2}',
    });
    replaceBody = '{"quantity":200}';
    try {
      assert.equal(await send(url, init), false);
    } finally {
      replaceBody = undefined;
    }
  });

  it('tampered host - should fail when the request reaches a host other than the one signed', async () => {
    // Signed for localhost, delivered to 127.0.0.1: the Host the server sees differs.
    const signedUrl = origin.replace('127.0.0.1', 'localhost');
    const init = signedFetchInit({ keyId: KEY_ID, secret: SECRET, method: 'GET', url: `${signedUrl}/v1/me` });
    assert.equal(await send(`${signedUrl}/v1/me`, init, { sendTo: `${origin}/v1/me` }), false);
  });
});
