/**
 * The example's Fastify app: Gatehouse under /api and three application routes beside it.
 * Kept apart from server.ts so that the adapter tests run this very app in a real process.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import gatehouse, {
  type FastifyAuthTarget,
  requireAuth,
  requireRoles,
} from '../../src/http/adapters/fastify/index.ts';

export async function buildApp(auth: FastifyAuthTarget): Promise<FastifyInstance> {
  const app = Fastify();
  // Gatehouse's routes answer at /api/auth/login, /api/users/me, … (the prefix is applied once).
  await app.register(gatehouse, { auth, prefix: '/api' });

  app.get('/public', async () => ({ ok: true }));
  app.get('/api/me', { preHandler: requireAuth() }, async (request) => ({ userId: request.auth?.userId }));
  app.get('/api/admin', { preHandler: requireRoles('admin') }, async (request) => ({
    userId: request.auth?.userId,
    admin: true,
  }));
  return app;
}
