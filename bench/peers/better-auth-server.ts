/**
 * The peer: better-auth (the version pinned in ./package.json) on Hono and `@hono/node-server`,
 * with a SQLite file through `node:sqlite`, email and password sign-in, and the bearer plugin,
 * as its documentation sets it up. Rate limiting is off, as it is in the Gatehouse server the
 * harness runs beside it. Started by side-by-side.ts as its own process; prints one JSON line
 * `{"ready": "<url>"}` once it listens, and exits on SIGTERM or when its parent goes away.
 *
 * Env: PEER_DB (SQLite file), PEER_PORT, PEER_SECRET.
 */
import { DatabaseSync } from 'node:sqlite';
import { serve } from '@hono/node-server';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { bearer } from 'better-auth/plugins';
import { Hono } from 'hono';

const file = process.env.PEER_DB;
if (!file) throw new Error('PEER_DB is required');
const port = Number(process.env.PEER_PORT ?? 0);
const database = new DatabaseSync(file);
database.exec('PRAGMA journal_mode = WAL');
database.exec('PRAGMA synchronous = NORMAL');

const options = {
  database,
  secret: process.env.PEER_SECRET ?? 'a bench secret that is long enough to pass the checks 0123456789',
  baseURL: `http://127.0.0.1:${port}`,
  emailAndPassword: { enabled: true, autoSignIn: true },
  rateLimit: { enabled: false },
  plugins: [bearer()],
  logger: { disabled: true },
  telemetry: { enabled: false },
};
const { runMigrations } = await getMigrations(options);
await runMigrations();
const auth = betterAuth(options);

const app = new Hono();
app.get('/health', (c) => c.json({ status: 'ok' }));
app.on(['GET', 'POST'], '/api/auth/*', (c) => auth.handler(c.req.raw));

const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, (info) => {
  process.stdout.write(`${JSON.stringify({ ready: `http://127.0.0.1:${info.port}` })}\n`);
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('disconnect', stop);
