/**
 * Threat: a request signed with a signing API key (`GH1-HMAC-SHA256`) is captured — by a proxy
 * that logs requests, a compromised intermediary, a shared log pipeline — and then reused: its
 * body, path, query, method, host, headers, timestamp or nonce edited; replayed as is, once or
 * many times at once; sent long after (or long before) it was made; or the key's secret used as
 * a plain bearer key. A body far larger than the server reads must not be buffered whole.
 *
 * Invariant: every such request is refused with the documented 401 code and changes nothing
 * (the profile name the signed PATCH /users/me would set stays what it was). Only the untouched
 * request, within ±300 s of the server's clock, with a nonce never seen for that key, passes —
 * exactly once, even under a parallel burst. A refused copy does not burn the genuine request's
 * nonce (the nonce is taken only after the signature checks out). A body over
 * `http.bodyLimitBytes` is a 413 before the route's handler runs, declared or chunked.
 *
 * A key that is not a signing key, unknown, revoked or expired is refused with its code, and
 * the worked examples of test/vectors/request-signing.json pass the server's own verifier.
 *
 * Requests are built with the reference client (`signedFetchInit`, `signedRequest`) and go
 * through `auth.fetch`, on both backends (SQLite + memory, PostgreSQL + Redis). The same checks
 * over a real socket, across two server processes, are in
 * test/integration/signed-request-nonce-across-workers.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { type SignedFetchInit, signedFetchInit, signedRequest } from '../../src/client/signing/node.ts';
import { createAead } from '../../src/crypto/aead.ts';
import { generateNonce } from '../../src/crypto/request-signing.ts';
import { encryptedColumnAad } from '../../src/stores/repositories.ts';
import { apiKeyRepositoryOf, createApiKey, type SigningKey, signingKeyOf } from '../fixtures/api-keys.ts';
import {
  assertProblem,
  createHarness,
  GOOD_PASSWORD,
  HARNESS_BASE_URL,
  type Harness,
  type JsonResponse,
  type SignedInUser,
} from '../fixtures/auth-harness.ts';
import { backends } from '../fixtures/backends.ts';

const SECOND = 1000;
/** Small enough that an oversized body is cheap to build; the default is 16 KiB. */
const BODY_LIMIT_BYTES = 4096;
/** How many copies of one signed request race each other. */
const PARALLEL_COPIES = 8;
/** An extra header the tampering cases sign besides `host` and `content-type`. */
const PURPOSE_HEADER = 'x-request-purpose';

/**
 * The instances' clock, in whole seconds so that a signature made `n` seconds away from it is
 * exactly `n` seconds away once the client floors its timestamp to seconds.
 */
let t = Math.floor(Date.now() / SECOND) * SECOND;

/** A request signed once; {@link requestOf} turns it into as many identical `Request`s as needed. */
interface SignedCall {
  readonly url: string;
  readonly init: SignedFetchInit;
}

interface SignOptions {
  readonly body?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly signedHeaders?: readonly string[];
  /** The signer's clock in milliseconds; the instances' clock by default. */
  readonly now?: number;
  /** The origin the signer believes it talks to; the harness's by default. */
  readonly origin?: string;
}

function sign(key: SigningKey, method: string, path: string, options: SignOptions = {}): SignedCall {
  const url = `${options.origin ?? HARNESS_BASE_URL}${path}`;
  const init = signedFetchInit({
    keyId: key.keyId,
    secret: key.secret,
    method,
    url,
    now: options.now ?? t,
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.signedHeaders === undefined ? {} : { signedHeaders: options.signedHeaders }),
  });
  return { url, init };
}

/** What an attacker may change in a captured request before sending it on. */
interface Tampering {
  readonly url?: string;
  readonly method?: string;
  /** `null` sends no body at all. */
  readonly body?: string | null;
  readonly headers?: (headers: Headers) => void;
}

