/**
 * `gatehouse/client` runs in browsers: nothing reachable from src/client/index.ts may import a
 * `node:` module or a server-side package (zod, hono, pino…). Proven by bundling the entry for
 * the browser with esbuild, which fails on a Node built-in, and by listing every file the bundle
 * took in.
 *
 * @see issue #14
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '../..');

async function browserBundle(entry: string) {
  return build({
    entryPoints: [resolve(ROOT, entry)],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    // React is the app's; gatehouse/react only imports it.
    external: ['react'],
  });
}

describe('gatehouse/client in the browser', () => {
  for (const entry of ['src/client/index.ts', 'src/client/react/index.ts']) {
    it(`${entry} - should bundle for the browser from our own sources only, without node: modules`, async () => {
      const result = await browserBundle(entry);
      const inputs = Object.keys(result.metafile.inputs);
      // The request signer's canonical form is shared with the server and imports nothing.
      const outside = inputs.filter(
        (file) => !file.startsWith('src/client/') && file !== 'src/crypto/canonical-request.ts',
      );
      assert.deepEqual(outside, [], "only the client's own sources are bundled");
      const text = result.outputFiles.map((file) => file.text).join('\n');
      assert.doesNotMatch(text, /["']node:/);
    });
  }
});
