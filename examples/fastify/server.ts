/**
 * Gatehouse in Fastify 5. Run from the repository root: `node examples/fastify/server.ts`.
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
  ...(mailUrl ? { mail: { url: mailUrl } } : {}),
});
await auth.migrate();

const app = await buildApp(auth);
const address = await app.listen({ port, host: process.env.HOST ?? '127.0.0.1' });
console.log(`fastify example listening on ${address}`);

// app.close() runs the plugin's onClose hook, which closes the Gatehouse instance.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void app.close().then(() => process.exit(0));
  });
}
