/**
 * `gatehouse/client` runs in browsers: nothing reachable from src/client/index.ts may import a
 * `node:` module or a server-side package (zod, hono, pino…). Proven by bundling the entry for
 * the browser with esbuild, which fails on a Node built-in, and by listing every file the bundle
 * took in. The client also stays within its size budget (8 KB min+gzip without React).
 *
 * @see issue #14
 */
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
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

  it('an app importing createAuthClient - should stay within 8 KB min+gzip (bench/client-bundle-size.ts prints the figures)', async () => {
    const result = await build({
      stdin: {
        contents: "export { createAuthClient } from './src/client/index.ts';",
        resolveDir: ROOT,
        loader: 'ts',
      },
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    const bytes = result.outputFiles[0]?.contents ?? new Uint8Array();
    assert.ok(gzipSync(bytes, { level: 9 }).byteLength <= 8 * 1024);
  });
});
