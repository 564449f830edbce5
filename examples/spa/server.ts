/**
 * The single-page app example: a static page whose script uses `gatehouse/client`, served
 * beside the Hono example's app (Gatehouse under /api, GET /public, /api/me, /api/admin) on one
 * origin. Run from the repository root: `node examples/spa/server.ts`, then open
 * http://localhost:3000.
 *
 * The page's script (web/app.ts) is bundled for the browser with esbuild when the server
 * starts: no build step, and the page always runs the client as the sources are.
 *
 * With $GATEHOUSE_API_URL set (e.g. http://localhost:3001/api, a Hono example started with
 * GATEHOUSE_CORS_ORIGINS naming this page's origin), the page talks to that API cross-origin
 * and this server serves the page only.
 */
import { readFile } from 'node:fs/promises';
import { serve } from '@hono/node-server';
import { build } from 'esbuild';
import { Hono } from 'hono';
import { createAuth } from '../../src/index.ts';
import { buildApp } from '../hono/app.ts';

const HERE = new URL('./', import.meta.url);
/** Where the page's script reads its API from: same origin unless $GATEHOUSE_API_URL says otherwise. */
const API_URL_PLACEHOLDER = '%GATEHOUSE_API_URL%';

const port = Number(process.env.PORT ?? 3000);
const hostname = process.env.HOST ?? '127.0.0.1';
const apiUrl = process.env.GATEHOUSE_API_URL;

const bundled = await build({
  entryPoints: [new URL('web/app.ts', HERE).pathname],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  write: false,
  logLevel: 'warning',
});
const script = bundled.outputFiles[0]?.text ?? '';
const page = (await readFile(new URL('index.html', HERE), 'utf8')).replace(
  API_URL_PLACEHOLDER,
  // The placeholder sits in an attribute: keep whatever the variable holds inside it.
  (apiUrl ?? '/api').replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;'),
);

const app = new Hono();
// The page, and the path links in mail point to (the page finishes the verification itself).
for (const path of ['/', '/verify-email']) app.get(path, (c) => c.html(page));
app.get('/app.js', (c) => c.body(script, 200, { 'content-type': 'text/javascript; charset=utf-8' }));

let close = async (): Promise<void> => {};
if (apiUrl === undefined) {
  const mailUrl = process.env.GATEHOUSE_MAIL_URL;
  const auth = await createAuth({
    dataDir: process.env.GATEHOUSE_DATA_DIR ?? './data',
    // The origin browsers see: cookie logins and cookie writes from any other origin are refused.
    baseUrl: process.env.GATEHOUSE_BASE_URL ?? `http://localhost:${port}`,
    http: { basePath: '/api' },
    ...(mailUrl ? { mail: { url: mailUrl } } : {}),
  });
  await auth.migrate();
  app.route('/', buildApp(auth));
  close = () => auth.close();
}

const server = serve({ fetch: app.fetch, port, hostname }, () => {
  console.log(`spa example listening on http://${hostname}:${port} (API: ${apiUrl ?? 'same origin, /api'})`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => {
      void close().then(() => process.exit(0));
    });
  });
}