/** A fresh `Request` carrying the signed call's exact bytes, with `tampering` applied. */
function requestOf(call: SignedCall, tampering: Tampering = {}): Request {
  const headers = new Headers(call.init.headers);
  tampering.headers?.(headers);
  const body = tampering.body === undefined ? call.init.body : (tampering.body ?? undefined);
  return new Request(tampering.url ?? call.url, {
    method: tampering.method ?? call.init.method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : Buffer.from(body) }),
  });
}

/** Rewrites one `name=value` parameter of the signature header, leaving the rest byte for byte. */
function setSignatureParameter(headers: Headers, name: string, value: string): void {
  const header = headers.get('authorization');
  assert.ok(header, 'the signed request carries an Authorization header');
  const pattern = new RegExp(`(^|[ ,])${name}=[^,]*`);
  assert.match(header, pattern, `the signature header has a ${name} parameter`);
  headers.set(
    'authorization',
    header.replace(pattern, (_whole, before: string) => `${before}${name}=${value}`),
  );
}

function signatureParameter(call: SignedCall, name: string): string {
  const match = new RegExp(`(?:^|[ ,])${name}=([^,]*)`).exec(call.init.headers.get('authorization') ?? '');
  assert.ok(match?.[1], `the signature header has a ${name} parameter`);
  return match[1];
}

async function exchange(h: Harness, request: Request): Promise<JsonResponse> {
  const response = await h.auth.fetch(request);
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  return { status: response.status, headers: response.headers, text, body };
}

function assertOk(response: JsonResponse, label: string): void {
  assert.equal(response.status, 200, `${label}: ${response.text}`);
}

/** A signing or plain key created over HTTP by `owner`, as the signing client takes it. */
async function createKey(
  h: Harness,
  owner: SignedInUser,
  options: { signing: boolean },
): Promise<SigningKey> {
  const created = await createApiKey(h, owner.accessToken, {
    name: options.signing ? 'signing key' : 'plain key',
    signing: options.signing,
  });
  assert.equal(created.key.signing, options.signing);
  return signingKeyOf(created);
}

/** The owner's profile name, read with their session token (not with the key under test). */
async function nameOf(h: Harness, owner: SignedInUser): Promise<string | null> {
  const me = await h.get('/users/me', { token: owner.accessToken });
  assert.equal(me.status, 200, me.text);
  return me.body.user.name as string | null;
}

async function setName(h: Harness, owner: SignedInUser, name: string): Promise<void> {
  const updated = await h.request('PATCH', '/users/me', { token: owner.accessToken, body: { name } });
  assert.equal(updated.status, 200, updated.text);
}

/** A signed PATCH /users/me that would rename the owner to `name`. */
function signedRename(key: SigningKey, name: string, options: SignOptions = {}): SignedCall {
  return sign(key, 'PATCH', '/users/me', { body: JSON.stringify({ name }), ...options });
}

