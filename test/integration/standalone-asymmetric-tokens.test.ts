/**
 * The standalone server signs access tokens that other services can verify on their own.
 *
 * Invariants: with `GATEHOUSE_TOKEN_ALGORITHM=EdDSA` or `ES256`, a `gatehouse serve` process
 * issues RFC 9068 access tokens (`typ: at+jwt`; `iss`, `exp`, `aud`, `sub`, `client_id`, `iat`,
 * `jti`) that a resource server verifies with jose through nothing but the published
 * `/.well-known/jwks.json`; the keys are derived from the secrets, or given in
 * `GATEHOUSE_SIGNING_KEYS` (JSON) / `GATEHOUSE_SIGNING_KEYS_FILE` (PEM). After a rotation (new
 * key first, previous key second) tokens signed with the previous key still verify, on the
 * server and through its JWKS, which lists both keys; the JWKS never carries a private member.
 * A key of the wrong type stops the start, naming the variable and never printing the key.
 *
 * Each server runs in development mode on its own SQLite file and memory stores; its user is
 * made with `gatehouse create-user` against the same file.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { generateSecret } from '../../src/index.ts';
import { jsonCall } from '../fixtures/production-server.ts';
import { runGatehouse, type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';

const BASE_URL = 'https://auth.example.test';
const PASSWORD = 'correct horse battery staple 42';
/** JWK members that hold private or symmetric key material (RFC 7517, 7518, 8037). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function newDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-asymmetric-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A development server on `dataDir` with the given variables; killed after the file. */
async function serve(dataDir: string, extra: Record<string, string>): Promise<ServerProcess> {
  const server = await spawnServer({
    env: {
      PORT: '0',
      GATEHOUSE_MODE: 'development',
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_SECRETS: `k1:${SECRET}`,
      GATEHOUSE_BASE_URL: BASE_URL,
      ...extra,
    },
  });
  cleanups.push(() => server.kill());
  return server;
}
const SECRET = generateSecret();

/** Creates a verified (or admin) user in the server's database, as an operator would. */
async function createUser(dataDir: string, email: string, admin = false): Promise<void> {
  const created = await runGatehouse(['create-user', '--email', email, admin ? '--admin' : '--verified'], {
    env: { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_SECRETS: `k1:${SECRET}`, GATEHOUSE_BASE_URL: BASE_URL },
    input: `${PASSWORD}\n`,
  });
  assert.equal(created.code, 0, created.stderr);
}

async function login(server: ServerProcess, email: string): Promise<string> {
  const reply = await jsonCall(server.url, 'POST', '/auth/login', { body: { email, password: PASSWORD } });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return String(reply.body?.accessToken);
}

async function jwksOf(server: ServerProcess): Promise<{ keys: Record<string, unknown>[]; text: string }> {
  const response = await fetch(`${server.url}/.well-known/jwks.json`, { signal: AbortSignal.timeout(5_000) });
  assert.equal(response.status, 200);
  const text = await response.text();
  return { keys: (JSON.parse(text) as { keys: Record<string, unknown>[] }).keys, text };
}

function assertNoPrivateMember(keys: readonly Record<string, unknown>[]): void {
  for (const key of keys) {
    for (const member of PRIVATE_MEMBERS) assert.equal(key[member], undefined, `JWKS key has ${member}`);
  }
}

/**
 * Verifies `token` as an RFC 9068 resource server would: through the server's JWKS only, with
 * the issuer, audience, type and algorithm pinned, then checks the profile's required claims.
 */
async function verifyAsResourceServer(
  server: ServerProcess,
  token: string,
  algorithm: 'EdDSA' | 'ES256',
): Promise<JWTPayload> {
  const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer: BASE_URL,
    audience: BASE_URL,
    algorithms: [algorithm],
    typ: 'at+jwt',
    requiredClaims: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'],
  });
  assert.equal(protectedHeader.typ, 'at+jwt');
  assert.equal(protectedHeader.alg, algorithm);
  assert.equal(payload.client_id, 'gatehouse');
  assert.equal(typeof payload.sub, 'string');
  assert.ok(typeof payload.exp === 'number' && typeof payload.iat === 'number' && payload.exp > payload.iat);
  return payload;
}

