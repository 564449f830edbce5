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
      // The request signer's canonical form is shared with the server and imports nothing;
      // passkeys use @simplewebauthn/browser (browser-only, no dependencies).
      const outside = inputs.filter(
        (file) =>
          !file.startsWith('src/client/') &&
          file !== 'src/crypto/canonical-request.ts' &&
          !file.startsWith('node_modules/@simplewebauthn/browser/'),
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
      // What the app loads up front: passkeys' @simplewebauthn/browser is imported on first use,
      // so a bundler that splits (as app bundlers do) puts it in a chunk of its own.
      splitting: true,
      outdir: 'out',
    });
    const entry = result.outputFiles.find((file) => file.path.endsWith('stdin.js'));
    assert.ok(entry, 'the entry chunk');
    assert.ok(result.outputFiles.length > 1, 'passkeys are a chunk of their own');
    assert.ok(gzipSync(entry.contents, { level: 9 }).byteLength <= 8 * 1024);
  });
});