for (const backend of backends())
  describe(`signed requests (${backend.name})`, () => {
    let h: Harness;
    let owner: SignedInUser;
    let key: SigningKey;

    before(async () => {
      const overrides = await backend.config();
      h = await createHarness({
        config: { ...overrides, clock: { now: () => t }, http: { bodyLimitBytes: BODY_LIMIT_BYTES } },
      });
      owner = await h.signedInUser();
      key = await createKey(h, owner, { signing: true });
    });
    after(async () => {
      await h?.close();
      await backend.stop();
    });

    /**
     * The tampered copy of a signed rename is refused with SIGNATURE_INVALID and renames
     * nobody; then the genuine request, with the same nonce, still passes: refusing a forgery
     * does not spend the nonce it copied.
     */
    async function assertForgeryRefused(
      label: string,
      genuine: SignedCall,
      forged: Request,
      expectedName: string,
    ): Promise<void> {
      await setName(h, owner, 'Before');
      assertProblem(await exchange(h, forged), 401, 'SIGNATURE_INVALID');
      assert.equal(await nameOf(h, owner), 'Before', `${label}: the forged request changed nothing`);
      assertOk(await exchange(h, requestOf(genuine)), `${label}: the genuine request afterwards`);
      assert.equal(await nameOf(h, owner), expectedName, `${label}: the genuine request took effect`);
    }

    describe('valid signatures', () => {
      it('signed GET /users/me - should answer 200 as the key owner', async () => {
        const me = await exchange(h, requestOf(sign(key, 'GET', '/users/me')));
        assertOk(me, 'signed GET');
        assert.equal(me.body.user.id, owner.userId);
      });

      it('signed PATCH /users/me - should answer 200 and rename the owner (the route is not session-only)', async () => {
        await setName(h, owner, 'Before');
        const renamed = await exchange(h, requestOf(signedRename(key, 'Signed Name')));
        assertOk(renamed, 'signed PATCH');
        assert.equal(renamed.body.user.name, 'Signed Name');
        assert.equal(await nameOf(h, owner), 'Signed Name');
      });

      it('signedRequest - should sign a Request with a body so that it passes as it is', async () => {
        const request = new Request(`${HARNESS_BASE_URL}/users/me`, {
          method: 'PATCH',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'From signedRequest' }),
        });
        const signed = await signedRequest(request, { keyId: key.keyId, secret: key.secret, now: t });
        assertOk(await exchange(h, signed), 'signedRequest');
        assert.equal(await nameOf(h, owner), 'From signedRequest');
      });

      it('query reordered after signing - should still verify (the query is signed sorted)', async () => {
        const signed = sign(key, 'GET', '/users/me?alpha=1&beta=2&alpha=0');
        const reordered = requestOf(signed, { url: `${HARNESS_BASE_URL}/users/me?beta=2&alpha=0&alpha=1` });
        assertOk(await exchange(h, reordered), 'reordered query');
      });
    });

    describe('tampering after signing - 401 SIGNATURE_INVALID and nothing changed', () => {
      it('tampered body - should be refused and rename nobody', async () => {
        const genuine = signedRename(key, 'Genuine Body');
        await assertForgeryRefused(
          'body',
          genuine,
          requestOf(genuine, { body: JSON.stringify({ name: 'Mallory' }) }),
          'Genuine Body',
        );
      });

      it('tampered body - whitespace appended to the JSON (same meaning, other bytes) should be refused', async () => {
        const genuine = signedRename(key, 'Genuine Spacing');
        const forged = requestOf(genuine, { body: `${JSON.stringify({ name: 'Genuine Spacing' })} ` });
        await assertForgeryRefused('body whitespace', genuine, forged, 'Genuine Spacing');
      });

      it('tampered path - a signature made for another route should not rename the owner', async () => {
        // Signed for an API-key route (which an API key may not use anyway), replayed at
        // PATCH /users/me, which it may use: same method, same body, other path.
        const other = sign(key, 'PATCH', `/users/me/api-keys/${key.keyId}`, {
          body: JSON.stringify({ name: 'Mallory' }),
        });
        await setName(h, owner, 'Before');
        const forged = requestOf(other, { url: `${HARNESS_BASE_URL}/users/me` });
        assertProblem(await exchange(h, forged), 401, 'SIGNATURE_INVALID');
        assert.equal(await nameOf(h, owner), 'Before');
      });

      it('tampered path - a percent-escaped letter (routed to the same handler) should be refused', async () => {
        const genuine = sign(key, 'GET', '/users/me');
        const escaped = await exchange(h, requestOf(genuine, { url: `${HARNESS_BASE_URL}/users/%6De` }));
        assertProblem(escaped, 401, 'SIGNATURE_INVALID');
        // A trailing slash is another resource, which does not exist.
        const slashed = await exchange(h, requestOf(genuine, { url: `${HARNESS_BASE_URL}/users/me/` }));
        assertProblem(slashed, 404, 'NOT_FOUND');
        assertOk(await exchange(h, requestOf(genuine)), 'the genuine request afterwards');
      });

      it('tampered query - a parameter added to a signed rename should be refused', async () => {
        const genuine = signedRename(key, 'Genuine Query');
        const forged = requestOf(genuine, { url: `${HARNESS_BASE_URL}/users/me?dryRun=false` });
        await assertForgeryRefused('query added', genuine, forged, 'Genuine Query');
      });

      it('tampered query - a value changed, a parameter added or removed should be refused', async () => {
        const genuine = sign(key, 'GET', '/users/me?view=short&page=1');
        for (const query of ['?view=full&page=1', '?view=short&page=1&extra=1', '?view=short', '']) {
          const forged = requestOf(genuine, { url: `${HARNESS_BASE_URL}/users/me${query}` });
          assertProblem(await exchange(h, forged), 401, 'SIGNATURE_INVALID');
        }
        assertOk(await exchange(h, requestOf(genuine)), 'the genuine request afterwards');
      });

      it('tampered method - a signed GET sent as PATCH should be refused', async () => {
        const genuine = sign(key, 'GET', '/users/me');
        await setName(h, owner, 'Before');
        const forged = requestOf(genuine, { method: 'PATCH' });
        assertProblem(await exchange(h, forged), 401, 'SIGNATURE_INVALID');
        assert.equal(await nameOf(h, owner), 'Before');
      });

      it('tampered method - a signed PATCH sent as PUT or POST should never run', async () => {
        const genuine = signedRename(key, 'Genuine Method');
        await setName(h, owner, 'Before');
        for (const method of ['PUT', 'POST']) {
          // No such route: refused before anything is authenticated or read.
          assertProblem(await exchange(h, requestOf(genuine, { method })), 405, 'METHOD_NOT_ALLOWED');
        }
        assert.equal(await nameOf(h, owner), 'Before');
        assertOk(await exchange(h, requestOf(genuine)), 'the genuine request afterwards');
      });

      it('tampered host - a request signed for another service should be refused here', async () => {
        const genuine = signedRename(key, 'Elsewhere', { origin: 'https://api.other.example.test' });
        await setName(h, owner, 'Before');
        const forged = requestOf(genuine, {
          url: `${HARNESS_BASE_URL}/users/me`,
          headers: (headers) => headers.set('host', new URL(HARNESS_BASE_URL).host),
        });
        assertProblem(await exchange(h, forged), 401, 'SIGNATURE_INVALID');
        assert.equal(await nameOf(h, owner), 'Before');
      });

      it('tampered host - the Host header alone changed should be refused', async () => {
        const genuine = signedRename(key, 'Genuine Host');
        const forged = requestOf(genuine, {
          headers: (headers) => headers.set('host', 'auth.example.test:8443'),
        });
        await assertForgeryRefused('host header', genuine, forged, 'Genuine Host');
      });

      it("tampered header - a signed header's value changed should be refused", async () => {
        const genuine = signedRename(key, 'Genuine Header', {
          headers: { [PURPOSE_HEADER]: 'profile-sync' },
          signedHeaders: [PURPOSE_HEADER],
        });
        const forged = requestOf(genuine, {
          headers: (headers) => headers.set(PURPOSE_HEADER, 'bulk-import'),
        });
        await assertForgeryRefused('signed header value', genuine, forged, 'Genuine Header');
      });

      it('tampered header - the signed Content-Type changed (the body still parses) should be refused', async () => {
        const genuine = signedRename(key, 'Genuine Type');
        const forged = requestOf(genuine, {
          headers: (headers) => headers.set('content-type', 'application/json; charset=utf-8'),
        });
        await assertForgeryRefused('content-type value', genuine, forged, 'Genuine Type');
      });

      it('dropped header - a header taken out of the signed list should be refused', async () => {
        const genuine = signedRename(key, 'Genuine List', {
          headers: { [PURPOSE_HEADER]: 'profile-sync' },
          signedHeaders: [PURPOSE_HEADER],
        });
        assert.equal(signatureParameter(genuine, 'headers'), `host;content-type;${PURPOSE_HEADER}`);
        const forged = requestOf(genuine, {
          headers: (headers) => setSignatureParameter(headers, 'headers', 'host;content-type'),
        });
        await assertForgeryRefused('header dropped from the list', genuine, forged, 'Genuine List');
      });

      it('dropped header - content-type taken out of the signed list of a request with a body should be refused', async () => {
        const genuine = signedRename(key, 'Genuine Type List');
        const forged = requestOf(genuine, {
          headers: (headers) => setSignatureParameter(headers, 'headers', 'host'),
        });
        await assertForgeryRefused(
          'content-type dropped from the list',
          genuine,
          forged,
          'Genuine Type List',
        );
      });

      it('dropped header - a signed header removed from the request should be refused', async () => {
        const genuine = signedRename(key, 'Genuine Presence', {
          headers: { [PURPOSE_HEADER]: 'profile-sync' },
          signedHeaders: [PURPOSE_HEADER],
        });
        const forged = requestOf(genuine, { headers: (headers) => headers.delete(PURPOSE_HEADER) });
        await assertForgeryRefused('signed header removed', genuine, forged, 'Genuine Presence');
      });

      it('tampered timestamp - ts moved by one second (still inside the window) should be refused', async () => {
        const genuine = signedRename(key, 'Genuine Time');
        const ts = Number(signatureParameter(genuine, 'ts'));
        const forged = requestOf(genuine, {
          headers: (headers) => setSignatureParameter(headers, 'ts', String(ts + 1)),
        });
        await assertForgeryRefused('timestamp', genuine, forged, 'Genuine Time');
      });

      it('tampered nonce - a fresh nonce put in place of the signed one should be refused', async () => {
        const genuine = signedRename(key, 'Genuine Nonce');
        const forged = requestOf(genuine, {
          headers: (headers) => setSignatureParameter(headers, 'nonce', generateNonce()),
        });
        await assertForgeryRefused('nonce', genuine, forged, 'Genuine Nonce');
      });

      it('tampered signature - one changed character should be refused', async () => {
        const genuine = signedRename(key, 'Genuine Signature');
        const signature = signatureParameter(genuine, 'signature');
        const flipped = `${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
        const forged = requestOf(genuine, {
          headers: (headers) => setSignatureParameter(headers, 'signature', flipped),
        });
        await assertForgeryRefused('signature', genuine, forged, 'Genuine Signature');
      });
    });

    describe('clock skew - the timestamp must be within 300 s of the server clock', () => {
      for (const [label, offsetSeconds] of [
        ['301 s in the past', -301],
        ['301 s in the future', 301],
      ] as const) {
        it(`ts ${label} - should be 401 SIGNATURE_EXPIRED and rename nobody`, async () => {
          await setName(h, owner, 'Before');
          const stale = signedRename(key, 'Skewed', { now: t + offsetSeconds * SECOND });
          assertProblem(await exchange(h, requestOf(stale)), 401, 'SIGNATURE_EXPIRED');
          assert.equal(await nameOf(h, owner), 'Before');
        });
      }

      for (const [label, offsetSeconds] of [
        ['299 s in the past', -299],
        ['299 s in the future', 299],
      ] as const) {
        it(`ts ${label} - should be accepted`, async () => {
          const skewed = signedRename(key, `Skewed ${offsetSeconds}`, { now: t + offsetSeconds * SECOND });
          assertOk(await exchange(h, requestOf(skewed)), label);
          assert.equal(await nameOf(h, owner), `Skewed ${offsetSeconds}`);
        });
      }

      it('a signature accepted now - should be 401 SIGNATURE_EXPIRED once the server clock moves 301 s on', async () => {
        const signedNow = sign(key, 'GET', '/users/me');
        const saved = t;
        t += 301 * SECOND;
        try {
          assertProblem(await exchange(h, requestOf(signedNow)), 401, 'SIGNATURE_EXPIRED');
        } finally {
          t = saved;
        }
        assertOk(await exchange(h, requestOf(signedNow)), 'the same request back inside the window');
      });
    });

    describe('nonce replay', () => {
      it('the same signed request twice - the second should be 401 NONCE_REPLAYED and change nothing', async () => {
        const signed = signedRename(key, 'First Use');
        assertOk(await exchange(h, requestOf(signed)), 'first use');
        await setName(h, owner, 'Changed Since');
        assertProblem(await exchange(h, requestOf(signed)), 401, 'NONCE_REPLAYED');
        assert.equal(await nameOf(h, owner), 'Changed Since', 'the replay did not rename back');
      });

      it(`${PARALLEL_COPIES} identical signed requests in parallel - should have exactly one 200`, async () => {
        const signed = signedRename(key, 'Race Winner');
        await setName(h, owner, 'Before');
        const responses = await Promise.all(
          Array.from({ length: PARALLEL_COPIES }, () => exchange(h, requestOf(signed))),
        );
        const statuses = responses.map((response) => response.status);
        assert.equal(
          statuses.filter((status) => status === 200).length,
          1,
          `statuses: ${statuses.join(', ')}`,
        );
        for (const response of responses.filter((r) => r.status !== 200)) {
          assertProblem(response, 401, 'NONCE_REPLAYED');
        }
        assert.equal(await nameOf(h, owner), 'Race Winner');
      });

      it('the nonce of a signed GET - should not be accepted again on another path or method either', async () => {
        const first = sign(key, 'GET', '/users/me');
        assertOk(await exchange(h, requestOf(first)), 'first use');
        // A new, correctly signed request that happens to reuse the nonce: still a replay.
        const nonce = signatureParameter(first, 'nonce');
        const again = signedFetchInit({
          keyId: key.keyId,
          secret: key.secret,
          method: 'PATCH',
          url: `${HARNESS_BASE_URL}/users/me`,
          body: JSON.stringify({ name: 'Reused Nonce' }),
          now: t,
          nonce,
        });
        await setName(h, owner, 'Before');
        const replayed = await exchange(h, requestOf({ url: `${HARNESS_BASE_URL}/users/me`, init: again }));
        assertProblem(replayed, 401, 'NONCE_REPLAYED');
        assert.equal(await nameOf(h, owner), 'Before');
      });
    });

    describe('key kinds and states', () => {
      it('signing key used as Authorization: Bearer gh_… - should be 401 SIGNATURE_INVALID', async () => {
        const response = await h.get('/users/me', { token: key.apiKey });
        assertProblem(response, 401, 'SIGNATURE_INVALID');
        await setName(h, owner, 'Before');
        const rename = await h.request('PATCH', '/users/me', { token: key.apiKey, body: { name: 'Bearer' } });
        assertProblem(rename, 401, 'SIGNATURE_INVALID');
        assert.equal(await nameOf(h, owner), 'Before');
      });

      it('plain key used in a GH1-HMAC-SHA256 header - should be 401 SIGNATURE_INVALID', async () => {
        const plain = await createKey(h, owner, { signing: false });
        // The plain key itself is good: as a bearer key it passes.
        assertOk(await h.get('/users/me', { token: plain.apiKey }), 'the plain key as bearer');
        // Signed with its own secret, as a client that mixed the key kinds up would.
        const signed = sign(plain, 'GET', '/users/me');
        assertProblem(await exchange(h, requestOf(signed)), 401, 'SIGNATURE_INVALID');
      });

      it('unknown keyId - should be 401 SIGNATURE_INVALID, like a known keyId with the wrong secret', async () => {
        const unknown: SigningKey = {
          apiKey: '',
          keyId: randomBytes(16).toString('base64url'),
          secret: randomBytes(32),
        };
        const wrongSecret: SigningKey = { ...key, secret: randomBytes(32) };
        const byUnknown = await exchange(h, requestOf(sign(unknown, 'GET', '/users/me')));
        const byWrongSecret = await exchange(h, requestOf(sign(wrongSecret, 'GET', '/users/me')));
        assertProblem(byUnknown, 401, 'SIGNATURE_INVALID');
        assertProblem(byWrongSecret, 401, 'SIGNATURE_INVALID');
        assert.deepEqual(byUnknown.body, byWrongSecret.body, 'the two refusals read the same');
      });

      it('revoked signing key with a valid signature - should be 401 API_KEY_REVOKED', async () => {
        const doomed = await createKey(h, owner, { signing: true });
        // Used once first, so the key sits in the lookup cache when it is revoked.
        assertOk(await exchange(h, requestOf(sign(doomed, 'GET', '/users/me'))), 'before revocation');
        const revoked = await h.request('DELETE', `/users/me/api-keys/${doomed.keyId}`, {
          token: owner.accessToken,
        });
        assert.equal(revoked.status, 204, revoked.text);
        await setName(h, owner, 'Before');
        assertProblem(
          await exchange(h, requestOf(signedRename(doomed, 'After Revocation'))),
          401,
          'API_KEY_REVOKED',
        );
        assert.equal(await nameOf(h, owner), 'Before');
      });

      it('expired signing key with a valid signature - should be 401 API_KEY_EXPIRED', async () => {
        const created = await createApiKey(h, owner.accessToken, {
          name: 'short-lived',
          signing: true,
          expiresAt: new Date(t + 3600 * SECOND).toISOString(),
        });
        const shortLived = signingKeyOf(created);
        assertOk(await exchange(h, requestOf(sign(shortLived, 'GET', '/users/me'))), 'before expiry');
        const saved = t;
        t += 2 * 3600 * SECOND;
        try {
          // Signed at the server's (moved) time, so only the key's age can be refused.
          const late = sign(shortLived, 'GET', '/users/me');
          assertProblem(await exchange(h, requestOf(late)), 401, 'API_KEY_EXPIRED');
        } finally {
          t = saved;
        }
      });

      it('scheme name in lower case, correctly signed - should verify (RFC 9110: auth schemes are case-insensitive)', async () => {
        // parseSignatureHeader accepts the scheme in any letter case, as does the Bearer
        // transport; the request's signature does not cover the scheme name.
        const signed = sign(key, 'GET', '/users/me');
        const lowerCase = requestOf(signed, {
          headers: (headers) =>
            headers.set(
              'authorization',
              (headers.get('authorization') ?? '').replace(/^GH1-HMAC-SHA256 /, 'gh1-hmac-sha256 '),
            ),
        });
        const response = await exchange(h, lowerCase);
        assertOk(response, 'lower-case scheme');
        assert.equal(response.body.user.id, owner.userId);
      });
    });

    describe(`oversized body (over ${BODY_LIMIT_BYTES} bytes) - 413 before the handler runs`, () => {
      /**
       * Valid JSON of exactly `size` bytes that renames the owner: the rename is padded with
       * trailing spaces, which JSON allows, so only the size can make the server refuse it.
       */
      function paddedRename(name: string, size: number): string {
        const json = JSON.stringify({ name });
        return json + ' '.repeat(size - json.length);
      }

      it('a body at the limit - should pass (the 413 below is about the size alone)', async () => {
        const body = paddedRename('At The Limit', BODY_LIMIT_BYTES);
        const signed = sign(key, 'PATCH', '/users/me', { body });
        assertOk(await exchange(h, requestOf(signed)), 'a body of exactly the limit');
        assert.equal(await nameOf(h, owner), 'At The Limit');
      });

      it('with Content-Length - a validly signed body one byte over should be 413 and rename nobody', async () => {
        await setName(h, owner, 'Before');
        const body = paddedRename('Too Big', BODY_LIMIT_BYTES + 1);
        const signed = sign(key, 'PATCH', '/users/me', { body });
        const request = requestOf(signed, {
          headers: (headers) => headers.set('content-length', String(Buffer.byteLength(body))),
        });
        assertProblem(await exchange(h, request), 413, 'PAYLOAD_TOO_LARGE');
        assert.equal(await nameOf(h, owner), 'Before');
      });

      it('chunked, without Content-Length - a validly signed body far over the limit should be 413 and rename nobody', async () => {
        await setName(h, owner, 'Before');
        const body = paddedRename('Too Big Chunked', BODY_LIMIT_BYTES * 8);
        const signed = sign(key, 'PATCH', '/users/me', { body });
        const bytes = Buffer.from(body);
        let chunksPulled = 0;
        const chunkSize = 1024;
        const stream = new ReadableStream<Uint8Array>({
          pull(controller) {
            const start = chunksPulled * chunkSize;
            chunksPulled += 1;
            if (start >= bytes.length) controller.close();
            else controller.enqueue(bytes.subarray(start, start + chunkSize));
          },
        });
        const request = new Request(signed.url, {
          method: signed.init.method,
          headers: signed.init.headers,
          body: stream,
          duplex: 'half',
        });
        assert.equal(request.headers.get('content-length'), null, 'no length is announced');
        assertProblem(await exchange(h, request), 413, 'PAYLOAD_TOO_LARGE');
        assert.equal(await nameOf(h, owner), 'Before');
        // Hashed while streaming: the read stopped soon after the limit, not at the end.
        const totalChunks = Math.ceil(bytes.length / chunkSize);
        assert.ok(
          chunksPulled < totalChunks,
          `read ${chunksPulled} of ${totalChunks} chunks before refusing`,
        );
      });
    });
  });

/** The worked examples shipped with the scheme's documentation. */
interface VectorFile {
  readonly keyId: string;
  readonly secretBase64Url: string;
  readonly examples: readonly {
    readonly name: string;
    readonly input: {
      readonly method: string;
      readonly url: string;
      readonly headers: readonly (readonly [string, string])[];
      readonly body: string | null;
      readonly timestamp: number;
    };
    readonly authorization: string;
  }[];
}

describe('worked examples of the vectors file - through the server verifier', () => {
  let h: Harness;
  let vectors: VectorFile;
  let ownerId: string;

  before(async () => {
    vectors = JSON.parse(
      await readFile(new URL('../vectors/request-signing.json', import.meta.url), 'utf8'),
    ) as VectorFile;
    const signedAt = (vectors.examples[0]?.input.timestamp ?? 0) * SECOND;
    h = await createHarness({ config: { clock: { now: () => signedAt } } });
    const owner = await h.auth.api.users.create({
      email: 'vectors@example.test',
      password: GOOD_PASSWORD,
      emailVerified: true,
    });
    ownerId = owner.id;
    // Put the documented key in the database as key creation would have: its id, and its
    // secret sealed under the same purpose key and row binding the server opens it with.
    const aead = createAead({
      active: () => h.auth.keyring.active('secret-encryption'),
      byId: (id) => h.auth.keyring.byId('secret-encryption', id),
    });
    const created = await apiKeyRepositoryOf(h).create(
      {
        id: vectors.keyId,
        userId: owner.id,
        name: 'documented example key',
        env: h.auth.config.apiKeys.env,
        scopes: [],
        secretDigest: null,
        signingSecret: aead.encrypt(
          Buffer.from(vectors.secretBase64Url, 'base64url'),
          encryptedColumnAad('api_keys', 'signing_secret', vectors.keyId),
        ),
        expiresAt: signedAt + 24 * 3600 * SECOND,
        now: signedAt,
      },
      { maxActive: 20 },
    );
    assert.ok(created, 'the documented key was stored');
  });
  after(() => h?.close());

  function requestOfExample(example: VectorFile['examples'][number]): Request {
    const headers = new Headers(
      example.input.headers.map(([name, value]) => [name, value] as [string, string]),
    );
    headers.set('authorization', example.authorization);
    return new Request(example.input.url, {
      method: example.input.method.toUpperCase(),
      headers,
      ...(example.input.body === null ? {} : { body: example.input.body }),
    });
  }

  it('every example - should authenticate as the key owner, then be a replay', async () => {
    assert.ok(vectors.examples.length >= 3, 'the file holds the documented examples');
    for (const example of vectors.examples) {
      // The guards run the same authenticate step as the server's routes, so the request can
      // keep its documented URL (api.example.com), which no route of ours would match.
      const accepted = await h.auth.guards.check(requestOfExample(example), []);
      assert.ok(accepted.ok, `${example.name}: ${accepted.ok ? '' : await accepted.response.text()}`);
      assert.equal(accepted.principal?.userId, ownerId, example.name);
      assert.equal(accepted.principal?.apiKey?.id, vectors.keyId, example.name);

      const replayed = await h.auth.guards.check(requestOfExample(example), []);
      assert.equal(replayed.ok, false, `${example.name}: the same example twice`);
      if (!replayed.ok) {
        assert.equal(replayed.response.status, 401);
        assert.equal(((await replayed.response.json()) as { code?: string }).code, 'NONCE_REPLAYED');
      }
    }
  });
});
