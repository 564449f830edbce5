/**
 * Gatehouse instances and signed-in users for the benchmarks: silent logs, a fresh secret, a
 * migrated database, and an access token obtained through the real login route.
 */
import { Hono } from 'hono';
import { type Auth, type AuthConfigInput, createAuth, generateSecret } from '../../src/index.ts';

/** A password the policy accepts (long, not common, not containing the email's local part). */
export const BENCH_PASSWORD = 'violet kettle orbit 2049 lantern';
export const BASE_URL = 'http://localhost';

export interface BenchAuthOptions {
  /** `sqlite::memory:`, `sqlite:<file>` or a PostgreSQL URL. */
  readonly databaseUrl: string;
  readonly stores: NonNullable<AuthConfigInput['stores']>;
  /** Where Gatehouse may keep files; only read when the database URL is relative. */
  readonly dataDir: string;
  readonly passwords?: AuthConfigInput['passwords'];
  /** Further options a benchmark needs (token kind, rate limits, …). */
  readonly config?: Omit<
    AuthConfigInput,
    'secrets' | 'baseUrl' | 'logLevel' | 'dataDir' | 'database' | 'stores'
  >;
}

/** A migrated Gatehouse with its own secret and no log output. */
export async function createBenchAuth(options: BenchAuthOptions): Promise<Auth> {
  const auth = await createAuth({
    secrets: [{ id: 'bench', secret: generateSecret() }],
    baseUrl: BASE_URL,
    logLevel: 'silent',
    dataDir: options.dataDir,
    database: { url: options.databaseUrl },
    stores: options.stores,
    ...(options.passwords ? { passwords: options.passwords } : {}),
    ...options.config,
  });
  try {
    await auth.migrate();
  } catch (error) {
    await auth.close();
    throw error;
  }
  return auth;
}

/** A verified user with {@link BENCH_PASSWORD}, created through the server-side API. */
export async function createBenchUser(auth: Auth, email: string): Promise<{ id: string }> {
  const user = await auth.api.users.create({ email, password: BENCH_PASSWORD, emailVerified: true });
  return { id: user.id };
}

/** The JSON body of `POST /auth/login` for `email`. */
export function loginBody(email: string): string {
  return JSON.stringify({ email, password: BENCH_PASSWORD });
}

/** Logs in through `POST /auth/login` (in process) and returns the access token. */
export async function loginInProcess(auth: Auth, email: string): Promise<string> {
  const response = await auth.fetch(
    new Request(`${BASE_URL}/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: loginBody(email),
    }),
  );
  if (response.status !== 200) throw new Error(`login answered ${response.status}`);
  const body = (await response.json()) as { accessToken?: unknown };
  if (typeof body.accessToken !== 'string') throw new Error('login answered without an access token');
  return body.accessToken;
}

/**
 * A plain Hono app with one route behind `auth.requireAuth()` that answers the principal: the
 * cost of authentication alone, without Gatehouse's route pipeline or the user lookup.
 */
export function guardedApp(auth: Auth, path: string): Hono {
  const app = new Hono();
  app.get(path, auth.requireAuth(), (c) => c.json({ principal: c.get('principal') }));
  return app;
}

/** A bare Hono JSON route answering a body shaped like `GET /users/me`'s. */
export function bareApp(path: string): Hono {
  const body = {
    user: {
      id: '0194f7a2-1c3d-7e4f-8a9b-0c1d2e3f4a5b',
      email: 'someone@example.com',
      emailVerified: true,
      name: null,
      roles: [],
      twoFactorEnabled: false,
      createdAt: '2026-11-22T09:00:00.000Z',
    },
  };
  const app = new Hono();
  app.get(path, (c) => c.json(body));
  return app;
}

/** Throws unless `response` is a 200; reads the body so the whole response is paid for. */
export async function expectOk(response: Response): Promise<void> {
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`expected 200, got ${response.status}`);
}
