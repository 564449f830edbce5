/**
 * A production instance refuses to start with a passkey RP ID that does not cover its public
 * host: passkeys registered under it would belong to another site (or to none of our pages), and
 * an RP ID cannot be changed later without losing every passkey.
 * @see issue #12
 * @see issue #17
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ConfigError, createAuth, generateSecret } from '../../src/index.ts';

describe('passkeys.rpId in production', () => {
  let dataDir = '';
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-rpid-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  const production = (rpId: string) =>
    createAuth({
      mode: 'production',
      baseUrl: 'https://auth.example.com',
      secrets: [{ id: 'k', secret: generateSecret() }],
      database: { url: `sqlite:${join(dataDir, `${rpId}.db`)}` },
      dataDir,
      logLevel: 'silent',
      passkeys: { rpId },
    });

  for (const rpId of ['evil.com', 'example.org', 'other.auth.example.com', 'xample.com']) {
    it(`refuses ${rpId} for https://auth.example.com`, async () => {
      await assert.rejects(production(rpId), (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(
          error.problems.map((p) => p.path),
          ['passkeys.rpId'],
        );
        return true;
      });
    });
  }

  it('starts with the host itself or its registrable parent', async () => {
    for (const rpId of ['auth.example.com', 'example.com']) {
      const auth = await production(rpId);
      await auth.close();
    }
  });
});
