/**
 * The example's Express 5 app: Gatehouse under /api and three application routes beside it.
 * Kept apart from server.ts so that the adapter tests run this very app in a real process.
 */
import express, { type Express } from 'express';
import { type ExpressAuthTarget, gatehouse } from '../../src/http/adapters/express/index.ts';

export interface ExampleOptions {
  /** Where express.json() / express.urlencoded() go: before Gatehouse (the usual place) or after it. */
  readonly bodyParsers?: 'before' | 'after';
}

export function buildApp(auth: ExpressAuthTarget, options: ExampleOptions = {}): Express {
  const app = express();
  const gh = gatehouse(auth);
  const parsers = [express.json(), express.urlencoded()];
  if (options.bodyParsers !== 'after') app.use(parsers);
  // Gatehouse's routes answer at /api/auth/login, /api/users/me, … (the prefix is applied once).
  app.use('/api', gh);
  if (options.bodyParsers === 'after') app.use(parsers);

  app.get('/public', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/api/me', gh.requireAuth(), (req, res) => {
    res.json({ userId: req.auth?.userId });
  });
  app.get('/api/admin', gh.requireRoles('admin'), (req, res) => {
    res.json({ userId: req.auth?.userId, admin: true });
  });
  return app;
}
