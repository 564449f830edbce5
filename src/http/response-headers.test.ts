import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routeResponse, setCommonHeaders } from './response-headers.ts';

/** The headers `setCommonHeaders` gives the same answer built the old way, for comparison. */
function builtAfterwards(
  headers: ConstructorParameters<typeof Headers>[0],
  requestId: string,
  body: unknown,
): Headers {
  const built = new Headers(headers);
  if (body !== undefined && !built.has('Content-Type')) built.set('Content-Type', 'application/json');
  setCommonHeaders(built, requestId);
  return built;
}

describe('routeResponse', () => {
  it('carries the JSON body, the status and the headers setCommonHeaders would add', async () => {
    const response = routeResponse({ status: 201, body: { ok: true } }, { requestId: 'req-1' });
    assert.equal(response.status, 201);
    assert.deepEqual(await response.json(), { ok: true });
    assert.deepEqual([...response.headers], [...builtAfterwards(undefined, 'req-1', { ok: true })]);
    assert.equal(response.headers.get('Cache-Control'), 'no-store');
    assert.equal(response.headers.get('X-Request-Id'), 'req-1');
  });

  it('sends no body and no content type without a body', async () => {
    const response = routeResponse({ status: 204 }, { requestId: 'req-2' });
    assert.equal(response.body, null);
    assert.equal(response.headers.get('Content-Type'), null);
  });

  it("keeps a route's own Cache-Control and Content-Type, whatever their case", () => {
    const response = routeResponse(
      {
        status: 200,
        body: { keys: [] },
        headers: { 'cache-control': 'public, max-age=300', 'CONTENT-TYPE': 'application/jwk-set+json' },
      },
      { requestId: 'req-3' },
    );
    assert.equal(response.headers.get('Cache-Control'), 'public, max-age=300');
    assert.equal(response.headers.get('Content-Type'), 'application/jwk-set+json');
  });

  it('adds the rate-limit, handler and CORS headers in that order; every Set-Cookie line stays apart', () => {
    const handlerHeaders = new Headers();
    handlerHeaders.append('Set-Cookie', 'flow=; Max-Age=0');
    handlerHeaders.set('X-Extra', 'handler');
    const response = routeResponse(
      {
        status: 200,
        body: {},
        headers: [
          ['Set-Cookie', 'session=abc; HttpOnly'],
          ['X-Extra', 'route'],
          ['Vary', 'Accept'],
          ['Vary', 'Origin'],
        ],
      },
      {
        requestId: 'req-4',
        limitHeaders: { RateLimit: 'limit=10, remaining=9, reset=60', 'X-Extra': 'limit' },
        handlerHeaders,
        crossOrigin: { vary: 'Origin', 'access-control-allow-origin': 'https://app.example.com' },
      },
    );
    assert.deepEqual(response.headers.getSetCookie(), ['session=abc; HttpOnly', 'flow=; Max-Age=0']);
    assert.equal(response.headers.get('RateLimit'), 'limit=10, remaining=9, reset=60');
    assert.equal(response.headers.get('X-Extra'), 'handler');
    assert.equal(response.headers.get('Vary'), 'Accept, Origin, Origin', 'the CORS Vary appends');
    assert.equal(response.headers.get('Access-Control-Allow-Origin'), 'https://app.example.com');
  });

  it('the common headers win over a route setting them', () => {
    const response = routeResponse(
      { status: 200, headers: { 'X-Request-Id': 'forged', 'Referrer-Policy': 'unsafe-url' } },
      { requestId: 'req-5' },
    );
    assert.equal(response.headers.get('X-Request-Id'), 'req-5');
    assert.equal(response.headers.get('Referrer-Policy'), 'no-referrer');
  });

  it('refuses a header value Headers would refuse (a line break could inject a header)', () => {
    assert.throws(
      () =>
        routeResponse(
          { status: 200, headers: { Location: '/next\r\nSet-Cookie: x=1' } },
          { requestId: 'req-6' },
        ),
      TypeError,
    );
  });
});
