import assert from 'node:assert/strict';
import { createSecretKey, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { type AeadKey, createAead } from '../../crypto/aead.ts';
import {
  createFlowCookies,
  type FlowCookieOptions,
  type FlowCookies,
  type OAuthFlow,
} from './flow-cookie.ts';

const START = Date.UTC(2025, 0, 1, 12, 0, 0);

function aeadKey(id: string): AeadKey {
  return { id, key: createSecretKey(randomBytes(32)) };
}

/** A real AES-256-GCM AEAD over one fresh key, as the keyring would build it. */
function realAead(key: AeadKey = aeadKey('k1')): Pick<FlowCookieOptions, 'seal' | 'open'> {
  const aead = createAead({ active: () => key, byId: (id) => (id === key.id ? key : null) });
  return {
    seal: (plaintext, aad) => aead.encrypt(plaintext, aad),
    open: (envelope, aad) => aead.decrypt(envelope, aad).toString('utf8'),
  };
}

interface Setup {
  readonly flows: FlowCookies;
  readonly clock: { now: number };
  readonly aead: Pick<FlowCookieOptions, 'seal' | 'open'>;
}

function setup(options: { readonly secure?: boolean } = {}): Setup {
  const clock = { now: START };
  const aead = realAead();
  const flows = createFlowCookies({ ...aead, secure: options.secure ?? true, now: () => clock.now });
  return { flows, clock, aead };
}

function loginFlow(overrides: Partial<OAuthFlow> = {}): OAuthFlow {
  return {
    state: randomBytes(32).toString('base64url'),
    nonce: randomBytes(32).toString('base64url'),
    codeVerifier: randomBytes(32).toString('base64url'),
    redirectTo: 'https://auth.example.com/app/home?x=1#y',
    mode: 'login',
    transport: 'cookie',
    expiresAt: START + 600_000,
    ...overrides,
  };
}

/** `name=value` from a `Set-Cookie` value. */
function pairOf(setCookie: string): { name: string; value: string } {
  const [pair = ''] = setCookie.split(';');
  const eq = pair.indexOf('=');
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1) };
}

function requestWithCookie(cookieHeader: string | null): Request {
  const headers = new Headers();
  if (cookieHeader !== null) headers.set('Cookie', cookieHeader);
  return new Request('https://auth.example.com/auth/oauth/google/callback?code=c&state=s', { headers });
}

/** The request a browser sends back after `setCookie`. */
function browserRequest(setCookie: string): Request {
  const { name, value } = pairOf(setCookie);
  return requestWithCookie(`${name}=${value}`);
}

function attributesOf(setCookie: string): string[] {
  return setCookie
    .split(';')
    .slice(1)
    .map((part) => part.trim());
}

