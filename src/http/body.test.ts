import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError } from '../core/errors/index.ts';
import { isJsonContentType, MAX_JSON_DEPTH, parseJsonBody, readBodyWithLimit } from './body.ts';

function streamedRequest(chunks: readonly Uint8Array[], onPull?: () => void): Request {
  let index = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      onPull?.();
      const chunk = chunks[index];
      index += 1;
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    },
  });
  return new Request('http://localhost/', { method: 'POST', body, duplex: 'half' } as RequestInit);
}

async function rejectsWithCode(promise: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  await assert.rejects(
    async () => (typeof promise === 'function' ? promise() : promise),
    (error: unknown) => error instanceof AuthError && error.code === code,
  );
}

describe('isJsonContentType', () => {
  it('isJsonContentType - should accept application/json with or without a UTF-8 charset', () => {
    for (const value of [
      'application/json',
      'Application/JSON',
      'application/json; charset=utf-8',
      'application/json;charset=UTF-8',
      'application/json; charset="utf-8"',
      'application/json; foo=bar',
    ]) {
      assert.equal(isJsonContentType(value), true, value);
    }
  });

  it('isJsonContentType - should refuse other media types and other charsets', () => {
    for (const value of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json-patch+json',
      'application/jsonx',
      'application/json; charset=latin1',
      'application/json; charset=utf-16',
      'application/json; charset',
      '',
    ]) {
      assert.equal(isJsonContentType(value), false, value);
    }
  });
});

describe('readBodyWithLimit', () => {
  it('readBodyWithLimit - should return the whole body when it fits', async () => {
    const bytes = await readBodyWithLimit(
      streamedRequest([new Uint8Array([1, 2]), new Uint8Array([3]), new Uint8Array([4, 5])]),
      5,
    );
    assert.deepEqual([...bytes], [1, 2, 3, 4, 5]);
  });

  it('readBodyWithLimit - should stop reading as soon as a stream without length passes the limit', async () => {
    let pulls = 0;
    const chunks = Array.from({ length: 100 }, () => new Uint8Array(1024));
    await rejectsWithCode(
      readBodyWithLimit(
        streamedRequest(chunks, () => {
          pulls += 1;
        }),
        4096,
      ),
      'PAYLOAD_TOO_LARGE',
    );
    assert.ok(pulls <= 7, `read ${pulls} chunks of 1 KiB for a 4 KiB limit`);
  });

  it('readBodyWithLimit - should answer an empty body for a request without one', async () => {
    const bytes = await readBodyWithLimit(new Request('http://localhost/', { method: 'POST' }), 10);
    assert.equal(bytes.byteLength, 0);
  });

  it('readBodyWithLimit - should turn a failing stream into MALFORMED_BODY', async () => {
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('aborted'));
      },
    });
    const request = new Request('http://localhost/', { method: 'POST', body, duplex: 'half' } as RequestInit);
    await rejectsWithCode(readBodyWithLimit(request, 10), 'MALFORMED_BODY');
  });
});

describe('parseJsonBody', () => {
  const encode = (text: string) => new TextEncoder().encode(text);

  it('parseJsonBody - should parse JSON and ignore a byte order mark', () => {
    assert.deepEqual(parseJsonBody(encode('{"a":[1,"x"]}')), { a: [1, 'x'] });
    assert.deepEqual(parseJsonBody(new Uint8Array([0xef, 0xbb, 0xbf, ...encode('{}')])), {});
  });

  it('parseJsonBody - should refuse invalid UTF-8 and invalid JSON with MALFORMED_BODY', async () => {
    await rejectsWithCode(() => parseJsonBody(new Uint8Array([0x7b, 0xff, 0x7d])), 'MALFORMED_BODY');
    await rejectsWithCode(() => parseJsonBody(encode('{"a":')), 'MALFORMED_BODY');
    await rejectsWithCode(() => parseJsonBody(encode("{'a':1}")), 'MALFORMED_BODY');
  });

  it('parseJsonBody - should refuse nesting deeper than the limit but accept it at the limit', async () => {
    const nested = (depth: number) => encode('['.repeat(depth) + ']'.repeat(depth));
    assert.ok(Array.isArray(parseJsonBody(nested(MAX_JSON_DEPTH))));
    await rejectsWithCode(() => parseJsonBody(nested(MAX_JSON_DEPTH + 1)), 'MALFORMED_BODY');
    // Brackets inside strings (escaped quotes included) do not count.
    const inString = encode(JSON.stringify({ a: `\\"${'['.repeat(MAX_JSON_DEPTH * 2)}` }));
    assert.equal(typeof parseJsonBody(inString), 'object');
  });
});
