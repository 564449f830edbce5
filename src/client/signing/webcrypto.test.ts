/**
 * The WebCrypto signer (`gatehouse/client/signing`) against the Node one and the server: the
 * same signatures byte for byte — on the worked examples of test/vectors/request-signing.json,
 * on the one docs/API-KEYS.md prints, and on generated requests — and signed requests that a
 * real Gatehouse instance accepts (once: a replay is refused).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  createApiKey,
  createKeyOwner,
  type SigningKey,
  signingKeyOf,
} from '../../../test/fixtures/api-keys.ts';
import { createHarness, HARNESS_BASE_URL, type Harness } from '../../../test/fixtures/auth-harness.ts';
import * as nodeCrypto from '../../crypto/request-signing.ts';
import * as webcrypto from './index.ts';
import * as node from './node.ts';

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
    bodySha256Hex: string;
    canonicalRequestLines: string[];
    signature: string;
    authorization: string;
  }[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../../../test/vectors/request-signing.json', import.meta.url), 'utf8'),
) as SigningVectors;
const vectorSecret = Buffer.from(vectors.secretBase64Url, 'base64url');

/** The options of signedFetchInit that reproduce a worked example. */
function exampleOptions(example: SigningVectors['examples'][number]) {
  const { input } = example;
  return {
    keyId: vectors.keyId,
    secret: vectorSecret,
    method: input.method,
    url: input.url,
    headers: input.headers,
    body: input.body ?? undefined,
    now: input.timestamp * 1000 + 999,
    nonce: input.nonce,
    signedHeaders: input.signedHeaders.filter((name) => name !== 'host' && name !== 'content-type'),
  };
}

describe('the WebCrypto signer on the worked examples', () => {
  for (const example of vectors.examples) {
    it(`${example.name} - should give the vector's body hash, signature and Authorization header`, async () => {
      const { input } = example;
      const signingInput = {
        method: input.method,
        url: new URL(input.url),
        headers: new Headers(input.headers),
        signedHeaders: input.signedHeaders,
        timestamp: input.timestamp,
        nonce: input.nonce,
        bodySha256Hex: await webcrypto.sha256Hex(input.body ?? ''),
      };
      assert.equal(signingInput.bodySha256Hex, example.bodySha256Hex);
      assert.equal(webcrypto.canonicalRequest(signingInput), example.canonicalRequestLines.join('\n'));
      assert.equal(await webcrypto.signRequest(vectorSecret, signingInput), example.signature);
      const init = await webcrypto.signedFetchInit(exampleOptions(example));
      assert.equal(init.headers.get('authorization'), example.authorization);
      assert.equal(
        init.headers.get('authorization'),
        node.signedFetchInit(exampleOptions(example)).headers.get('authorization'),
      );
    });
  }

  it('docs/API-KEYS.md - the worked example printed there should be what the WebCrypto signer writes', async () => {
    const doc = readFileSync(new URL('../../../docs/API-KEYS.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf('### Worked example'));
    const printed = /^Authorization: (GH1-HMAC-SHA256 .+)$/m.exec(section)?.[1];
    assert.ok(printed, 'the worked example prints an Authorization header');
    const example = vectors.examples.find((candidate) => candidate.authorization === printed);
    assert.ok(example, 'the printed header is one of the vectors');
    const init = await webcrypto.signedFetchInit(exampleOptions(example));
    assert.equal(init.headers.get('authorization'), printed);
  });

  it('signedRequest - should sign a Request as signedFetchInit signs its parts', async () => {
    const example = vectors.examples.find((candidate) => candidate.input.body !== null);
    assert.ok(example);
    const options = exampleOptions(example);
    const request = new Request(options.url, {
      method: options.method,
      headers: options.headers,
      body: options.body ?? null,
    });
    const signed = await webcrypto.signedRequest(request, options);
    assert.equal(signed.headers.get('authorization'), example.authorization);
    assert.equal(await signed.text(), example.input.body);
    await assert.rejects(webcrypto.signedRequest(request, options), TypeError, 'a used body is refused');
  });
});

describe('the WebCrypto signer against the node:crypto one', () => {
  const token = fc.stringMatching(/^[A-Za-z0-9._~-]{1,12}$/);
  const requestParts = fc.record({
    method: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE', 'put'),
    segments: fc.array(fc.oneof(token, fc.constantFrom('caf%C3%A9', '%2f', 'a b', 'ü')), {
      minLength: 1,
      maxLength: 4,
    }),
    query: fc.array(fc.tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 })), { maxLength: 4 }),
    purpose: fc.string({ maxLength: 20 }).map((text) => text.replace(/[\r\n\0]/g, ' ')),
    body: fc.option(fc.oneof(fc.string({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 })), {
      nil: undefined,
    }),
    secret: fc.uint8Array({ minLength: 32, maxLength: 64 }),
    nonce: fc
      .uint8Array({ minLength: 16, maxLength: 64 })
      .map((bytes) => Buffer.from(bytes).toString('base64url')),
    seconds: fc.integer({ min: 1, max: 99_999_999_999 }),
  });

  it('signedFetchInit - should write the same Authorization header for any request', async () => {
    await fc.assert(
      fc.asyncProperty(requestParts, async (parts) => {
        const url = new URL(`https://api.example.com/${parts.segments.join('/')}`);
        for (const [name, value] of parts.query) url.searchParams.append(name, value);
        const options = {
          keyId: 'RDjavJFreECZMoKwG6Zu4Q',
          secret: parts.secret,
          method: parts.method,
          url,
          headers: { 'x-purpose': parts.purpose.trim() === '' ? 'none' : parts.purpose },
          body: parts.method === 'GET' ? undefined : parts.body,
          now: parts.seconds * 1000,
          nonce: parts.nonce,
          signedHeaders: ['X-Purpose'],
        };
        const fromWebCrypto = await webcrypto.signedFetchInit(options);
        const fromNode = node.signedFetchInit(options);
        assert.equal(fromWebCrypto.headers.get('authorization'), fromNode.headers.get('authorization'));
      }),
      { numRuns: 200 },
    );
  });

  it('sha256Hex - should hash strings as UTF-8 and bytes as they are, like node:crypto', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'grapheme' }), fc.uint8Array({ maxLength: 300 })),
        async (data) => {
          assert.equal(await webcrypto.sha256Hex(data), nodeCrypto.sha256Hex(data));
        },
      ),
      { numRuns: 200 },
    );
    assert.equal(await webcrypto.sha256Hex(''), webcrypto.EMPTY_BODY_SHA256_HEX);
  });

  it('generateNonce - should draw 16 fresh bytes as canonical base64url the server accepts', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 64; i++) {
      const nonce = webcrypto.generateNonce();
      assert.match(nonce, /^[A-Za-z0-9_-]{22}$/);
      assert.equal(Buffer.from(nonce, 'base64url').toString('base64url'), nonce);
      assert.equal(Buffer.from(nonce, 'base64url').length, 16);
      seen.add(nonce);
    }
    assert.equal(seen.size, 64, 'no nonce repeats');
  });

  it('refusals - should reject what the Node signer throws on, with the same messages', async () => {
    const base = { keyId: 'RDjavJFreECZMoKwG6Zu4Q', secret: vectorSecret, url: 'https://api.example.com/a' };
    const refused = [
      { ...base, method: 'GET', body: 'x' },
      { ...base, method: 'POST', headers: { authorization: 'Bearer x' } },
      { ...base, method: 'GET', headers: { host: 'evil.example' } },
      { ...base, method: 'GET', secret: new Uint8Array(31) },
      { ...base, method: 'GET', signedHeaders: ['x-absent'] },
      { ...base, method: 'GET', url: 'https://api.example.com/a%zz/b' },
      { ...base, method: 'GET', keyId: 'not a key id' },
      { ...base, method: 'GET', nonce: 'short' },
    ];
    for (const options of refused) {
      const thrown = (() => {
        try {
          node.signedFetchInit(options);
        } catch (error) {
          return error;
        }
        return undefined;
      })();
      assert.ok(thrown instanceof TypeError, 'the Node signer refuses it');
      await assert.rejects(webcrypto.signedFetchInit(options), {
        name: 'TypeError',
        message: thrown.message,
      });
    }
  });
});

