import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { readFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { describe, it, mock } from 'node:test';
import {
  canonicalRequest,
  createBodyHasher,
  EMPTY_BODY_SHA256_HEX,
  formatSignatureHeader,
  generateNonce,
  isRequestBodyError,
  MAX_SIGNATURE_HEADER_LENGTH,
  parseSignatureHeader,
  RequestBodyError,
  type SignatureHeader,
  type SigningInput,
  sha256Hex,
  signRequest,
  verifySignature,
} from './request-signing.ts';

interface SigningVectors {
  keyId: string;
  secretBase64Url: string;
  secretHex: string;
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
    bodySha256Hex: string;
    canonicalRequestLines: string[];
    signature: string;
    authorization: string;
  }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../test/vectors/request-signing.json', import.meta.url), 'utf8'),
) as SigningVectors;

const SECRET = Buffer.from('signing secret of thirty-two+ bytes for the tests');
const OTHER_SECRET = Buffer.from('another signing secret of 32+ bytes, never ours');
const NONCE = 'q3mAWvxyFDyWQyDNs1aj3g';
const TS = 1_767_225_600;

/** A GET input with only `host` signed; `overrides` replace single fields. */
function getInput(overrides: Partial<SigningInput> = {}): SigningInput {
  return {
    method: 'GET',
    url: new URL('https://api.example.com/v1/orders?status=open'),
    headers: new Headers({ host: 'api.example.com' }),
    signedHeaders: ['host'],
    timestamp: TS,
    nonce: NONCE,
    bodySha256Hex: EMPTY_BODY_SHA256_HEX,
    ...overrides,
  };
}

const POST_BODY = '{"sku":"A-1","quantity":2}';

/** A POST JSON input signing host, content-type and x-tenant. */
function postInput(overrides: Partial<SigningInput> = {}): SigningInput {
  return {
    method: 'POST',
    url: new URL('https://api.example.com/v1/orders'),
    headers: new Headers({ host: 'api.example.com', 'content-type': 'application/json', 'x-tenant': 't1' }),
    signedHeaders: ['host', 'content-type', 'x-tenant'],
    timestamp: TS,
    nonce: NONCE,
    bodySha256Hex: sha256Hex(POST_BODY),
    ...overrides,
  };
}

/** Line `index` of the canonical string (0: scheme, 1: method, 2: path, 3: query, 4…: headers). */
function line(input: SigningInput, index: number): string | undefined {
  return canonicalRequest(input).split('\n')[index];
}

/** A URL whose `pathname` is whatever a framework handed over, not what the URL parser made of it. */
function rawPathUrl(rawPath: string): URL {
  const url = new URL('https://h/');
  Object.defineProperty(url, 'pathname', { get: () => rawPath });
  return url;
}

describe('worked examples (test/vectors/request-signing.json)', () => {
  const secret = Buffer.from(vectors.secretBase64Url, 'base64url');

  it('vectors - should hold the three examples, with a 32-byte secret spelled the same in both encodings', () => {
    assert.deepEqual(
      vectors.examples.map((example) => example.name),
      ['GET with a query', 'POST JSON', 'path with percent-encoding'],
    );
    assert.equal(secret.length, 32);
    assert.equal(secret.toString('hex'), vectors.secretHex);
  });

  for (const example of vectors.examples) {
    const { input } = example;
    const signingInput = (): SigningInput => ({
      method: input.method,
      url: new URL(input.url),
      headers: new Headers(input.headers),
      signedHeaders: input.signedHeaders,
      timestamp: input.timestamp,
      nonce: input.nonce,
      bodySha256Hex: input.body === null ? EMPTY_BODY_SHA256_HEX : sha256Hex(input.body),
    });

    it(`${example.name} - should give the body hash, canonical string, signature and header of the example`, () => {
      assert.equal(signingInput().bodySha256Hex, example.bodySha256Hex);
      assert.equal(canonicalRequest(signingInput()), example.canonicalRequestLines.join('\n'));
      const signature = signRequest(secret, signingInput());
      assert.equal(signature, example.signature);
      assert.equal(
        formatSignatureHeader({
          keyId: vectors.keyId,
          timestamp: input.timestamp,
          nonce: input.nonce,
          signedHeaders: input.signedHeaders,
          signature,
        }),
        example.authorization,
      );
    });

    it(`${example.name} - should parse back from its header and verify`, () => {
      const parsed = parseSignatureHeader(example.authorization);
      assert.deepEqual(parsed, {
        keyId: vectors.keyId,
        timestamp: input.timestamp,
        nonce: input.nonce,
        signedHeaders: input.signedHeaders,
        signature: example.signature,
      });
      assert.equal(verifySignature(secret, signingInput(), example.signature), true);
      assert.equal(verifySignature(OTHER_SECRET, signingInput(), example.signature), false);
    });
  }
});

