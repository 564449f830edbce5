/**
 * The Node adapter (`gatehouse/node`) serving the HTTP app from a real socket, mounted in plain
 * `node:http` and in Express 5 under a prefix. Every case runs through both.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import pino from 'pino';
import { z } from 'zod';
import { CORE_ERROR_CODES } from '../../src/core/errors/index.ts';
import { toNodeHandler } from '../../src/http/adapters/node/index.ts';
import { createHttpApp, defineRoute } from '../../src/http/index.ts';

const BASE_PATH = '/auth';

function buildApp(trustedProxyHops: number) {
  return createHttpApp({
    routes: [
      defineRoute({
        method: 'POST',
        path: '/echo',
        operationId: 'echo',
        summary: 'Echo',
        body: z.strictObject({ message: z.string().max(100) }),
        responses: { 200: { description: 'Echoed' } },
        async handler({ body, clientIp, requestId }) {
          return { status: 200, body: { message: body.message, clientIp, requestId } };
        },
      }),
    ],
    catalogue: CORE_ERROR_CODES,
    logger: pino({ level: 'silent' }),
    trustedProxyHops,
    basePath: BASE_PATH,
    openapi: { title: 'Adapter test', version: '0.0.0' },
  });
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Recorded by Express after each response: what `req.url` looked like to the host app. */
let expressUrlAfterResponse: string | undefined;

const adapters: { name: string; mount(handler: Handler): Server }[] = [
  { name: 'node:http', mount: (handler) => createServer(handler) },
  {
    name: 'express 5',
    mount(handler) {
      const app = express();
      app.use((req, res, next) => {
        res.on('finish', () => {
          expressUrlAfterResponse = req.url;
        });
        next();
      });
      app.get('/host-route', (_req, res) => {
        res.send('host');
      });
      app.use(BASE_PATH, handler);
      return createServer(app);
    },
  },
];

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  return `http://127.0.0.1:${address.port}`;
}

/** Sends raw bytes and returns the status line and body of the first response. */
function rawExchange(
  origin: string,
  parts: readonly (string | Buffer)[],
): Promise<{ status: number; text: string }> {
  const { port } = new URL(origin);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    const received: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error('no response within 5 s')), 5000);
    socket.on('data', (chunk) => received.push(chunk));
    // The server may reset the connection after answering early; what arrived still counts.
    socket.on('error', (error) => {
      if (received.length === 0) reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(received).toString('utf8');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
      resolve({ status, text });
    });
    socket.on('connect', () => {
      for (const part of parts) socket.write(part);
    });
  });
}

