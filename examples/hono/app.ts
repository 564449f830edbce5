/**
 * The example's Hono app: Gatehouse under /api and three application routes beside it.
 * Kept apart from server.ts so that the examples test runs this very app in a real process.
 */
import { Hono } from 'hono';
import type { GuardEnv } from '../../src/http/index.ts';
import type { Auth } from '../../src/index.ts';

/** `auth` must be created with `http: { basePath: '/api' }`: in Hono, the base path is the mount. */
export function buildApp(auth: Auth): Hono<GuardEnv> {
  const app = new Hono<GuardEnv>();
  app.get('/public', (c) => c.json({ ok: true }));
  app.get('/api/me', auth.requireAuth(), (c) => c.json({ userId: c.get('principal')?.userId }));
  app.get('/api/admin', auth.requireRoles('admin'), (c) =>
    c.json({ userId: c.get('principal')?.userId, admin: true }),
  );
  // Gatehouse's routes: /api/auth/login, /api/users/me, … (after the application's own routes).
  app.route('/', auth.app);
  return app;
}
