/**
 * The OpenAPI document is a contract clients are generated from, so it changes only on purpose.
 *
 * Invariant: `GET /openapi.json` of a fully configured instance (every feature, OAuth included)
 * serves, byte for byte, the committed test/fixtures/openapi.snapshot.json, which holds the same
 * document indented (2 spaces, final newline) so that a deliberate change reads as a diff: the
 * served bytes must equal `JSON.stringify` of the snapshot. The document is a function of the
 * route table alone: no secret, data directory or provider credential appears in it, two
 * instances with different secrets serve the same bytes, and neither the kind of access token,
 * the signing algorithm nor rate limits change it.
 *
 * To change the document on purpose, regenerate the snapshot and commit it with the change:
 *   UPDATE_OPENAPI_SNAPSHOT=1 ./node_modules/.bin/node --disable-warning=ExperimentalWarning \
 *     --test test/integration/openapi-snapshot.test.ts
 *
 * @see issue #13
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { before, describe, it } from 'node:test';
import { generateSecret } from '../../src/index.ts';
import {
  EVERY_FEATURE_PROVIDER,
  everyFeatureOpenApiText,
  OPENAPI_SNAPSHOT_FILE,
} from '../fixtures/openapi-document.ts';

const UPDATE = process.env.UPDATE_OPENAPI_SNAPSHOT === '1';
const SNAPSHOT_NAME = relative(process.cwd(), OPENAPI_SNAPSHOT_FILE);
const UPDATE_COMMAND =
  'UPDATE_OPENAPI_SNAPSHOT=1 ./node_modules/.bin/node --disable-warning=ExperimentalWarning ' +
  '--test test/integration/openapi-snapshot.test.ts';

/** The snapshot's form of a document: indented, one member per line, with a final newline. */
function indented(documentText: string): string {
  return `${JSON.stringify(JSON.parse(documentText), null, 2)}\n`;
}

/** Where two texts first part, line by line, or `null` when they are equal. */
function firstDifferingLine(snapshot: string, served: string): string | null {
  const expected = snapshot.split('\n');
  const actual = served.split('\n');
  for (let i = 0; i < Math.max(expected.length, actual.length); i += 1) {
    if (expected[i] !== actual[i]) {
      return (
        `first differing line ${i + 1} of ${SNAPSHOT_NAME}:\n` +
        `  snapshot: ${expected[i]?.trim() ?? '(end of file)'}\n` +
        `  served:   ${actual[i]?.trim() ?? '(end of document)'}`
      );
    }
  }
  return null;
}

/** The failure message: what differs, and how to accept the change when it is deliberate. */
function mismatchMessage(snapshot: string, served: string): string {
  const line = firstDifferingLine(snapshot, indented(served));
  let offset = 0;
  const compact = JSON.stringify(JSON.parse(snapshot));
  while (offset < served.length && served[offset] === compact[offset]) offset += 1;
  return [
    'GET /openapi.json no longer serves the committed snapshot.',
    line ??
      `The same document, serialised differently: first differing byte at ${offset}: ` +
        JSON.stringify(served.slice(offset, offset + 80)),
    'If the change is deliberate (a route added or changed), regenerate the snapshot and commit it:',
    `  ${UPDATE_COMMAND}`,
  ].join('\n');
}

describe('OpenAPI document snapshot', () => {
  const secret = generateSecret();
  let served: string;

  before(async () => {
    served = await everyFeatureOpenApiText({ secrets: [{ id: 'snapshot', secret }] });
  });

  it('openapi snapshot - should serve the committed document byte for byte', async (t) => {
    if (UPDATE) {
      await writeFile(OPENAPI_SNAPSHOT_FILE, indented(served));
      t.diagnostic(`wrote ${SNAPSHOT_NAME}`);
    }
    const snapshot = await readFile(OPENAPI_SNAPSHOT_FILE, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') assert.fail(`no snapshot yet; generate it with:\n  ${UPDATE_COMMAND}`);
      throw error;
    });
    assert.ok(served === JSON.stringify(JSON.parse(snapshot)), mismatchMessage(snapshot, served));
  });

  it('openapi snapshot - should keep the snapshot file in the form the update writes', async () => {
    // A hand edit or a formatter would otherwise make the line shown on a mismatch meaningless.
    const snapshot = await readFile(OPENAPI_SNAPSHOT_FILE, 'utf8');
    const line = firstDifferingLine(snapshot, indented(snapshot));
    assert.equal(line, null, `${line}\nRegenerate it with:\n  ${UPDATE_COMMAND}`);
  });

  it('openapi snapshot - should leak no secret, credential or local path into the document', () => {
    assert.ok(!served.includes(secret), 'the master secret');
    assert.ok(!served.includes(EVERY_FEATURE_PROVIDER.clientSecret), 'the OAuth client secret');
    assert.ok(!served.includes(EVERY_FEATURE_PROVIDER.clientId), 'the OAuth client id');
    assert.ok(!served.includes(EVERY_FEATURE_PROVIDER.issuer), 'the provider issuer');
    assert.ok(!served.includes('gatehouse-harness-'), 'the data directory');
  });

  it('openapi snapshot - should serve the same bytes from a second instance with another secret', async () => {
    const again = await everyFeatureOpenApiText({ secrets: [{ id: 'other', secret: generateSecret() }] });
    assert.ok(again === served, firstDifferingLine(indented(served), indented(again)) ?? 'bytes differ');
  });

  it('openapi snapshot - should not depend on the token kind, the signing algorithm or rate limits', async () => {
    // If one of these ever changes the document on purpose, each variant needs its own snapshot.
    const variants: Record<string, Parameters<typeof everyFeatureOpenApiText>[0]> = {
      'opaque access tokens': { tokens: { access: 'opaque' } },
      'EdDSA-signed tokens': { tokens: { algorithm: 'EdDSA' } },
      'rate limits and lockout on': { rateLimits: { enabled: true }, lockout: { enabled: true } },
    };
    for (const [name, config] of Object.entries(variants)) {
      const text = await everyFeatureOpenApiText(config);
      assert.ok(text === served, `${name}: ${firstDifferingLine(indented(served), indented(text))}`);
    }
  });
});
