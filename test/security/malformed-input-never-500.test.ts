/**
 * Threat: a client sends malformed, oversized or hostile input to crash a handler, probe the
 * server through its error messages, or reflect its own input back (into a page, a log viewer,
 * a cache).
 *
 * Invariant: bad input never yields a 500 and never comes back. Every case gets the exact 4xx
 * status and code the HTTP contract names, as `application/problem+json`, and a marker string
 * placed in the input (in values, key names, paths and bytes) never appears in the response
 * body. Nothing is logged at error level. The requests go over a real socket to `node:http`
 * through the Node adapter, so the body limit and header handling are the production ones.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { z } from 'zod';
import { CORE_ERROR_CODES } from '../../src/core/errors/index.ts';
import { toNodeHandler } from '../../src/http/adapters/node/index.ts';
import { createHttpApp, DEFAULT_BODY_LIMIT_BYTES, defineRoute } from '../../src/http/index.ts';

/** Not a plain field name, so no legitimate code path may ever print it. */
const MARKER = 'gh!marker!9f2c';

interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** A raw HTTP/1.1 connection: full control over the bytes sent, tolerant of early answers. */
class RawConnection {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #closed = false;
  #waiters: (() => void)[] = [];

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    // A server that answered early may reset the connection while we are still writing.
    socket.on('error', () => {});
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): void {
    if (!this.#socket.destroyed) this.#socket.write(data);
  }

  /** Half-closes: the server sees end of input. */
  end(): void {
    this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  /** Waits for the next complete response (or fails after 5 s). */
  async readResponse(): Promise<RawResponse> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const parsed = this.#takeResponse();
      if (parsed) return parsed;
      if (this.#closed) throw new Error('connection closed before a complete response');
      if (Date.now() > deadline) throw new Error('no complete response within 5 s');
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  #takeResponse(): RawResponse | undefined {
    const headEnd = this.#buffer.indexOf('\r\n\r\n');
    if (headEnd === -1) return undefined;
    const [statusLine = '', ...headerLines] = this.#buffer
      .subarray(0, headEnd)
      .toString('latin1')
      .split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of headerLines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]);
    let rest = this.#buffer.subarray(headEnd + 4);
    let body: Buffer;
    if (headers['transfer-encoding'] === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = rest.indexOf('\r\n');
        if (lineEnd === -1) return undefined;
        const size = Number.parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
        if (rest.length < lineEnd + 2 + size + 2) return undefined;
        parts.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
        rest = rest.subarray(lineEnd + 2 + size + 2);
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else {
      const length = Number(headers['content-length'] ?? (this.#closed ? rest.length : Number.NaN));
      if (Number.isNaN(length) || rest.length < length) return undefined;
      body = rest.subarray(0, length);
      rest = rest.subarray(length);
    }
    this.#buffer = rest;
    return { status, headers, body: body.toString('utf8') };
  }
}

const errorLines: string[] = [];
const logger = pino(
  { level: 'warn' },
  new Writable({
    write(chunk, _encoding, callback) {
      const line = String(chunk);
      if ((JSON.parse(line) as { level: number }).level >= 50) errorLines.push(line);
      callback();
    },
  }),
);

const app = createHttpApp({
  routes: [
    defineRoute({
      method: 'POST',
      path: '/profile',
      operationId: 'updateProfile',
      summary: 'A typical body route',
      body: z.strictObject({ name: z.string().min(1).max(100), age: z.int().min(0).optional() }),
      responses: { 200: { description: 'Saved' } },
      async handler({ body }) {
        return { status: 200, body: { saved: body.name.length } };
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/logout',
      operationId: 'logout',
      summary: 'A route without a body',
      responses: { 204: { description: 'Done' } },
      async handler() {
        return { status: 204 };
      },
    }),
  ],
  catalogue: CORE_ERROR_CODES,
  logger,
  basePath: '/auth',
  openapi: { title: 'Security test', version: '0.0.0' },
});

let server: Server;
let port = 0;

before(async () => {
  server = createServer(toNodeHandler(app));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  assert.ok(address !== null && typeof address === 'object');
  port = address.port;
});

after(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

interface Send {
  readonly method?: string;
  readonly path?: string;
  /** Header lines, sent as given (no automatic Content-Length when `raw` is set). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Send the body with chunked transfer coding in pieces of this many bytes. */
  readonly chunkSize?: number;
  /** Do not add Content-Length. */
  readonly noLength?: boolean;
}

async function send(request: Send): Promise<RawResponse> {
  const connection = await RawConnection.open(port);
  try {
    const body =
      typeof request.body === 'string' ? Buffer.from(request.body) : (request.body ?? Buffer.alloc(0));
    const headers: Record<string, string> = { Host: 'localhost', Connection: 'close', ...request.headers };
    if (request.chunkSize !== undefined) headers['Transfer-Encoding'] = 'chunked';
    else if (!request.noLength && headers['Content-Length'] === undefined)
      headers['Content-Length'] = String(body.length);
    const head = `${request.method ?? 'POST'} ${request.path ?? '/auth/profile'} HTTP/1.1\r\n${Object.entries(
      headers,
    )
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('')}\r\n`;
    connection.write(head);
    if (request.chunkSize !== undefined) {
      for (let offset = 0; offset < body.length; offset += request.chunkSize) {
        const piece = body.subarray(offset, offset + request.chunkSize);
        connection.write(
          Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]),
        );
      }
      connection.write('0\r\n\r\n');
    } else {
      connection.write(body);
    }
    return await connection.readResponse();
  } finally {
    connection.destroy();
  }
}

const JSON_TYPE = { 'Content-Type': 'application/json' };

function assertProblem(response: RawResponse, status: number, code: string): Record<string, unknown> {
  assert.equal(response.status, status, response.body);
  assert.equal(response.headers['content-type'], 'application/problem+json');
  const problem = JSON.parse(response.body) as Record<string, unknown>;
  assert.equal(problem.status, status);
  assert.equal(problem.code, code);
  assert.equal(typeof problem.type, 'string');
  assert.equal(typeof problem.title, 'string');
  assert.ok(response.headers['x-request-id'], 'X-Request-Id on every problem');
  assertNoEcho(response);
  return problem;
}

function assertNoEcho(response: RawResponse): void {
  assert.equal(
    response.body.includes(MARKER),
    false,
    `the response echoed the marker: ${response.body.slice(0, 300)}`,
  );
  assert.notEqual(response.status, 500);
}

describe('malformed input never yields 500 and is never echoed', () => {
  it('wrong content type: a JSON body sent as text/plain is refused with 415', async () => {
    const response = await send({
      headers: { 'Content-Type': 'text/plain' },
      body: JSON.stringify({ name: MARKER }),
    });
    assertProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('wrong charset: application/json in another charset is refused with 415', async () => {
    const response = await send({
      headers: { 'Content-Type': 'application/json; charset=iso-8859-1' },
      body: JSON.stringify({ name: MARKER }),
    });
    assertProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('missing content type: a body without Content-Type is refused with 415', async () => {
    assertProblem(await send({ body: JSON.stringify({ name: MARKER }) }), 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('forged form post: a route without a body refuses a form-encoded body with 415', async () => {
    const response = await send({
      path: '/auth/logout',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: `name=${MARKER}`,
    });
    assertProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('oversized body with Content-Length is refused with 413 before it is read', async () => {
    const body = JSON.stringify({ name: MARKER.repeat(2000) });
    assert.ok(body.length > DEFAULT_BODY_LIMIT_BYTES);
    assertProblem(await send({ headers: JSON_TYPE, body }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('oversized chunked body without Content-Length is cut off at the limit with 413', async () => {
    const body = JSON.stringify({ name: MARKER.repeat(20_000) });
    assertProblem(await send({ headers: JSON_TYPE, body, chunkSize: 1024 }), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('lying Content-Length (too large for the limit, small body) is refused with 413', async () => {
    const response = await send({
      headers: { ...JSON_TYPE, 'Content-Length': String(10 * 1024 * 1024) },
      body: JSON.stringify({ name: MARKER }),
    });
    assertProblem(response, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('lying Content-Length (shorter than the body): only the declared bytes count, and they are not JSON', async () => {
    const connection = await RawConnection.open(port);
    try {
      const body = JSON.stringify({ name: MARKER });
      connection.write(
        `POST /auth/profile HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n`,
      );
      connection.write(body.slice(0, 5));
      assertProblem(await connection.readResponse(), 400, 'MALFORMED_BODY');
      // The surplus is parsed as the next request; Node's HTTP parser refuses it without echo.
      connection.write(`${body.slice(5)}\r\n\r\n`);
      const surplus = await connection.readResponse();
      assert.equal(surplus.status, 400);
      assertNoEcho(surplus);
    } finally {
      connection.destroy();
    }
  });

  it('lying Content-Length (longer than the body, then end of input) gets a 400, not a hang or a 500', async () => {
    const connection = await RawConnection.open(port);
    try {
      connection.write(
        `POST /auth/profile HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"name":"${MARKER}"}`,
      );
      connection.end();
      // Node's HTTP parser answers this one: the message can never complete.
      const response = await connection.readResponse();
      assert.equal(response.status, 400);
      assertNoEcho(response);
    } finally {
      connection.destroy();
    }
  });

  it('broken JSON is refused with 400 MALFORMED_BODY and the parser message is not sent', async () => {
    const problem = assertProblem(
      await send({ headers: JSON_TYPE, body: `{"name": "${MARKER}", ` }),
      400,
      'MALFORMED_BODY',
    );
    assert.equal(String(problem.detail ?? '').includes('position'), false);
  });

  it('empty body on a body route is refused with 400 MALFORMED_BODY', async () => {
    assertProblem(await send({ headers: JSON_TYPE, body: '' }), 400, 'MALFORMED_BODY');
  });

  it('deep nesting is refused with 400 MALFORMED_BODY before parsing', async () => {
    const body = `{"name":${'['.repeat(5000)}"${MARKER}"${']'.repeat(5000)}}`;
    assertProblem(await send({ headers: JSON_TYPE, body }), 400, 'MALFORMED_BODY');
  });

  it('invalid UTF-8 bytes are refused with 400 MALFORMED_BODY', async () => {
    const body = Buffer.concat([
      Buffer.from(`{"name":"${MARKER}`),
      Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
      Buffer.from('"}'),
    ]);
    assertProblem(await send({ headers: JSON_TYPE, body }), 400, 'MALFORMED_BODY');
  });

  it('non-JSON sent as application/json is refused with 400 MALFORMED_BODY', async () => {
    assertProblem(await send({ headers: JSON_TYPE, body: `name=${MARKER}&age=3` }), 400, 'MALFORMED_BODY');
    assertProblem(await send({ headers: JSON_TYPE, body: `<name>${MARKER}</name>` }), 400, 'MALFORMED_BODY');
  });

  for (const [label, body] of [
    ['a JSON array', `["${MARKER}"]`],
    ['a JSON string', `"${MARKER}"`],
    ['JSON null', 'null'],
    ['a JSON number', '12345'],
  ] as const) {
    it(`${label} instead of an object is refused with 422 at the root`, async () => {
      const problem = assertProblem(await send({ headers: JSON_TYPE, body }), 422, 'VALIDATION_FAILED');
      assert.deepEqual(problem.errors, [{ path: '', message: 'Expected object' }]);
    });
  }

  it('mass assignment: unknown fields are refused with 422 and hostile key names are not echoed', async () => {
    const response = await send({
      headers: JSON_TYPE,
      body: JSON.stringify({ name: 'ok', roles: ['admin'], isActive: true, [MARKER]: MARKER }),
    });
    const problem = assertProblem(response, 422, 'VALIDATION_FAILED');
    assert.deepEqual(problem.errors, [
      { path: 'roles', message: 'Unknown field' },
      { path: 'isActive', message: 'Unknown field' },
      { path: '<key>', message: 'Unknown field' },
    ]);
  });

  it('prototype pollution: a __proto__ member is an unknown field and pollutes nothing', async () => {
    const response = await send({
      headers: JSON_TYPE,
      body: `{"name":"ok","__proto__":{"isAdmin":"${MARKER}"}}`,
    });
    const problem = assertProblem(response, 422, 'VALIDATION_FAILED');
    assert.deepEqual(problem.errors, [{ path: '__proto__', message: 'Unknown field' }]);
    assert.equal((Object.prototype as Record<string, unknown>).isAdmin, undefined);
  });

  it('wrong types are refused with 422 and fixed messages', async () => {
    const response = await send({
      headers: JSON_TYPE,
      body: JSON.stringify({ name: { [MARKER]: 1 }, age: MARKER }),
    });
    const problem = assertProblem(response, 422, 'VALIDATION_FAILED');
    assert.deepEqual(problem.errors, [
      { path: 'name', message: 'Expected string' },
      { path: 'age', message: 'Expected number' },
    ]);
  });

  it('huge field names are refused with 422 and reported by a placeholder', async () => {
    const hugeKey = `${MARKER}${'k'.repeat(12_000)}`;
    const response = await send({ headers: JSON_TYPE, body: JSON.stringify({ name: 'ok', [hugeKey]: 1 }) });
    const problem = assertProblem(response, 422, 'VALIDATION_FAILED');
    assert.deepEqual(problem.errors, [{ path: '<key>', message: 'Unknown field' }]);
    assert.ok(response.body.length < 1000);
  });

  it('a value past its maximum length is refused with 422 without quoting it', async () => {
    const response = await send({ headers: JSON_TYPE, body: JSON.stringify({ name: MARKER.repeat(50) }) });
    const problem = assertProblem(response, 422, 'VALIDATION_FAILED');
    assert.deepEqual(problem.errors, [{ path: 'name', message: 'Must be at most 100 characters' }]);
  });

  it('hostile paths and methods get 404 or 405 without echo', async () => {
    assertProblem(
      await send({ method: 'GET', path: `/auth/${encodeURIComponent(MARKER)}%ff%fe` }),
      404,
      'NOT_FOUND',
    );
    const wrongMethod = await send({
      method: 'PUT',
      path: '/auth/profile',
      headers: JSON_TYPE,
      body: `{"name":"${MARKER}"}`,
    });
    assertProblem(wrongMethod, 405, 'METHOD_NOT_ALLOWED');
    assert.equal(wrongMethod.headers.allow, 'POST');
  });

  it('a hostile X-Request-Id is replaced, not reflected', async () => {
    const response = await send({
      headers: { ...JSON_TYPE, 'X-Request-Id': `${MARKER}<script>` },
      body: '[',
    });
    assertProblem(response, 400, 'MALFORMED_BODY');
    assert.equal(response.headers['x-request-id']?.includes(MARKER), false);
  });

  it('garbage bytes instead of a request are refused by the HTTP parser without echo', async () => {
    const connection = await RawConnection.open(port);
    try {
      connection.write(`\u0000\u0001${MARKER} \r\n\r\n`);
      const response = await connection.readResponse();
      assert.equal(response.status, 400);
      assertNoEcho(response);
    } finally {
      connection.destroy();
    }
  });

  it('a valid request still succeeds after all of the above, and nothing was logged as an error', async () => {
    const response = await send({ headers: JSON_TYPE, body: JSON.stringify({ name: 'Ada', age: 36 }) });
    assert.equal(response.status, 200);
    assert.deepEqual(JSON.parse(response.body), { saved: 3 });
    assert.deepEqual(errorLines, []);
  });
});
