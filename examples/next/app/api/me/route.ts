import { authorize } from '../../../lib/auth';

export const runtime = 'nodejs';

/** Any signed-in caller (bearer token or cookie session): { userId }; else 401 problem+json. */
export async function GET(request: Request): Promise<Response> {
  const caller = await authorize({ request });
  if (caller instanceof Response) return caller;
  return Response.json({ userId: caller.userId });
}
