/**
 * Type tests (checked by `npm run typecheck`, never run): `gatehouse/express` merges `auth`
 * into Express's own Request, so a handler after a guard reads `req.auth` as a Principal
 * without a cast, and the guards are Express middleware.
 */
import express from 'express';
import { gatehouse } from '../../src/http/adapters/express/index.ts';
import type { Principal } from '../../src/http/index.ts';
import { createAuth } from '../../src/index.ts';

export async function expressTypeCheck(): Promise<void> {
  const auth = await createAuth();
  const gh = gatehouse(auth);
  const app = express();
  app.use('/api', gh);
  app.get('/api/admin', gh.requireRoles('admin'), (req, res) => {
    const principal: Principal | undefined = req.auth;
    const userId: string | undefined = req.auth?.userId;
    const roles: readonly string[] | undefined = req.auth?.roles;
    res.json({ principal, userId, roles });
  });
  app.get('/api/me', gh.requireAuth(), async (req, res) => {
    const user = await auth.api.getUser(req.auth);
    const email: string | undefined = user?.email;
    res.json({ email });
  });
  app.get('/api/reports', gh.requireScopes('reports:read'), gh.requireStepUp(), (_req, res) => {
    res.end();
  });
  app.get('/x', (req) => {
    // @ts-expect-error: req.auth is a Principal, not a string
    const wrong: string = req.auth;
    // @ts-expect-error: the principal is read-only
    if (req.auth) req.auth.userId = 'someone else';
    void wrong;
  });
}
