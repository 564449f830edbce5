/**
 * `tokens.signingKeys` is checked when the configuration is resolved, so a key that cannot
 * sign the configured algorithm stops the start with every other problem, names the key by
 * position, and never prints the key material.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { generateSecret } from '../../crypto/random.ts';
import { ConfigError } from '../errors/index.ts';
import { resolveConfig } from './resolve.ts';
import type { AuthConfigInput } from './schema.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'gh-signing-keys-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));

const ed = generateKeyPairSync('ed25519');
const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const pkcs8 = (key: KeyObject) => key.export({ format: 'pem', type: 'pkcs8' }).toString();
const spki = (key: KeyObject) => key.export({ format: 'pem', type: 'spki' }).toString();

function resolveTokens(tokens: NonNullable<AuthConfigInput['tokens']>) {
  return resolveConfig({ secrets: [{ id: 'k1', secret: generateSecret() }], dataDir, tokens }, { env: {} });
}

function refusal(tokens: NonNullable<AuthConfigInput['tokens']>): ConfigError {
  try {
    resolveTokens(tokens);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the configuration to be refused');
}

/** No line of the PEM body (nor a JWK's `d`) appears in the error. */
function assertNoKeyMaterial(error: ConfigError, ...keys: KeyObject[]): void {
  for (const key of keys) {
    const secretParts = [
      ...pkcs8(key)
        .split('\n')
        .filter((line) => line && !line.startsWith('-----')),
      String(key.export({ format: 'jwk' }).d),
    ];
    for (const part of secretParts) assert.ok(!error.message.includes(part), 'key material in the error');
  }
}

describe('tokens.signingKeys', () => {
  it('EdDSA with a private key and a previous public half - should be accepted', () => {
    const config = resolveTokens({
      algorithm: 'EdDSA',
      signingKeys: [
        { kid: 'new', key: pkcs8(ed.privateKey) },
        { kid: 'old', key: spki(generateKeyPairSync('ed25519').publicKey) },
      ],
    });
    assert.equal(config.tokens.signingKeys?.length, 2);
    assert.equal(config.tokens.clientId, 'gatehouse');
  });

  it('a key of the wrong type for the algorithm - should be refused, naming the position', () => {
    const error = refusal({
      algorithm: 'ES256',
      signingKeys: [{ key: pkcs8(p256.privateKey) }, { key: pkcs8(ed.privateKey) }],
    });
    assert.deepEqual(error.problems, [
      { path: 'tokens.signingKeys.1.key', message: 'is an Ed25519 key; ES256 needs a P-256 (EC) key' },
    ]);
    assertNoKeyMaterial(error, ed.privateKey, p256.privateKey);
  });

  it('a malformed PEM - should be refused without printing any of it', () => {
    const good = pkcs8(ed.privateKey);
    const error = refusal({
      algorithm: 'EdDSA',
      signingKeys: [{ key: good.replace('MC4CAQAw', 'MC4CA!!w') }],
    });
    assert.equal(error.problems[0]?.path, 'tokens.signingKeys.0.key');
    assert.match(error.problems[0]?.message ?? '', /not a readable PEM key/);
    assertNoKeyMaterial(error, ed.privateKey);
  });

  it('a public key first - should be refused: the first key signs', () => {
    const error = refusal({ algorithm: 'EdDSA', signingKeys: [{ key: spki(ed.publicKey) }] });
    assert.match(error.problems[0]?.message ?? '', /must be the private key/);
  });

  it('HS256 with signing keys - should be refused: its keys come from the secrets', () => {
    const error = refusal({ signingKeys: [{ key: pkcs8(ed.privateKey) }] });
    assert.equal(error.problems[0]?.path, 'tokens.signingKeys');
    assertNoKeyMaterial(error, ed.privateKey);
  });

  it('two keys with one kid - should be refused', () => {
    const error = refusal({
      algorithm: 'EdDSA',
      signingKeys: [
        { kid: 'same', key: pkcs8(ed.privateKey) },
        { kid: 'same', key: spki(generateKeyPairSync('ed25519').publicKey) },
      ],
    });
    assert.deepEqual(
      error.problems.map((p) => p.path),
      ['tokens.signingKeys.1.kid'],
    );
  });

  it('the same key twice without kids - should be refused (one thumbprint)', () => {
    const error = refusal({
      algorithm: 'EdDSA',
      signingKeys: [{ key: pkcs8(ed.privateKey) }, { key: spki(ed.publicKey) }],
    });
    assert.deepEqual(
      error.problems.map((p) => p.path),
      ['tokens.signingKeys.1.kid'],
    );
  });
});
