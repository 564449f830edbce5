/**
 * Gatehouse in Hono. Run from the repository root: `node examples/hono/server.ts`.
 * Embedded default: SQLite in $GATEHOUSE_DATA_DIR (./data), mail printed to the console
 * unless $GATEHOUSE_MAIL_URL says otherwise; listens on $PORT (3000).
 */
import { serve } from '@hono/node-server';
import { createAuth } from '../../src/index.ts';
import { buildApp } from './app.ts';

const mailUrl = process.env.GATEHOUSE_MAIL_URL;
const port = Number(process.env.PORT ?? 3000);
const auth = await createAuth({
  dataDir: process.env.GATEHOUSE_DATA_DIR ?? './data',
  // The origin browsers see: cookie logins and cookie writes from any other origin are refused.
  baseUrl: process.env.GATEHOUSE_BASE_URL ?? `http://localhost:${port}`,
  http: { basePath: '/api' },
  // Pages on other origins (comma-separated) that may call the API from a browser, with cookies.
  cors: { origins: (process.env.GATEHOUSE_CORS_ORIGINS ?? '').split(',').filter(Boolean) },
  ...(mailUrl ? { mail: { url: mailUrl } } : {}),
});
await auth.migrate();

const hostname = process.env.HOST ?? '127.0.0.1';
const server = serve({ fetch: buildApp(auth).fetch, port, hostname }, () => {
  console.log(`hono example listening on http://${hostname}:${port}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => {
      void auth.close().then(() => process.exit(0));
    });
  });
}
