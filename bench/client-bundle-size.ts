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

async function measure(entry: Entry): Promise<{ minified: number; gzipped: number }> {
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
  });
  const bytes = result.outputFiles[0]?.contents ?? new Uint8Array();
  return { minified: bytes.byteLength, gzipped: gzipSync(bytes, { level: 9 }).byteLength };
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(2)} KB`;

for (const entry of ENTRIES) {
  const { minified, gzipped } = await measure(entry);
  const verdict = entry.label.includes('react')
    ? ''
    : gzipped <= TARGET_BYTES
      ? '  (within 8 KB)'
      : '  (OVER 8 KB)';
  console.log(
    `${entry.label.padEnd(42)} min ${kb(minified).padStart(9)}  min+gzip ${kb(gzipped).padStart(8)}${verdict}`,
  );
}