describe('canonicalRequest', () => {
  it('should write scheme, method, path, query, signed headers, timestamp, nonce and body hash, one per line', () => {
    assert.equal(
      canonicalRequest(postInput()),
      [
        'GH1-HMAC-SHA256',
        'POST',
        '/v1/orders',
        '',
        'host:api.example.com',
        'content-type:application/json',
        'x-tenant:t1',
        String(TS),
        NONCE,
        sha256Hex(POST_BODY),
      ].join('\n'),
    );
  });

  it('should upper-case the method', () => {
    assert.equal(line(getInput({ method: 'get' }), 1), 'GET');
    assert.equal(line(postInput({ method: 'pAtCh' }), 1), 'PATCH');
  });

  it('should refuse a method that is not an HTTP token', () => {
    for (const method of ['', 'GET /', 'GE\nT', 'G:T', 'X'.repeat(33)])
      assert.throws(() => canonicalRequest(getInput({ method })), TypeError, JSON.stringify(method));
  });

  describe('path', () => {
    it('should keep the path as sent and only upper-case the hex of percent-escapes', () => {
      const url = new URL('https://api.example.com/v1/files/r%c3%a9sum%c3%a9/%7euser/%41/a%2fb/(x)');
      assert.equal(line(getInput({ url }), 2), '/v1/files/r%C3%A9sum%C3%A9/%7Euser/%41/a%2Fb/(x)');
    });

    it('should sign the escapes the URL parser adds for spaces and non-ASCII', () => {
      assert.equal(line(getInput({ url: new URL('https://h/é z') }), 2), '/%C3%A9%20z');
    });

    it('should keep a trailing slash and empty segments, which are different resources', () => {
      assert.equal(line(getInput({ url: new URL('https://h/a/') }), 2), '/a/');
      assert.equal(line(getInput({ url: new URL('https://h/a//b') }), 2), '/a//b');
      assert.equal(line(getInput({ url: new URL('https://h') }), 2), '/');
    });

    it('path confusion - should refuse dot segments (also percent-encoded) instead of resolving them', () => {
      for (const raw of [
        '/a/./b',
        '/a/../b',
        '/a/..',
        '/.',
        '/a/%2e%2E/b',
        '/a/.%2e/b',
        '/a/%2E/b',
        '/%2e%2e',
      ])
        assert.throws(() => canonicalRequest(getInput({ url: rawPathUrl(raw) })), /dot segment/, raw);
      // Dots that are not whole segments are ordinary characters.
      assert.equal(line(getInput({ url: rawPathUrl('/a/.well-known/..x') }), 2), '/a/.well-known/..x');
    });

    it('path confusion - should refuse a malformed percent-escape and raw bytes the URL parser would escape', () => {
      assert.throws(() => canonicalRequest(getInput({ url: new URL('https://h/a%zz') })), /percent-escape/);
      assert.throws(() => canonicalRequest(getInput({ url: new URL('https://h/a%2') })), /percent-escape/);
      for (const raw of ['/a b', '/a\tb', '/é', 'relative'])
        assert.throws(() => canonicalRequest(getInput({ url: rawPathUrl(raw) })), TypeError);
    });
  });

  describe('query', () => {
    const query = (search: string): string | undefined =>
      line(getInput({ url: new URL(`https://api.example.com/p${search}`) }), 3);

    it('should sort the parameters by name, then by value', () => {
      assert.equal(query('?tag=b&z=1&tag=a&a=2&tag=a'), 'a=2&tag=a&tag=a&tag=b&z=1');
    });

    it('should sort by the encoded forms, ordinally (upper case before lower case, escapes first)', () => {
      assert.equal(query('?b=1&B=2&a=3&%C3%A9=4&~=5&-=6'), '%C3%A9=4&-=6&B=2&a=3&b=1&~=5');
      assert.equal(query('?b=1&B=2&a=3'), 'B=2&a=3&b=1');
    });

    it('should read + as a space and encode every name and value per RFC 3986 with upper-case hex', () => {
      assert.equal(query('?q=red+shoes&plus=%2B&x=%7e&y=%2a'), 'plus=%2B&q=red%20shoes&x=~&y=%2A');
      assert.equal(query("?s=!'()*"), 's=%21%27%28%29%2A');
      assert.equal(query('?k%c3%a9y=%e2%82%ac'), 'k%C3%A9y=%E2%82%AC');
      assert.equal(query('?a=b%3Dc%26d'), 'a=b%3Dc%26d');
    });

    it('should give equal strings for spellings an application cannot tell apart', () => {
      assert.equal(query('?a=%41'), query('?a=A'));
      assert.equal(query('?q=a+b'), query('?q=a%20b'));
      assert.equal(query('?a'), query('?a='));
      assert.equal(query('?a=1&&b=2&'), query('?a=1&b=2'));
    });

    it('should keep values with = and values that differ only after decoding apart', () => {
      assert.equal(query('?a==b='), 'a=%3Db%3D');
      assert.notEqual(query('?a=%2B'), query('?a=+'));
    });

    it('should give an empty line without a query', () => {
      assert.equal(query(''), '');
      assert.equal(query('?'), '');
    });

    it('should refuse malformed escapes and escapes that are not UTF-8', () => {
      for (const search of ['?a=%zz', '?a=%2', '?%=1', '?a=%FF', '?a=%C3', '?a=%ED%A0%80', '?a=%C0%AF'])
        assert.throws(
          () => canonicalRequest(getInput({ url: new URL(`https://h/p${search}`) })),
          TypeError,
          search,
        );
    });
  });

  describe('headers', () => {
    it('should write the signed headers in the order of the list, lower-case names', () => {
      const headers = new Headers({ Host: 'api.example.com', 'X-B': 'b', 'X-A': 'a' });
      assert.deepEqual(
        canonicalRequest(getInput({ headers, signedHeaders: ['x-b', 'host', 'x-a'] }))
          .split('\n')
          .slice(4, 7),
        ['x-b:b', 'host:api.example.com', 'x-a:a'],
      );
    });

    it('should trim values and collapse inner runs of spaces and tabs to one space', () => {
      const headers = new Headers({ host: 'h', 'x-note': ' \t a \t\t b  c\t' });
      assert.equal(line(getInput({ headers, signedHeaders: ['host', 'x-note'] }), 5), 'x-note:a b c');
    });

    it('should leave other characters alone (a no-break space is not whitespace here)', () => {
      const headers = new Headers({ host: 'h', 'x-note': 'a\u00a0 b' });
      assert.equal(line(getInput({ headers, signedHeaders: ['host', 'x-note'] }), 5), 'x-note:a\u00a0 b');
    });

    it('should sign repeated headers as one comma-joined value, as Headers combines them', () => {
      const headers = new Headers([
        ['host', 'h'],
        ['x-list', 'one'],
        ['x-list', 'two'],
      ]);
      assert.equal(line(getInput({ headers, signedHeaders: ['host', 'x-list'] }), 5), 'x-list:one, two');
    });

    it('should sign an empty value as an empty value', () => {
      const headers = new Headers({ host: 'h', 'x-empty': '' });
      assert.equal(line(getInput({ headers, signedHeaders: ['host', 'x-empty'] }), 5), 'x-empty:');
    });

    it('should refuse a list without host', () => {
      const headers = new Headers({ host: 'h', 'x-a': 'a' });
      assert.throws(() => canonicalRequest(getInput({ headers, signedHeaders: ['x-a'] })), /host/);
    });

    it('should refuse a list without content-type when there is a body', () => {
      assert.throws(
        () => canonicalRequest(postInput({ signedHeaders: ['host', 'x-tenant'] })),
        /content-type/,
      );
      const headers = new Headers({ host: 'h' });
      assert.throws(
        () => canonicalRequest(postInput({ headers, signedHeaders: ['host'] })),
        /content-type/,
        'a body without a Content-Type header still needs one signed',
      );
    });

    it('should refuse a list without content-type when the request declares one, even without a body', () => {
      const headers = new Headers({ host: 'h', 'content-type': 'application/json' });
      assert.throws(() => canonicalRequest(getInput({ headers })), /content-type/);
      assert.doesNotThrow(() =>
        canonicalRequest(getInput({ headers, signedHeaders: ['host', 'content-type'] })),
      );
    });

    it('should refuse a signed header the request does not have', () => {
      assert.throws(
        () => canonicalRequest(getInput({ signedHeaders: ['host', 'x-absent'] })),
        /missing from the request/,
      );
    });

    it('should refuse malformed lists: empty, upper case, duplicates, authorization, non-tokens', () => {
      const headers = new Headers({ host: 'h', authorization: 'x', 'x-a': 'a' });
      for (const signedHeaders of [
        [],
        ['Host'],
        ['host', 'host'],
        ['host', 'authorization'],
        ['host', 'x a'],
        ['host', ''],
        ['host', 'x:a'],
        Array.from({ length: 33 }, (_, index) => (index === 0 ? 'host' : `x-${index}`)),
      ])
        assert.throws(
          () => canonicalRequest(getInput({ headers, signedHeaders })),
          TypeError,
          JSON.stringify(signedHeaders),
        );
    });
  });

  it('should refuse timestamps that are not positive whole seconds', () => {
    for (const timestamp of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 1_767_225_600_000_000, '1'])
      assert.throws(
        () => canonicalRequest(getInput({ timestamp: timestamp as number })),
        TypeError,
        String(timestamp),
      );
  });

  it('should refuse nonces shorter than 16 bytes, longer than 64, or not canonical base64url', () => {
    for (const nonce of [
      Buffer.alloc(15, 7).toString('base64url'),
      Buffer.alloc(65, 7).toString('base64url'),
      `${NONCE.slice(0, 21)}B`, // the 4 unused bits of the last character are not zero
      `${NONCE}AAA`, // 25 characters are not whole bytes
      `${NONCE}=`,
      `${NONCE.slice(0, 5)}/${NONCE.slice(6)}`,
      '',
    ])
      assert.throws(() => canonicalRequest(getInput({ nonce })), /nonce/, nonce);
    for (const bytes of [16, 17, 64])
      assert.doesNotThrow(() =>
        canonicalRequest(getInput({ nonce: Buffer.alloc(bytes, 7).toString('base64url') })),
      );
  });

  it('should refuse a body hash that is not 64 lower-case hex digits', () => {
    for (const bodySha256Hex of [EMPTY_BODY_SHA256_HEX.toUpperCase(), EMPTY_BODY_SHA256_HEX.slice(1), ''])
      assert.throws(() => canonicalRequest(getInput({ bodySha256Hex })), /bodySha256Hex/);
  });

  it('should never quote the input in its error messages', () => {
    const marker = 'zq9marker';
    const attempts: (() => unknown)[] = [
      () => canonicalRequest(getInput({ method: `${marker} ` })),
      () => canonicalRequest(getInput({ url: new URL(`https://h/${marker}%zz`) })),
      () => canonicalRequest(getInput({ url: new URL(`https://h/p?${marker}=%FF`) })),
      () => canonicalRequest(getInput({ signedHeaders: ['host', `x-${marker}`] })),
      () => canonicalRequest(getInput({ nonce: marker })),
    ];
    for (const attempt of attempts)
      assert.throws(attempt, (error: Error) => error instanceof TypeError && !error.message.includes(marker));
  });
});