/** The server itself still accepts the token on an authenticated route. */
async function assertServerAccepts(server: ServerProcess, token: string, email: string): Promise<void> {
  const me = await jsonCall(server.url, 'GET', '/users/me', { token });
  assert.equal(me.status, 200, JSON.stringify(me.body));
  assert.equal((me.body?.user as { email?: string } | undefined)?.email, email);
}

const pkcs8 = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
/** The base64 lines of a PEM block, without its BEGIN/END lines. */
const pemBody = (pem: string) => pem.split('\n').filter((line) => line && !line.startsWith('-----'));
const spki = (key: KeyObject) => key.export({ format: 'pem', type: 'spki' }).toString();

describe('standalone server - asymmetric access tokens', () => {
  for (const algorithm of ['EdDSA', 'ES256'] as const) {
    it(`${algorithm} with keys derived from the secrets - should issue RFC 9068 tokens that verify through the JWKS`, async () => {
      const dataDir = await newDataDir();
      const server = await serve(dataDir, { GATEHOUSE_TOKEN_ALGORITHM: algorithm });
      await Promise.all([
        createUser(dataDir, 'admin@example.test', true),
        createUser(dataDir, 'user@example.test'),
      ]);

      const adminToken = await login(server, 'admin@example.test');
      const userToken = await login(server, 'user@example.test');
      const admin = await verifyAsResourceServer(server, adminToken, algorithm);
      const user = await verifyAsResourceServer(server, userToken, algorithm);
      // scope: the roles of the grant; none, no claim (RFC 6749 section 3.3 needs one token).
      assert.equal(admin.scope, 'admin');
      assert.equal(user.scope, undefined);
      await assertServerAccepts(server, adminToken, 'admin@example.test');
      // Authorization still reads the roles, not the new claims: API-key scopes stay bounded.
      const adminKey = await jsonCall(server.url, 'POST', '/users/me/api-keys', {
        token: adminToken,
        body: { name: 'ci', scopes: ['admin'] },
      });
      assert.equal(adminKey.status, 201, JSON.stringify(adminKey.body));
      const userKey = await jsonCall(server.url, 'POST', '/users/me/api-keys', {
        token: userToken,
        body: { name: 'ci', scopes: ['admin'] },
      });
      assert.equal(userKey.code, 'API_KEY_SCOPE_DENIED');

      const { keys } = await jwksOf(server);
      assert.equal(keys.length, 1);
      assert.equal(keys[0]?.alg, algorithm);
      assert.equal(keys[0]?.kid, decodeProtectedHeader(adminToken).kid);
      assertNoPrivateMember(keys);
    });
  }

  it('EdDSA with PEM keys from GATEHOUSE_SIGNING_KEYS_FILE - a token of the previous key should still verify after a rotation', async () => {
    const dataDir = await newDataDir();
    const previous = generateKeyPairSync('ed25519');
    const current = generateKeyPairSync('ed25519');
    const before = join(dataDir, 'before.pem');
    const rotated = join(dataDir, 'rotated.pem');
    await writeFile(before, pkcs8(previous.privateKey), { mode: 0o600 });
    // The new key first; the previous one second, as its public half only.
    await writeFile(rotated, `${pkcs8(current.privateKey)}${spki(previous.publicKey)}`, { mode: 0o600 });

    const old = await serve(dataDir, {
      GATEHOUSE_TOKEN_ALGORITHM: 'EdDSA',
      GATEHOUSE_SIGNING_KEYS_FILE: before,
    });
    await createUser(dataDir, 'rotate@example.test');
    const oldToken = await login(old, 'rotate@example.test');
    const next = await serve(dataDir, {
      GATEHOUSE_TOKEN_ALGORITHM: 'EdDSA',
      GATEHOUSE_SIGNING_KEYS_FILE: rotated,
    });

    const { keys, text } = await jwksOf(next);
    assert.equal(keys.length, 2, 'the JWKS lists the current and the previous key');
    assertNoPrivateMember(keys);
    for (const key of [current.privateKey, previous.privateKey]) {
      assert.ok(!text.includes(String(key.export({ format: 'jwk' }).d)), 'a private key is published');
    }
    const newToken = await login(next, 'rotate@example.test');
    assert.equal(decodeProtectedHeader(newToken).kid, keys[0]?.kid);
    assert.equal(decodeProtectedHeader(oldToken).kid, keys[1]?.kid);
    await verifyAsResourceServer(next, oldToken, 'EdDSA');
    await verifyAsResourceServer(next, newToken, 'EdDSA');
    await assertServerAccepts(next, oldToken, 'rotate@example.test');
    // Neither server wrote any line of a private key to its output.
    for (const key of [previous.privateKey, current.privateKey]) {
      for (const line of pemBody(pkcs8(key))) {
        for (const server of [old, next]) {
          assert.ok(!`${server.stdout()}${server.stderr()}`.includes(line), 'key material in the output');
        }
      }
    }
    // The old server never knew the new key.
    const refused = await jsonCall(old.url, 'GET', '/users/me', { token: newToken });
    assert.equal(refused.status, 401);
  });

  it('ES256 with JWKs in GATEHOUSE_SIGNING_KEYS - should sign with the first, verify the previous, and publish only public halves', async () => {
    const dataDir = await newDataDir();
    const previous = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const current = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = (key: KeyObject, kid: string) => ({ ...key.export({ format: 'jwk' }), kid });

    const old = await serve(dataDir, {
      GATEHOUSE_TOKEN_ALGORITHM: 'ES256',
      GATEHOUSE_SIGNING_KEYS: JSON.stringify({ keys: [jwk(previous.privateKey, '2026-06')] }),
    });
    await createUser(dataDir, 'jwk@example.test', true);
    const oldToken = await login(old, 'jwk@example.test');
    // Rotation keeps the previous key's private JWK in the list: only its public half may show.
    const next = await serve(dataDir, {
      GATEHOUSE_TOKEN_ALGORITHM: 'ES256',
      GATEHOUSE_SIGNING_KEYS: JSON.stringify([
        jwk(current.privateKey, '2026-12'),
        jwk(previous.privateKey, '2026-06'),
      ]),
    });

    const { keys, text } = await jwksOf(next);
    assert.deepEqual(
      keys.map((k) => [k.kid, k.alg, k.kty, k.crv, k.use]),
      [
        ['2026-12', 'ES256', 'EC', 'P-256', 'sig'],
        ['2026-06', 'ES256', 'EC', 'P-256', 'sig'],
      ],
    );
    assertNoPrivateMember(keys);
    for (const key of [current.privateKey, previous.privateKey]) {
      assert.ok(!text.includes(String(key.export({ format: 'jwk' }).d)), 'a private key is published');
    }
    const newToken = await login(next, 'jwk@example.test');
    assert.equal(decodeProtectedHeader(newToken).kid, '2026-12');
    assert.equal((await verifyAsResourceServer(next, oldToken, 'ES256')).scope, 'admin');
    await verifyAsResourceServer(next, newToken, 'ES256');
    await assertServerAccepts(next, oldToken, 'jwk@example.test');
  });

  it('a key of the wrong type - should stop the start, naming the variable, never printing the key', async () => {
    const dataDir = await newDataDir();
    const ed = generateKeyPairSync('ed25519');
    const run = await runGatehouse(['serve'], {
      env: {
        PORT: '0',
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_SECRETS: `k1:${SECRET}`,
        GATEHOUSE_TOKEN_ALGORITHM: 'ES256',
        GATEHOUSE_SIGNING_KEYS: JSON.stringify([{ kid: 'k', pem: pkcs8(ed.privateKey) }]),
      },
    });
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /GATEHOUSE_SIGNING_KEYS\[0\]: is an Ed25519 key; ES256 needs a P-256 \(EC\) key/,
    );
    for (const line of pemBody(pkcs8(ed.privateKey)))
      assert.ok(!`${run.stdout}${run.stderr}`.includes(line), 'key material printed');
  });
});
