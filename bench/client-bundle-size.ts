/**
 * The size of `gatehouse/client` in a browser app: src/client/index.ts (and, separately,
 * gatehouse/react on top of it) bundled for the browser with esbuild, minified, then gzipped
 * with node:zlib (level 9), as a CDN would serve it. React itself is the app's and is left out.
 * The target is 8 KB min+gzip for the client without React (issue #14).
 *
 *   npm run bench:client-size
 *
 * Each entry is measured whole (the request signer included) and as an app that imports only
 * `createAuthClient`, which is what tree shaking leaves when the signer is not used.
 */
import { resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
const TARGET_BYTES = 8 * 1024;

interface Entry {
  readonly label: string;
  /** An app's module: what it imports and keeps. */
  readonly contents: string;
}

const ENTRIES: readonly Entry[] = [
  {
    label: 'gatehouse/client, every export',
    contents: "export * from './src/client/index.ts';",
  },
  {
    label: 'gatehouse/client, createAuthClient only',
    contents: "export { createAuthClient } from './src/client/index.ts';",
  },
  {
    label: 'gatehouse/client + gatehouse/react',
    contents:
      "export { createAuthClient } from './src/client/index.ts';\nexport * from './src/client/react/index.ts';",
  },
];

async function measure(entry: Entry): Promise<{ minified: number; gzipped: number; lazyGzipped: number }> {
  const result = await build({
    stdin: { contents: entry.contents, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    external: ['react'],
    write: false,
    logLevel: 'silent',
    // The up-front cost: passkeys' @simplewebauthn/browser is a dynamic import (a chunk of its own).
    splitting: true,
    outdir: 'out',
  });
  const entryChunk = result.outputFiles.find((file) => file.path.endsWith('stdin.js'));
  const bytes = entryChunk?.contents ?? new Uint8Array();
  const lazy = result.outputFiles.filter((file) => file !== entryChunk && file.path.endsWith('.js'));
  const lazyGzipped = lazy.reduce((sum, file) => sum + gzipSync(file.contents, { level: 9 }).byteLength, 0);
  return { minified: bytes.byteLength, gzipped: gzipSync(bytes, { level: 9 }).byteLength, lazyGzipped };
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KB`;

for (const entry of ENTRIES) {
  const { minified, gzipped, lazyGzipped } = await measure(entry);
  const verdict = entry.label.includes('react')
    ? ''
    : gzipped <= TARGET_BYTES
      ? '  (within 8 KB)'
      : '  (OVER 8 KB)';
  console.log(
    `${entry.label.padEnd(42)} min ${kb(minified).padStart(9)}  min+gzip ${kb(gzipped).padStart(8)}${verdict}` +
      (lazyGzipped > 0 ? `; loaded on first passkey use ${kb(lazyGzipped)} min+gzip` : ''),
  );
}