describe('createFlowCookies', () => {
  it('name - should use the __Host- prefix when secure and the plain name otherwise', () => {
    assert.equal(setup().flows.name('google'), '__Host-gh_oauth_google');
    assert.equal(setup({ secure: false }).flows.name('google'), 'gh_oauth_google');
  });

  it('name - should refuse provider ids that are not cookie-name tokens', () => {
    const { flows } = setup();
    for (const provider of ['', 'goo gle', 'a;b', 'a=b', 'a:b', 'a.b', 'é', 'x'.repeat(65)]) {
      assert.throws(() => flows.name(provider), TypeError);
      assert.throws(() => flows.issue(provider, loginFlow(), { ttlSeconds: 600 }), TypeError);
    }
  });

  it('issue - should set HttpOnly, Secure, SameSite=Lax, Path=/ and Max-Age, and no Domain', () => {
    const setCookie = setup().flows.issue('google', loginFlow(), { ttlSeconds: 600 });
    assert.equal(pairOf(setCookie).name, '__Host-gh_oauth_google');
    const attributes = attributesOf(setCookie);
    for (const expected of ['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/', 'Max-Age=600']) {
      assert.ok(attributes.includes(expected), expected);
    }
    assert.ok(!attributes.some((attribute) => /^domain=/i.test(attribute)));
    assert.ok(!attributes.some((attribute) => /^expires=/i.test(attribute)));
  });

  it('issue - should leave out Secure and the prefix on a plain-HTTP deployment', () => {
    const { flows } = setup({ secure: false });
    const setCookie = flows.issue('github', loginFlow(), { ttlSeconds: 300 });
    assert.equal(pairOf(setCookie).name, 'gh_oauth_github');
    assert.ok(!attributesOf(setCookie).includes('Secure'));
    assert.ok(attributesOf(setCookie).includes('Max-Age=300'));
    assert.ok(flows.read(browserRequest(setCookie), 'github') !== null);
  });

  it('issue - should not reveal the state, nonce, verifier or target in the cookie', () => {
    const flow = loginFlow();
    const { value } = pairOf(setup().flows.issue('google', flow, { ttlSeconds: 600 }));
    for (const secret of [flow.state, flow.nonce, flow.codeVerifier, 'auth.example.com']) {
      assert.ok(!value.includes(secret));
      for (const part of value.split('.')) {
        assert.ok(!Buffer.from(part, 'base64url').toString('latin1').includes(secret));
      }
    }
  });

  it('issue - should seal under associated data that names the provider', () => {
    const seen: string[] = [];
    const aead = realAead();
    const flows = createFlowCookies({
      seal: (plaintext, aad) => {
        seen.push(aad);
        return aead.seal(plaintext, aad);
      },
      open: aead.open,
      secure: true,
    });
    flows.issue('google', loginFlow({ expiresAt: Date.now() + 60_000 }), { ttlSeconds: 60 });
    assert.deepEqual(seen, ['gatehouse:oauth-flow:google']);
  });

  it('read - should return the flow that was issued, for every mode and transport', () => {
    const { flows } = setup();
    const flowsToTry: OAuthFlow[] = [
      loginFlow(),
      loginFlow({
        mode: 'link',
        userId: '0190a1b2-0000-7000-8000-000000000001',
        sessionId: '0190a1b2-0000-7000-8000-000000000002',
      }),
      loginFlow({ transport: 'exchange', clientCodeChallenge: randomBytes(32).toString('base64url') }),
      loginFlow({
        mode: 'link',
        userId: 'user-1',
        sessionId: 'session-1',
        transport: 'exchange',
        clientCodeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      }),
    ];
    for (const flow of flowsToTry) {
      const read = flows.read(browserRequest(flows.issue('google', flow, { ttlSeconds: 600 })), 'google');
      assert.deepEqual(read, flow);
      assert.ok(Object.isFrozen(read));
    }
  });

  it('read - should find the cookie among other cookies', () => {
    const { flows } = setup();
    const flow = loginFlow();
    const { name, value } = pairOf(flows.issue('google', flow, { ttlSeconds: 600 }));
    const request = requestWithCookie(`__Host-gh_session=abc.def; ${name}=${value}; theme=dark`);
    assert.deepEqual(flows.read(request, 'google'), flow);
  });

  it('issue - should seal the earlier of the flow expiry and the cookie lifetime', () => {
    const { flows, clock } = setup();
    const setCookie = flows.issue('google', loginFlow({ expiresAt: START + 3_600_000 }), { ttlSeconds: 120 });
    assert.equal(flows.read(browserRequest(setCookie), 'google')?.expiresAt, START + 120_000);
    clock.now = START + 120_000;
    assert.equal(flows.read(browserRequest(setCookie), 'google'), null);
  });

  it('read - should refuse a flow at and after its expiry, even if the browser still sends it', () => {
    const { flows, clock } = setup();
    const setCookie = flows.issue('google', loginFlow({ expiresAt: START + 60_000 }), { ttlSeconds: 600 });
    clock.now = START + 59_999;
    assert.ok(flows.read(browserRequest(setCookie), 'google') !== null);
    clock.now = START + 60_000;
    assert.equal(flows.read(browserRequest(setCookie), 'google'), null);
    clock.now = START + 86_400_000;
    assert.equal(flows.read(browserRequest(setCookie), 'google'), null);
  });

  it('read - should return null without a Cookie header or without our cookie', () => {
    const { flows } = setup();
    assert.equal(flows.read(requestWithCookie(null), 'google'), null);
    assert.equal(flows.read(requestWithCookie('theme=dark'), 'google'), null);
    assert.equal(flows.read(requestWithCookie('__Host-gh_oauth_google='), 'google'), null);
  });

  it("read - should refuse a cookie issued for one provider when presented as another's", () => {
    const { flows } = setup();
    const { value } = pairOf(flows.issue('github', loginFlow(), { ttlSeconds: 600 }));
    // Renamed to the other provider's cookie: the associated data no longer matches.
    assert.equal(flows.read(requestWithCookie(`__Host-gh_oauth_google=${value}`), 'google'), null);
    // Left under its own name: the other provider does not even look at it.
    assert.equal(flows.read(requestWithCookie(`__Host-gh_oauth_github=${value}`), 'google'), null);
    assert.ok(flows.read(requestWithCookie(`__Host-gh_oauth_github=${value}`), 'github') !== null);
  });

  it('read - should refuse the cookie when its name appears twice, in either order', () => {
    const { flows } = setup();
    const mine = pairOf(flows.issue('google', loginFlow(), { ttlSeconds: 600 }));
    const planted = pairOf(flows.issue('google', loginFlow(), { ttlSeconds: 600 }));
    const first = `${mine.name}=${mine.value}`;
    const second = `${planted.name}=${planted.value}`;
    assert.equal(flows.read(requestWithCookie(`${first}; ${second}`), 'google'), null);
    assert.equal(flows.read(requestWithCookie(`${second}; ${first}`), 'google'), null);
    assert.equal(flows.read(requestWithCookie(`${first}; ${first}`), 'google'), null);
  });

  it('read - should not read the secure name on an insecure deployment or the reverse', () => {
    const secure = setup();
    const insecure = createFlowCookies({ ...secure.aead, secure: false, now: () => START });
    const { value } = pairOf(secure.flows.issue('google', loginFlow(), { ttlSeconds: 600 }));
    assert.equal(insecure.read(requestWithCookie(`__Host-gh_oauth_google=${value}`), 'google'), null);
    assert.equal(secure.flows.read(requestWithCookie(`gh_oauth_google=${value}`), 'google'), null);
    assert.ok(insecure.read(requestWithCookie(`gh_oauth_google=${value}`), 'google') !== null);
  });

  it('read - should return null, never throw, for tampered or garbled values', () => {
    const { flows } = setup();
    const { name, value } = pairOf(flows.issue('google', loginFlow(), { ttlSeconds: 600 }));
    const parts = value.split('.');
    const tampered: string[] = [
      '',
      'x',
      'v1',
      '....',
      value.slice(0, -1),
      value.slice(0, value.length - 4),
      `${value}A`,
      `${value}.extra`,
      value.replace(/^v1\./, 'v2.'),
      `v1.other.${parts[2]}.${parts[3]}`,
      // One flipped character in the nonce, the ciphertext and the tag.
      ...[2, 3].flatMap((index) =>
        [0, 8, -1].map((at) => {
          const part = parts[index] ?? '';
          const position = at < 0 ? part.length - 2 : at;
          const flipped = part[position] === 'A' ? 'B' : 'A';
          const changed = part.slice(0, position) + flipped + part.slice(position + 1);
          return parts.map((original, i) => (i === index ? changed : original)).join('.');
        }),
      ),
      Buffer.from('{"state":"s"}').toString('base64url'),
      '"quoted"',
      'a%20b',
      'é',
      'A'.repeat(5000),
    ];
    for (const garbled of tampered) {
      if (garbled === value) continue;
      assert.doesNotThrow(() => flows.read(requestWithCookie(`${name}=${garbled}`), 'google'));
      assert.equal(flows.read(requestWithCookie(`${name}=${garbled}`), 'google'), null, garbled.slice(0, 60));
    }
  });

  it('read - should refuse a cookie sealed under a key this server does not have', () => {
    const { flows } = setup();
    const stranger = createFlowCookies({ ...realAead(aeadKey('k1')), secure: true, now: () => START });
    const setCookie = stranger.issue('google', loginFlow(), { ttlSeconds: 600 });
    assert.equal(flows.read(browserRequest(setCookie), 'google'), null);
  });

  it('read - should return null when open throws something other than an AEAD error', () => {
    const flows = createFlowCookies({
      seal: () => 'v1.k1.AAAA.BBBB',
      open: () => {
        throw new RangeError('boom');
      },
      secure: true,
    });
    assert.equal(flows.read(requestWithCookie('__Host-gh_oauth_google=v1.k1.AAAA.BBBB'), 'google'), null);
  });

  it('read - should refuse authentic plaintexts that are not a well-formed flow', () => {
    const { flows, aead } = setup();
    const aad = 'gatehouse:oauth-flow:google';
    const base = { ...loginFlow() } as Record<string, unknown>;
    const without = (key: string) => Object.fromEntries(Object.entries(base).filter(([k]) => k !== key));
    const plaintexts = [
      'not json',
      'null',
      '[]',
      '"flow"',
      '42',
      JSON.stringify(without('state')),
      JSON.stringify(without('codeVerifier')),
      JSON.stringify(without('expiresAt')),
      JSON.stringify({ ...base, state: '' }),
      JSON.stringify({ ...base, nonce: 7 }),
      JSON.stringify({ ...base, codeVerifier: 'v'.repeat(513) }),
      JSON.stringify({ ...base, redirectTo: '' }),
      JSON.stringify({ ...base, redirectTo: `/${'a'.repeat(2048)}` }),
      JSON.stringify({ ...base, mode: 'admin' }),
      JSON.stringify({ ...base, transport: 'query' }),
      JSON.stringify({ ...base, mode: 'link' }),
      JSON.stringify({ ...base, mode: 'link', userId: 'user-1' }),
      JSON.stringify({ ...base, mode: 'link', sessionId: 'session-1' }),
      JSON.stringify({ ...base, mode: 'link', userId: 'user-1', sessionId: '' }),
      JSON.stringify({ ...base, transport: 'exchange' }),
      JSON.stringify({ ...base, userId: '' }),
      JSON.stringify({ ...base, expiresAt: String(START + 60_000) }),
      JSON.stringify({ ...base, expiresAt: START + 60_000.5 }),
      JSON.stringify({ ...base, roles: ['admin'] }),
    ];
    for (const plaintext of plaintexts) {
      const envelope = aead.seal(plaintext, aad);
      assert.equal(
        flows.read(requestWithCookie(`__Host-gh_oauth_google=${envelope}`), 'google'),
        null,
        plaintext,
      );
    }
    // The same envelope route accepts a well-formed flow, so the cases above fail on shape alone.
    const good = aead.seal(JSON.stringify(base), aad);
    assert.deepEqual(flows.read(requestWithCookie(`__Host-gh_oauth_google=${good}`), 'google'), base);
  });

  it('issue - should refuse a lifetime outside 1 to 600 seconds', () => {
    const { flows } = setup();
    for (const ttlSeconds of [0, -1, 601, 3600, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => flows.issue('google', loginFlow(), { ttlSeconds }), RangeError);
    }
    assert.doesNotThrow(() => flows.issue('google', loginFlow(), { ttlSeconds: 1 }));
  });

  it('issue - should refuse malformed flows', () => {
    const { flows } = setup();
    const malformed: OAuthFlow[] = [
      loginFlow({ state: '' }),
      loginFlow({ codeVerifier: 'v'.repeat(513) }),
      loginFlow({ redirectTo: '' }),
      loginFlow({ mode: 'link' }),
      // A link is bound to the session that started it: without one it is refused.
      loginFlow({ mode: 'link', userId: 'user-1' }),
      loginFlow({ transport: 'exchange' }),
      loginFlow({ mode: 'admin' as OAuthFlow['mode'] }),
      loginFlow({ expiresAt: Number.NaN }),
      { ...loginFlow(), roles: ['admin'] } as OAuthFlow,
    ];
    for (const flow of malformed) {
      assert.throws(() => flows.issue('google', flow, { ttlSeconds: 600 }), TypeError);
    }
  });

  it('issue - should refuse a flow that has already expired', () => {
    const { flows } = setup();
    assert.throws(
      () => flows.issue('google', loginFlow({ expiresAt: START }), { ttlSeconds: 600 }),
      RangeError,
    );
  });

  it('issue - should refuse a cookie larger than browsers keep rather than lose it silently', () => {
    const { flows } = setup();
    const large = loginFlow({
      state: 's'.repeat(512),
      nonce: 'n'.repeat(512),
      codeVerifier: 'v'.repeat(512),
      redirectTo: `https://auth.example.com/${'a'.repeat(2000)}`,
      mode: 'link',
      userId: 'u'.repeat(512),
      sessionId: 's'.repeat(512),
      transport: 'exchange',
      clientCodeChallenge: 'c'.repeat(512),
    });
    assert.throws(() => flows.issue('google', large, { ttlSeconds: 600 }), RangeError);
    // The largest redirect target with ordinary random values still fits.
    const ordinary = loginFlow({ redirectTo: `https://auth.example.com/${'a'.repeat(2048 - 25)}` });
    assert.ok(flows.read(browserRequest(flows.issue('google', ordinary, { ttlSeconds: 600 })), 'google'));
    // So does a link flow (user and session ids are UUIDs) with the largest target.
    const link = loginFlow({
      redirectTo: `https://auth.example.com/${'a'.repeat(2048 - 25)}`,
      mode: 'link',
      userId: '0190a1b2-0000-7000-8000-000000000001',
      sessionId: '0190a1b2-0000-7000-8000-000000000002',
    });
    assert.ok(flows.read(browserRequest(flows.issue('google', link, { ttlSeconds: 600 })), 'google'));
  });

  it('issue - should refuse a seal function whose output is not cookie-safe', () => {
    for (const output of ['', 'has space', 'semi;colon', 'com,ma', 'quo"te', 'back\\slash', 'é']) {
      const flows = createFlowCookies({ seal: () => output, open: () => '', secure: true, now: () => START });
      assert.throws(() => flows.issue('google', loginFlow(), { ttlSeconds: 600 }), TypeError);
    }
  });

  it('clear - should expire the cookie with the same name and attributes', () => {
    const { flows } = setup();
    const cleared = flows.clear('google');
    assert.deepEqual(pairOf(cleared), { name: '__Host-gh_oauth_google', value: '' });
    const attributes = attributesOf(cleared);
    for (const expected of ['HttpOnly', 'Secure', 'SameSite=Lax', 'Path=/', 'Max-Age=0']) {
      assert.ok(attributes.includes(expected), expected);
    }
    assert.ok(attributes.includes('Expires=Thu, 01 Jan 1970 00:00:00 GMT'));
    assert.equal(pairOf(setup({ secure: false }).flows.clear('google')).name, 'gh_oauth_google');
  });

  it('createFlowCookies - should refuse options without seal and open functions', () => {
    const options = { seal: 'no', open: () => '', secure: true } as unknown as FlowCookieOptions;
    assert.throws(() => createFlowCookies(options), TypeError);
  });
});
