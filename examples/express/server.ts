/**
 * Gatehouse in Express 5. Run from the repository root: `node examples/express/server.ts`.
 * Embedded default: SQLite in $GATEHOUSE_DATA_DIR (./data), mail printed to the console
 * unless $GATEHOUSE_MAIL_URL says otherwise; listens on $PORT (3000).
 */
import { createAuth } from '../../src/index.ts';
import { buildApp } from './app.ts';

const mailUrl = process.env.GATEHOUSE_MAIL_URL;
const port = Number(process.env.PORT ?? 3000);
const auth = await createAuth({
  dataDir: process.env.GATEHOUSE_DATA_DIR ?? './data',
  // The origin browsers see: cookie logins and cookie writes from any other origin are refused.
  baseUrl: process.env.GATEHOUSE_BASE_URL ?? `http://localhost:${port}`,
  // Equal to the mount path in app.ts: Gatehouse then sees the path a client signed.
  http: { basePath: '/api' },
  ...(mailUrl ? { mail: { url: mailUrl } } : {}),
});
await auth.migrate();

const host = process.env.HOST ?? '127.0.0.1';
const server = buildApp(auth).listen(port, host, () => {
  console.log(`express example listening on http://${host}:${port}`);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close(() => {
      void auth.close().then(() => process.exit(0));
    });
  });
}