for (const adapter of adapters) {
  describe(`toNodeHandler through ${adapter.name}`, () => {
    let origin = '';
    let proxiedOrigin = '';
    const servers: Server[] = [];

    before(async () => {
      const direct = adapter.mount(toNodeHandler(buildApp(0)));
      const proxied = adapter.mount(toNodeHandler(buildApp(1)));
      servers.push(direct, proxied);
      origin = await listen(direct);
      proxiedOrigin = await listen(proxied);
    });

    after(async () => {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    });

    it('toNodeHandler - should serve a JSON request at the mounted path', async () => {
      const response = await fetch(`${origin}${BASE_PATH}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: 'hello' }),
      });
      assert.equal(response.status, 200);
      const body = (await response.json()) as { message: string };
      assert.equal(body.message, 'hello');
      assert.equal(response.headers.get('cache-control'), 'no-store');
    });

    it('toNodeHandler - should answer problem+json 404 for an unknown path under the mount', async () => {
      const response = await fetch(`${origin}${BASE_PATH}/missing`);
      assert.equal(response.status, 404);
      assert.equal(response.headers.get('content-type'), 'application/problem+json');
      assert.equal(((await response.json()) as { code: string }).code, 'NOT_FOUND');
    });

    it('toNodeHandler - should answer 413 to a chunked body that grows past the limit', async () => {
      const chunk = Buffer.concat([Buffer.from('1000\r\n'), Buffer.alloc(4096, 0x61), Buffer.from('\r\n')]);
      const { status, text } = await rawExchange(origin, [
        `POST ${BASE_PATH}/echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
        ...Array.from({ length: 16 }, () => chunk),
        '0\r\n\r\n',
      ]);
      assert.equal(status, 413);
      assert.match(text, /"code":"PAYLOAD_TOO_LARGE"/);
      assert.match(text, /content-type: application\/problem\+json/i);
    });

    it('toNodeHandler - should echo a sane X-Request-Id and generate one otherwise', async () => {
      const echoed = await fetch(`${origin}${BASE_PATH}/missing`, {
        headers: { 'x-request-id': 'trace-42' },
      });
      assert.equal(echoed.headers.get('x-request-id'), 'trace-42');
      const generated = await fetch(`${origin}${BASE_PATH}/missing`, {
        headers: { 'x-request-id': 'bad id!' },
      });
      assert.match(generated.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
    });

    it('spoofing: the client IP comes from the real socket and X-Forwarded-For is ignored', async () => {
      const response = await fetch(`${origin}${BASE_PATH}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.66' },
        body: JSON.stringify({ message: 'ip' }),
      });
      assert.equal(((await response.json()) as { clientIp: string }).clientIp, '127.0.0.1');
    });

    it('toNodeHandler - should take the client IP from the last X-Forwarded-For entry behind one trusted proxy', async () => {
      const response = await fetch(`${proxiedOrigin}${BASE_PATH}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '6.6.6.6, 203.0.113.5' },
        body: JSON.stringify({ message: 'ip' }),
      });
      assert.equal(((await response.json()) as { clientIp: string }).clientIp, '203.0.113.5');
    });

    if (adapter.name === 'express 5') {
      it('toNodeHandler - should leave Express routes and the mounted req.url as they were', async () => {
        const host = await fetch(`${origin}/host-route`);
        assert.equal(await host.text(), 'host');
        expressUrlAfterResponse = undefined;
        const response = await fetch(`${origin}${BASE_PATH}/missing`);
        assert.equal(response.status, 404);
        await response.text();
        // 'finish' fires on the server side; give it a moment to be recorded.
        for (let waited = 0; expressUrlAfterResponse === undefined && waited < 1000; waited += 10) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        assert.equal(expressUrlAfterResponse, '/missing');
      });
    }
  });
}

// Last in this file: it replaces the global Request/Response for the rest of the process.
describe('toNodeHandler with overrideGlobalObjects', () => {
  let server: Server;
  let origin = '';
  const builtBefore = new Response('built before', {
    status: 200,
    headers: { 'Content-Type': 'text/plain' },
  });

  before(async () => {
    const app = createHttpApp({
      routes: [
        defineRoute({
          method: 'GET',
          path: '/made-before',
          operationId: 'madeBefore',
          summary: 'A Response built before the globals were replaced',
          responses: { 200: { description: 'Text' } },
          async handler() {
            return builtBefore.clone();
          },
        }),
        defineRoute({
          method: 'GET',
          path: '/made-after',
          operationId: 'madeAfter',
          summary: 'A Response built with the replaced globals',
          responses: { 200: { description: 'Text' } },
          async handler() {
            return new Response('built after', { status: 200, headers: { 'Content-Type': 'text/plain' } });
          },
        }),
      ],
      catalogue: CORE_ERROR_CODES,
      logger: pino({ level: 'silent' }),
      openapi: { title: 'Override test', version: '0.0.0' },
    });
    server = createServer(toNodeHandler(app, { overrideGlobalObjects: true }));
    origin = await listen(server);
  });

  after(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('toNodeHandler - should pass handler Responses through whichever global built them', async () => {
    assert.notEqual(builtBefore.constructor, Response, 'the globals were replaced');
    for (const [path, text] of [
      ['/made-before', 'built before'],
      ['/made-after', 'built after'],
    ] as const) {
      const response = await fetch(`${origin}${path}`);
      assert.equal(response.status, 200, path);
      assert.equal(await response.text(), text);
      assert.equal(response.headers.get('cache-control'), 'no-store');
    }
  });
});
