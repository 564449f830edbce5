import { authorize } from '../../../lib/auth';

export const runtime = 'nodejs';

/** The `admin` role only: { userId, admin: true }; else 401 or 403 problem+json. */
export async function GET(request: Request): Promise<Response> {
  const caller = await authorize({ request, roles: ['admin'] });
  if (caller instanceof Response) return caller;
  return Response.json({ userId: caller.userId, admin: true });
}

/**
 * A write for the same role. With a cookie session it needs the X-CSRF-Token header and an
 * allowed Origin: authorize({ request }) checks the request as sent, method included.
 */
export async function POST(request: Request): Promise<Response> {
  const caller = await authorize({ request, roles: ['admin'] });
  if (caller instanceof Response) return caller;
  return Response.json({ userId: caller.userId, written: true });
}
