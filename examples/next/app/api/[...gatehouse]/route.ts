// Gatehouse's routes under /api: /api/auth/login, /api/users/me, … (the prefix is applied once).
import { toNextHandlers } from 'gatehouse/next';
import { auth } from '../../../lib/auth';

export const runtime = 'nodejs';
export const { GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS } = toNextHandlers(auth);
