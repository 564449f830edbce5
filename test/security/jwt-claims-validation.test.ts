/**
 * Invariant: a token with a genuine signature is still refused unless its claims hold: `iss`
 * and `aud` exactly the expected ones; `sub`, `jti`, `iat`, `exp` present and well typed;
 * `exp` in the future and `nbf`/`iat` not in the future, with at most 30 s of leeway (the
 * configurable maximum); a lifetime no longer than its class allows. Structurally invalid
 * tokens (bad base64url, bad JSON, wrong segment count, over 8 KiB) are refused as malformed.
 */
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { createJwtCodec, deriveJwtKey } from '../../src/crypto/jwt/index.ts';
import { ACCESS, IAT, ISSUER, NOW, rejectsWith } from '../fixtures/jwt.ts';

const HEADER = { alg: 'HS256', typ: 'at+jwt', kid: 'k1' };

const key = deriveJwtKey('HS256', randomBytes(32), 'k1');
const codec = createJwtCodec({ algorithm: 'HS256', keys: [key], issuer: ISSUER });

const encode = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const mac = (input: string): string => createHmac('sha256', key.signingKey).update(input).digest('base64url');
/** A genuinely signed token from raw segments (strings are used as they are). */
const signed = (payload: unknown, header: unknown = HEADER): string => {
  const input = `${encode(header)}.${encode(payload)}`;
  return `${input}.${mac(input)}`;
};
const claims = (overrides: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  aud: ACCESS.audience,
  sub: 'user',
  sid: 'session',
  jti: 'jti',
  iat: IAT,
  exp: IAT + 900,
  amr: ['pwd'],
  ...overrides,
});
const without = (name: string) => {
  const copy: Record<string, unknown> = claims();
  delete copy[name];
  return copy;
};

const verifyAt = (token: string, now = NOW) => codec.verify(token, ACCESS, { now });

describe('issuer and audience', () => {
  it('should accept the genuine claims (the control case)', async () => {
    assert.equal((await verifyAt(signed(claims()))).sub, 'user');
  });

  it('should refuse a wrong, differently cased, missing or non-string iss', async () => {
    for (const iss of [
      'https://evil.example',
      'https://AUTH.example.test',
      `${ISSUER}/`,
      '',
      null,
      [ISSUER],
    ]) {
      await rejectsWith(verifyAt(signed(claims({ iss }))), 'issuer');
    }
    await rejectsWith(verifyAt(signed(without('iss'))), 'issuer');
  });

  it('should refuse a wrong, missing or array aud', async () => {
    for (const aud of ['https://other.example', `${ACCESS.audience}/`, '', null, [ACCESS.audience]]) {
      await rejectsWith(verifyAt(signed(claims({ aud }))), 'audience');
    }
    await rejectsWith(verifyAt(signed(without('aud'))), 'audience');
  });
});

describe('time claims and leeway', () => {
  it('should accept an expired token within the 30 s leeway and refuse it beyond', async () => {
    const token = signed(claims());
    const expMs = (IAT + 900) * 1000;
    assert.equal((await verifyAt(token, expMs + 29_000)).sub, 'user');
    await rejectsWith(verifyAt(token, expMs + 30_000), 'expired');
    await rejectsWith(verifyAt(token, expMs + 3_600_000), 'expired');
  });

  it('should refuse an expired token at once with leeway 0', async () => {
    const strict = createJwtCodec({ algorithm: 'HS256', keys: [key], issuer: ISSUER, leewaySeconds: 0 });
    const token = signed(claims());
    const expMs = (IAT + 900) * 1000;
    assert.equal((await strict.verify(token, ACCESS, { now: expMs - 1 })).sub, 'user');
    await rejectsWith(strict.verify(token, ACCESS, { now: expMs }), 'expired');
  });

  it('should refuse nbf and iat in the future beyond the leeway', async () => {
    assert.equal((await verifyAt(signed(claims({ nbf: IAT + 29 })))).sub, 'user');
    await rejectsWith(verifyAt(signed(claims({ nbf: IAT + 31 }))), 'not_yet_valid');
    assert.equal((await verifyAt(signed(claims({ iat: IAT + 29, exp: IAT + 900 })))).sub, 'user');
    await rejectsWith(verifyAt(signed(claims({ iat: IAT + 31, exp: IAT + 900 }))), 'not_yet_valid');
    await rejectsWith(
      verifyAt(signed(claims({ iat: IAT + 86_400, exp: IAT + 86_400 + 900 }))),
      'not_yet_valid',
    );
  });

  it('should never allow more than 30 s of leeway', () => {
    assert.throws(
      () => createJwtCodec({ algorithm: 'HS256', keys: [key], issuer: ISSUER, leewaySeconds: 31 }),
      TypeError,
    );
    assert.throws(
      () => createJwtCodec({ algorithm: 'HS256', keys: [key], issuer: ISSUER, leewaySeconds: 3600 }),
      TypeError,
    );
  });

  it('should refuse a token that claims a longer life than its class allows', async () => {
    await rejectsWith(verifyAt(signed(claims({ exp: IAT + 901 }))), 'claims');
    await rejectsWith(verifyAt(signed(claims({ exp: IAT + 10 * 365 * 86_400 }))), 'claims');
  });
});