describe('the WebCrypto signer against a real Gatehouse instance', () => {
  let h: Harness;
  let key: SigningKey;

  before(async () => {
    h = await createHarness();
    const owner = await createKeyOwner(h);
    key = signingKeyOf(await createApiKey(h, owner.token, { name: 'webcrypto signing key', signing: true }));
  });
  after(() => h.close());

  it('a signed GET with a query, then a signed PATCH with a body - should pass; a replay should be refused NONCE_REPLAYED', async () => {
    const meUrl = `${HARNESS_BASE_URL}/users/me?b=2&a=1`;
    const get = await webcrypto.signedFetchInit({
      keyId: key.keyId,
      secret: key.secret,
      method: 'GET',
      url: meUrl,
    });
    const read = await h.auth.fetch(new Request(meUrl, get));
    assert.equal(read.status, 200, await read.clone().text());

    const patchUrl = `${HARNESS_BASE_URL}/users/me`;
    const body = '{ "name" : "Signed In A Browser Way" }';
    const patch = await webcrypto.signedFetchInit({
      keyId: key.keyId,
      secret: key.secret,
      method: 'PATCH',
      url: patchUrl,
      body,
    });
    const renamed = await h.auth.fetch(new Request(patchUrl, patch));
    assert.equal(renamed.status, 200, await renamed.clone().text());
    assert.equal(((await renamed.json()) as { user: { name: string } }).user.name, 'Signed In A Browser Way');

    const replayed = await h.auth.fetch(new Request(patchUrl, patch));
    assert.equal(replayed.status, 401);
    assert.equal(((await replayed.json()) as { code: string }).code, 'NONCE_REPLAYED');
  });

  it('a body changed after signing - should be refused SIGNATURE_INVALID', async () => {
    const url = `${HARNESS_BASE_URL}/users/me`;
    const init = await webcrypto.signedFetchInit({
      keyId: key.keyId,
      secret: key.secret,
      method: 'PATCH',
      url,
      body: JSON.stringify({ name: 'Signed' }),
    });
    const response = await h.auth.fetch(
      new Request(url, { ...init, body: JSON.stringify({ name: 'Changed' }) }),
    );
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { code: string }).code, 'SIGNATURE_INVALID');
  });
});