describe('signRequest and verifySignature', () => {
  it('should give a 43-character base64url HMAC-SHA-256 of the canonical string, which verifies', () => {
    const signature = signRequest(SECRET, postInput());
    assert.match(signature, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(
      signature,
      crypto.createHmac('sha256', SECRET).update(canonicalRequest(postInput())).digest('base64url'),
    );
    assert.equal(verifySignature(SECRET, postInput(), signature), true);
  });

  describe('tampering (a captured request altered in transit)', () => {
    const signature = signRequest(SECRET, postInput());
    const cases: [string, SigningInput][] = [
      ['method', postInput({ method: 'PUT' })],
      ['path', postInput({ url: new URL('https://api.example.com/v1/orders/') })],
      ['path escape', postInput({ url: new URL('https://api.example.com/v1/order%73') })],
      ['query added', postInput({ url: new URL('https://api.example.com/v1/orders?dryRun=false') })],
      [
        'host',
        postInput({
          headers: new Headers({
            host: 'evil.example',
            'content-type': 'application/json',
            'x-tenant': 't1',
          }),
        }),
      ],
      ['body', postInput({ bodySha256Hex: sha256Hex('{"sku":"A-1","quantity":20}') })],
      [
        'content type',
        postInput({
          headers: new Headers({ host: 'api.example.com', 'content-type': 'text/plain', 'x-tenant': 't1' }),
        }),
      ],
      [
        'signed header value',
        postInput({
          headers: new Headers({
            host: 'api.example.com',
            'content-type': 'application/json',
            'x-tenant': 't2',
          }),
        }),
      ],
      [
        'signed header dropped from the request',
        postInput({ headers: new Headers({ host: 'api.example.com', 'content-type': 'application/json' }) }),
      ],
      ['signed header dropped from the list', postInput({ signedHeaders: ['host', 'content-type'] })],
      ['signed headers reordered', postInput({ signedHeaders: ['content-type', 'host', 'x-tenant'] })],
      ['timestamp', postInput({ timestamp: TS + 1 })],
      ['nonce', postInput({ nonce: generateNonce() })],
    ];
    for (const [what, tampered] of cases) {
      it(`tampered ${what} - should change the signature and fail verification`, () => {
        assert.equal(verifySignature(SECRET, tampered, signature), false);
        let other: string | undefined;
        try {
          other = signRequest(SECRET, tampered);
        } catch {
          // The signer refuses some tampered inputs outright (a dropped header): no signature exists.
          return;
        }
        assert.notEqual(other, signature);
      });
    }

    it('tampered query value - should change the signature of a GET', () => {
      const signature = signRequest(SECRET, getInput());
      const tampered = getInput({ url: new URL('https://api.example.com/v1/orders?status=closed') });
      assert.notEqual(signRequest(SECRET, tampered), signature);
      assert.equal(verifySignature(SECRET, tampered, signature), false);
    });

    it('unsigned header changed - should not affect the signature (only listed headers are covered)', () => {
      const signature = signRequest(SECRET, getInput());
      const headers = new Headers({ host: 'api.example.com', 'user-agent': 'something else' });
      assert.equal(verifySignature(SECRET, getInput({ headers }), signature), true);
    });
  });

  it('weak signing rules - should refuse a list without host even when the MAC over it is right', () => {
    const input = getInput({ signedHeaders: ['x-a'], headers: new Headers({ host: 'h', 'x-a': 'a' }) });
    const canonical = ['GH1-HMAC-SHA256', 'GET', '/v1/orders', 'status=open', 'x-a:a', String(TS), NONCE];
    const mac = crypto
      .createHmac('sha256', SECRET)
      .update([...canonical, EMPTY_BODY_SHA256_HEX].join('\n'))
      .digest('base64url');
    assert.equal(verifySignature(SECRET, input, mac), false);
  });

  it('weak signing rules - should refuse a body whose content type was left unsigned', () => {
    const input = postInput({ signedHeaders: ['host'] });
    const canonical = [
      'GH1-HMAC-SHA256',
      'POST',
      '/v1/orders',
      '',
      'host:api.example.com',
      String(TS),
      NONCE,
      sha256Hex(POST_BODY),
    ];
    const mac = crypto.createHmac('sha256', SECRET).update(canonical.join('\n')).digest('base64url');
    assert.equal(verifySignature(SECRET, input, mac), false);
  });

  it('should answer false for a wrong secret and for presented values that are not a canonical 32-byte MAC', () => {
    const signature = signRequest(SECRET, getInput());
    assert.equal(verifySignature(OTHER_SECRET, getInput(), signature), false);
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    for (const presented of [
      flipped,
      `${signature}=`,
      signature.slice(0, 42),
      `${signature}A`,
      signature.replace(/-/g, '+').replace(/_/g, '/'),
      Buffer.from(signature, 'base64url').toString('hex'),
      '',
      42 as unknown as string,
    ])
      if (presented !== signature) assert.equal(verifySignature(SECRET, getInput(), presented), false);
  });

  it('should answer false, not throw, for request input the signer would refuse', () => {
    const signature = signRequest(SECRET, getInput());
    assert.equal(
      verifySignature(SECRET, getInput({ signedHeaders: ['host', 'x-absent'] }), signature),
      false,
    );
    assert.equal(verifySignature(SECRET, getInput({ url: new URL('https://h/%zz') }), signature), false);
    assert.equal(verifySignature(SECRET, getInput({ nonce: 'short' }), signature), false);
    assert.equal(verifySignature(SECRET, null as unknown as SigningInput, signature), false);
  });

  it('should refuse signing secrets shorter than 32 bytes, on both sides', () => {
    for (const secret of [Buffer.alloc(31, 1), new Uint8Array(0), 'a'.repeat(40) as unknown as Uint8Array]) {
      assert.throws(() => signRequest(secret, getInput()), TypeError);
      assert.throws(() => verifySignature(secret, getInput(), 'A'.repeat(43)), TypeError);
    }
  });

  describe('timing (forging a MAC byte by byte through response times)', () => {
    it('should compare the full MACs with timingSafeEqual, never with ===', () => {
      const spy = mock.method(crypto, 'timingSafeEqual');
      // Named imports of a builtin see a replaced export only after this sync.
      syncBuiltinESMExports();
      try {
        const signature = signRequest(SECRET, getInput());
        const wrong = `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`;
        assert.equal(verifySignature(SECRET, getInput(), wrong), false);
        assert.equal(verifySignature(SECRET, getInput(), signature), true);
        assert.equal(spy.mock.callCount(), 2);
        for (const call of spy.mock.calls) {
          const [left, right] = call.arguments as [Uint8Array, Uint8Array];
          assert.equal(left.byteLength, 32);
          assert.equal(right.byteLength, 32);
        }
      } finally {
        spy.mock.restore();
        syncBuiltinESMExports();
      }
    });
  });
});

describe('parseSignatureHeader', () => {
  const parts: SignatureHeader = {
    keyId: 'RDjavJFreECZMoKwG6Zu4Q',
    timestamp: TS,
    nonce: NONCE,
    signedHeaders: ['host', 'content-type'],
    signature: signRequest(SECRET, getInput()),
  };
  const header = formatSignatureHeader(parts);
  const params = {
    keyId: parts.keyId,
    ts: String(TS),
    nonce: NONCE,
    headers: 'host;content-type',
    signature: parts.signature,
  };
  /** A header from `entries` in this order, joined with `, `. */
  const build = (entries: [string, string][], scheme = 'GH1-HMAC-SHA256'): string =>
    `${scheme} ${entries.map(([name, value]) => `${name}=${value}`).join(', ')}`;
  const withParam = (name: string, value: string): string =>
    build(Object.entries({ ...params, [name]: value }) as [string, string][]);

  it('should read what formatSignatureHeader writes', () => {
    assert.equal(
      header,
      `GH1-HMAC-SHA256 keyId=${parts.keyId}, ts=${TS}, nonce=${NONCE}, headers=host;content-type, signature=${parts.signature}`,
    );
    assert.deepEqual(parseSignatureHeader(header), parts);
  });

  it('should accept the parameters in any order, any letter case of the scheme, and optional spaces or tabs', () => {
    const reversed = build((Object.entries(params) as [string, string][]).reverse());
    assert.deepEqual(parseSignatureHeader(reversed), parts);
    assert.deepEqual(parseSignatureHeader(header.replace('GH1-HMAC-SHA256', 'gh1-hmac-sha256')), parts);
    assert.deepEqual(
      parseSignatureHeader(header.replaceAll(', ', ' ,\t ').replace(' keyId', '   keyId')),
      parts,
    );
    assert.deepEqual(parseSignatureHeader(header.replaceAll(', ', ',')), parts);
  });

  it('should return null for another scheme or a scheme without parameters', () => {
    for (const value of [
      header.replace('GH1-HMAC-SHA256', 'Bearer'),
      header.replace('GH1-HMAC-SHA256', 'GH2-HMAC-SHA256'),
      header.replace('GH1-HMAC-SHA256 ', 'GH1-HMAC-SHA256,'),
      header.replace('GH1-HMAC-SHA256 ', 'GH1-HMAC-SHA256\t'),
      'GH1-HMAC-SHA256',
      'GH1-HMAC-SHA256 ',
      '',
    ])
      assert.equal(parseSignatureHeader(value), null, value);
  });

  it('should return null when a parameter is missing, repeated, unknown or empty', () => {
    const entries = Object.entries(params) as [string, string][];
    for (const name of Object.keys(params))
      assert.equal(
        parseSignatureHeader(build(entries.filter(([key]) => key !== name))),
        null,
        `without ${name}`,
      );
    assert.equal(parseSignatureHeader(`${header}, ts=${TS}`), null, 'ts twice, same value');
    assert.equal(parseSignatureHeader(`${header}, keyId=other`), null, 'keyId twice');
    assert.equal(parseSignatureHeader(`${header}, extra=1`), null, 'unknown parameter');
    assert.equal(parseSignatureHeader(`${header}, KEYID=x`), null, 'names are case-sensitive');
    assert.equal(parseSignatureHeader(`${header},`), null, 'trailing comma');
    assert.equal(parseSignatureHeader(header.replace(', ts=', ',, ts=')), null, 'empty item');
    for (const name of Object.keys(params))
      assert.equal(parseSignatureHeader(withParam(name, '')), null, name);
  });

  it('should return null for quoted values and spaces around =', () => {
    assert.equal(parseSignatureHeader(withParam('keyId', `"${params.keyId}"`)), null);
    assert.equal(parseSignatureHeader(header.replace('ts=', 'ts =')), null);
    assert.equal(parseSignatureHeader(header.replace('ts=', 'ts= ')), null);
  });

  it('should return null for a key id that is not 1–128 base64url characters', () => {
    for (const keyId of ['a.b', 'a b', 'é', 'a'.repeat(129), 'gh_live_x.y'])
      assert.equal(parseSignatureHeader(withParam('keyId', keyId)), null, keyId);
    assert.equal(parseSignatureHeader(withParam('keyId', 'gh_live_AbC-1'))?.keyId, 'gh_live_AbC-1');
  });

  it('should return null for a timestamp that is not positive whole seconds in plain decimal', () => {
    for (const ts of ['0', '-1', '+1', '01767225600', '1767225600.0', '1e9', '0x10', '123456789012', ' 1'])
      assert.equal(parseSignatureHeader(withParam('ts', ts)), null, ts);
    assert.equal(parseSignatureHeader(withParam('ts', '99999999999'))?.timestamp, 99_999_999_999);
  });

  it('should return null for nonces under 128 bits, over 64 bytes or not canonical base64url', () => {
    for (const nonce of [
      Buffer.alloc(15, 9).toString('base64url'),
      Buffer.alloc(65, 9).toString('base64url'),
      `${NONCE.slice(0, 21)}B`,
      `${NONCE}==`,
      Buffer.alloc(16, 0xfb).toString('base64'),
    ])
      assert.equal(parseSignatureHeader(withParam('nonce', nonce)), null, nonce);
  });

  it('should return null for a signature that is not a canonical 32-byte base64url value', () => {
    const signature = params.signature;
    for (const value of [
      `${signature}=`,
      signature.slice(0, 42),
      `${signature}A`,
      `${signature.slice(0, 42)}B`,
      Buffer.from(signature, 'base64url')
        .toString('base64')
        .replace(/=+$/, '')
        .replace(/[A-Za-z0-9_-]/, '+'),
    ])
      assert.equal(parseSignatureHeader(withParam('signature', value)), null, value);
  });

  it('should return null for a header list that is empty-itemed, upper-case, repeated or signs authorization', () => {
    for (const headers of [
      'host;',
      ';host',
      'host;;content-type',
      'Host',
      'host;host',
      'host;authorization',
      'host content-type',
      'host,content-type',
      Array.from({ length: 33 }, (_, index) => `x-${index}`).join(';'),
    ])
      assert.equal(parseSignatureHeader(withParam('headers', headers)), null, headers);
    // The parser checks shapes only; the verifier insists on host.
    assert.deepEqual(parseSignatureHeader(withParam('headers', 'x-a'))?.signedHeaders, ['x-a']);
  });

  it('should refuse values past the length cap without reading them, and never throw', () => {
    assert.equal(parseSignatureHeader(`${header}${' '.repeat(MAX_SIGNATURE_HEADER_LENGTH)}`), null);
    for (const value of [undefined, null, 42, {}, ['GH1-HMAC-SHA256 a=b']])
      assert.equal(parseSignatureHeader(value as unknown as string), null);
  });
});

describe('formatSignatureHeader', () => {
  it('should refuse parts the parser would refuse', () => {
    const good: SignatureHeader = {
      keyId: 'key',
      timestamp: TS,
      nonce: NONCE,
      signedHeaders: ['host'],
      signature: signRequest(SECRET, getInput()),
    };
    assert.doesNotThrow(() => formatSignatureHeader(good));
    for (const bad of [
      { keyId: 'a,b' },
      { keyId: '' },
      { timestamp: 0 },
      { timestamp: 1.5 },
      { nonce: 'short' },
      { signedHeaders: [] },
      { signedHeaders: ['host;x'] },
      { signature: `${good.signature}=` },
    ])
      assert.throws(() => formatSignatureHeader({ ...good, ...bad }), TypeError, JSON.stringify(bad));
  });
});

describe('generateNonce', () => {
  it('should return fresh 16-byte canonical base64url nonces that canonicalRequest accepts', () => {
    const nonces = Array.from({ length: 100 }, () => generateNonce());
    assert.equal(new Set(nonces).size, nonces.length);
    for (const nonce of nonces) {
      assert.match(nonce, /^[A-Za-z0-9_-]{21}[AQgw]$/);
      assert.doesNotThrow(() => canonicalRequest(getInput({ nonce })));
    }
  });
});

describe('sha256Hex', () => {
  it('should hash strings as UTF-8 and bytes as they are', () => {
    assert.equal(sha256Hex(''), EMPTY_BODY_SHA256_HEX);
    assert.equal(sha256Hex(new Uint8Array(0)), EMPTY_BODY_SHA256_HEX);
    assert.equal(sha256Hex('é'), sha256Hex(new Uint8Array([0xc3, 0xa9])));
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('createBodyHasher', () => {
  /** A stream of `chunks`, counting how many were pulled. */
  function chunkStream(chunks: Uint8Array[]): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
    let index = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          const chunk = chunks[index];
          index += 1;
          if (chunk === undefined) controller.close();
          else controller.enqueue(chunk);
        },
      },
      { highWaterMark: 0 },
    );
    return { stream, pulled: () => index };
  }

  /** An endless stream of 1 KiB chunks, counting how many were pulled. */
  function endlessStream(): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
    let pulls = 0;
    const stream = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulls += 1;
          controller.enqueue(new Uint8Array(1024).fill(pulls & 0xff));
        },
      },
      { highWaterMark: 0 },
    );
    return { stream, pulled: () => pulls };
  }

  const rejectsWith = async (
    promise: Promise<unknown>,
    reason: RequestBodyError['reason'],
  ): Promise<void> => {
    await assert.rejects(promise, (error: unknown) => {
      assert.ok(isRequestBodyError(error));
      assert.ok(error instanceof RequestBodyError);
      assert.equal(error.reason, reason);
      return true;
    });
  };

  it('should hash a stream chunk by chunk and hand back the exact bytes', async () => {
    const text = '{"sku":"A-1","quantity":2}';
    const bytes = Buffer.from(text);
    const { stream } = chunkStream([bytes.subarray(0, 5), bytes.subarray(5, 6), bytes.subarray(6)]);
    const result = await createBodyHasher(1024).hash(stream);
    assert.equal(result.sha256Hex, sha256Hex(text));
    assert.deepEqual(Buffer.from(result.bytes), bytes);
  });

  it('should hash a Request body, and give the empty hash for no body at all', async () => {
    const hasher = createBodyHasher(1024);
    const request = new Request('https://h/p', { method: 'POST', body: 'hello' });
    const result = await hasher.hash(request);
    assert.equal(result.sha256Hex, sha256Hex('hello'));
    assert.equal(Buffer.from(result.bytes).toString(), 'hello');
    assert.equal((await hasher.hash(new Request('https://h/p'))).sha256Hex, EMPTY_BODY_SHA256_HEX);
    assert.equal((await hasher.hash(null)).sha256Hex, EMPTY_BODY_SHA256_HEX);
    assert.equal((await hasher.hash(null)).bytes.byteLength, 0);
    assert.equal((await hasher.hash(chunkStream([]).stream)).sha256Hex, EMPTY_BODY_SHA256_HEX);
  });

  it('should accept a body of exactly the limit', async () => {
    const { stream } = chunkStream([new Uint8Array(600), new Uint8Array(424)]);
    const result = await createBodyHasher(1024).hash(stream);
    assert.equal(result.bytes.byteLength, 1024);
  });

  it('oversized body - should reject with too_large one byte past the limit', async () => {
    const { stream } = chunkStream([new Uint8Array(600), new Uint8Array(425)]);
    await rejectsWith(createBodyHasher(1024).hash(stream), 'too_large');
    await rejectsWith(createBodyHasher(0).hash(chunkStream([new Uint8Array(1)]).stream), 'too_large');
  });

  it('oversized body - should stop reading an endless stream at the first chunk past the limit', async () => {
    const { stream, pulled } = endlessStream();
    await rejectsWith(createBodyHasher(10 * 1024).hash(stream), 'too_large');
    assert.ok(pulled() <= 12, `pulled ${pulled()} chunks for a 10-chunk limit`);
  });

  it('oversized body - should refuse a Request whose Content-Length exceeds the limit before reading', async () => {
    const { stream, pulled } = endlessStream();
    const request = new Request('https://h/p', {
      method: 'POST',
      body: stream,
      headers: { 'content-length': '1000001' },
      duplex: 'half',
    } as RequestInit);
    await rejectsWith(createBodyHasher(1_000_000).hash(request), 'too_large');
    assert.equal(pulled(), 0);
  });

  it('should reject with unreadable when the stream fails or yields something other than bytes', async () => {
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('connection reset'));
      },
    });
    await rejectsWith(createBodyHasher(1024).hash(failing), 'unreadable');
    const text = new ReadableStream<unknown>({
      start(controller) {
        controller.enqueue('not bytes');
        controller.close();
      },
    }) as ReadableStream<Uint8Array>;
    await rejectsWith(createBodyHasher(1024).hash(text), 'unreadable');
  });

  it('should refuse a Request whose body was already read', async () => {
    const request = new Request('https://h/p', { method: 'POST', body: 'x' });
    await request.text();
    await assert.rejects(createBodyHasher(1024).hash(request), TypeError);
  });

  it('should refuse limits that are not non-negative whole numbers', () => {
    for (const limit of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1024'])
      assert.throws(() => createBodyHasher(limit as number), TypeError, String(limit));
    assert.equal(createBodyHasher(16_384).limitBytes, 16_384);
  });

  it('should give fixed error messages', () => {
    assert.equal(new RequestBodyError('too_large').message, 'request body exceeds the size limit');
    assert.equal(isRequestBodyError(new Error('too_large')), false);
  });
});