describe('required and typed claims', () => {
  it('should refuse a token missing sub, jti, iat or exp', async () => {
    for (const name of ['sub', 'jti', 'iat', 'exp']) {
      await rejectsWith(verifyAt(signed(without(name))), 'claims');
    }
  });

  it('should refuse claims of the wrong type or shape', async () => {
    for (const overrides of [
      { sub: 42 },
      { sub: '' },
      { sub: 'x'.repeat(257) },
      { jti: null },
      { sid: '' },
      { sid: 7 },
      { amr: 'pwd' },
      { amr: [1] },
      { iat: String(IAT) },
      { exp: String(IAT + 900) },
      { exp: IAT + 900.5 },
      { iat: -1 },
      { exp: IAT },
      { exp: IAT - 1 },
      { nbf: 'soon' },
      { exp: Number.MAX_SAFE_INTEGER + 2 },
    ]) {
      await rejectsWith(verifyAt(signed(claims(overrides))), 'claims');
    }
  });
});

describe('malformed tokens', () => {
  it('should refuse tokens over 8 KiB unread, and accept one just under', async () => {
    const filler = (length: number) => signed(claims({ pad: 'x'.repeat(length) }));
    let padding = Math.floor(((8192 - filler(0).length) * 3) / 4) - 8;
    while (filler(padding + 1).length <= 8192) padding += 1;
    const under = filler(padding);
    const over = filler(padding + 1);
    assert.ok(under.length > 8180 && under.length <= 8192, `${under.length}`);
    assert.equal((await verifyAt(under)).sub, 'user');
    assert.ok(over.length > 8192);
    await rejectsWith(verifyAt(over), 'malformed');
    const enormous = `${signed(claims())}${'A'.repeat(5_000_000)}`;
    const started = performance.now();
    await rejectsWith(verifyAt(enormous), 'malformed');
    assert.ok(performance.now() - started < 50);
  });

  it('should refuse the wrong number of segments', async () => {
    const token = signed(claims());
    const [h, p, s] = token.split('.');
    for (const candidate of [
      '',
      '.',
      '..',
      '...',
      `${h}.${p}`,
      `${h}.${p}.${s}.${s}`,
      `${h}.${p}.${s}.${s}.${s}`,
      `${h}..${s}`,
      `.${p}.${s}`,
    ]) {
      await rejectsWith(verifyAt(candidate), 'malformed');
    }
  });

  it('should refuse non-canonical base64url in any segment: padding, + and /, whitespace, stray bits', async () => {
    const token = signed(claims());
    const [h, p, s] = token.split('.') as [string, string, string];
    const variants = [
      `${h}=.${p}.${s}`,
      `${h}.${p}=.${s}`,
      `${h}.${p}.${s}=`,
      `${h}.${p}.${s.replace(/[-_]/g, (c) => (c === '-' ? '+' : '/'))}${/[-_]/.test(s) ? '' : '+'}`,
      ` ${h}.${p}.${s}`,
      `${h}.${p}.${s}\n`,
      `${h}.${p} .${s}`,
    ];
    // The signature is 32 bytes, so its last character carries 2 zero bits; set one.
    const last = s.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    variants.push(`${h}.${p}.${s.slice(0, -1)}${alphabet[alphabet.indexOf(last) + 1]}`);
    for (const candidate of variants) await rejectsWith(verifyAt(candidate), 'malformed');
  });

  it('should refuse a header or payload that is not a UTF-8 JSON object, even when genuinely signed', async () => {
    const headerInput = (header: string) => `${encode(header)}.${encode(claims())}`;
    for (const header of [
      '[]',
      'null',
      '"HS256"',
      '{"alg":"HS256"',
      '\ufeff{"alg":"HS256","typ":"at+jwt","kid":"k1"}',
    ]) {
      const input = headerInput(header);
      await rejectsWith(verifyAt(`${input}.${mac(input)}`), 'malformed');
    }
    const badUtf8 = Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0x31, 0x7d]).toString('base64url');
    const withBadHeader = `${badUtf8}.${encode(claims())}`;
    await rejectsWith(verifyAt(`${withBadHeader}.${mac(withBadHeader)}`), 'malformed');
    for (const payload of ['[]', 'null', '42', '{"sub":', 'not json']) {
      await rejectsWith(verifyAt(signed(payload)), 'malformed');
    }
    const huge = `${encode({ ...HEADER, pad: 'x'.repeat(600) })}.${encode(claims())}`;
    await rejectsWith(verifyAt(`${huge}.${mac(huge)}`), 'malformed');
  });

  it('should refuse a JWE (five segments) and a JSON-serialised JWS', async () => {
    const jwe = ['eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0', '', 'aXY', 'Y2lwaGVy', 'dGFn'].join('.');
    await rejectsWith(verifyAt(jwe), 'malformed');
    const json = JSON.stringify({ protected: encode(HEADER), payload: encode(claims()), signature: 'AAAA' });
    await rejectsWith(verifyAt(json), 'malformed');
  });
});
