/**
 * What gatehouse/next costs, against `next start` (production build of examples/next, as
 * test/fixtures/next-example.ts builds it, plus two bench-only route files), in one run over
 * loopback HTTP with keep-alive:
 *
 * - `GET /bare`: a bare Next route handler answering the same JSON shape as /api/me, and the same
 *   handler in a catch-all folder (what Next's dynamic routing costs);
 * - `GET /api/bare`: the same bare handler in `app/api`, beside the adapter's catch-all (whether
 *   mounting the adapter costs the app's other routes anything);
 * - `GET /api/me`: the example's route, `authorize({ request })` (Gatehouse's access pipeline),
 *   and `GET /direct-guard`: the same check as a route handler calling the started instance's
 *   `guards.checkRule` directly (so the ratio is the adapter's, not authentication's);
 * - `GET /api/users/me` through `toNextHandlers` (the catch-all), and `GET /direct`: a route
 *   handler calling the started instance's `fetch` with the same request, without the adapter.
 *
 * Then, in process (no Next server, no network: the adapter's own cost), the handlers'
 * `GET /api/users/me` beside `auth.fetch` of the same request. SQLite in a throwaway data
 * folder, memory stores (the example's defaults). Not run in CI.
 *
 *   node bench/next-adapter.ts [--concurrency=16] [--duration=1500] [--rounds=3]
 */
import { join } from 'node:path';
import { toNextHandlers } from '../src/http/adapters/next/index.ts';
import { createAuth } from '../src/index.ts';
import { buildNextExample } from '../test/fixtures/next-example.ts';
import {
  BENCH_PASSWORD,
  createBenchAuth,
  createBenchUser,
  loginBody,
  loginInProcess,
} from './lib/gatehouse.ts';
import { boundedRun } from './lib/lifecycle.ts';
import { type Contender, compareContenders, machineLine, numberArg, since } from './lib/measure.ts';

const concurrency = numberArg('concurrency', 16);
const durationMs = numberArg('duration', 1500);
const rounds = numberArg('rounds', 3);

const run = boundedRun('next-adapter', 10 * 60_000);
const started = performance.now();

const BENCH_ROUTES = {
  'app/bare/route.ts': `export function GET(): Response {
  return Response.json({ userId: 'not-looked-at' });
}
`,
  'app/bare-catch-all/[...rest]/route.ts': `export function GET(): Response {
  return Response.json({ userId: 'not-looked-at' });
}
`,
  // The same bare handler in app/api beside the adapter's catch-all (app/api/[...gatehouse]).
  'app/api/bare/route.ts': `export function GET(): Response {
  return Response.json({ userId: 'not-looked-at' });
}
`,
  'app/direct-guard/route.ts': `import { auth } from '../../lib/auth';

export const runtime = 'nodejs';

/** /api/me's check without gatehouse/next: the started instance's guard, called directly. */
export async function GET(request: Request): Promise<Response> {
  const instance = await auth.get();
  const outcome = await instance.guards.checkRule(request, { authentication: 'required' });
  if (!outcome.ok) return outcome.response;
  return Response.json({ userId: outcome.principal?.userId });
}
`,
  'app/direct/route.ts': `import { auth } from '../../lib/auth';

export const runtime = 'nodejs';

/** Gatehouse's GET /api/users/me without the adapter: the started instance's fetch, same request. */
export async function GET(request: Request): Promise<Response> {
  const instance = await auth.get();
  return instance.fetch(new Request(new URL('/api/users/me', request.url), { headers: request.headers }));
}
`,
};

try {
  console.log('Building examples/next (next build)…');
  const build = await buildNextExample({ extraFiles: BENCH_ROUTES });
  run.defer(() => build.cleanup());
  const dataDir = join(build.workDir, 'data');
  const email = 'reader@next.example.com';
  const seed = await createAuth({ mode: 'development', dataDir, logLevel: 'silent' });
  await seed.migrate();
  await seed.api.users.create({ email, password: BENCH_PASSWORD, emailVerified: true });
  await seed.close();
  const app = await build.start(dataDir);

  const login = await fetch(`${app.base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: loginBody(email),
  });
  const { accessToken } = (await login.json()) as { accessToken?: string };
  if (login.status !== 200 || !accessToken) throw new Error(`login answered ${login.status}`);
  const authorization = `Bearer ${accessToken}`;

  const get = (path: string) => async () => {
    const response = await fetch(`${app.base}${path}`, { headers: { authorization } });
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
  };
  const contenders: Contender[] = [
    { name: 'bare Next route', call: get('/bare') },
    { name: 'bare route beside the adapter', call: get('/api/bare') },
    { name: 'bare catch-all route', call: get('/bare-catch-all/users/me') },
    { name: 'GET /direct-guard (checkRule)', call: get('/direct-guard') },
    { name: 'GET /api/me (authorize)', call: get('/api/me') },
    { name: 'GET /direct (instance.fetch)', call: get('/direct') },
    { name: 'GET /api/users/me (toNextHandlers)', call: get('/api/users/me') },
  ];
  const best = await compareContenders('next-adapter', contenders, { concurrency, durationMs, rounds });
  const ratio = (x: string, y: string) => (best(x) / best(y)).toFixed(3);
  console.log(
    `  bare beside the adapter ÷ bare route:          ${ratio('bare route beside the adapter', 'bare Next route')}`,
  );
  console.log(
    `  /api/me (authorize) ÷ direct guard:            ${ratio('GET /api/me (authorize)', 'GET /direct-guard (checkRule)')}`,
  );
  console.log(
    `  /api/me (authorize) ÷ bare route:            ${ratio('GET /api/me (authorize)', 'bare Next route')}`,
  );
  console.log(
    `  /api/users/me (toNextHandlers) ÷ direct fetch: ${ratio('GET /api/users/me (toNextHandlers)', 'GET /direct (instance.fetch)')}`,
  );
  console.log(
    `  /api/users/me (toNextHandlers) ÷ bare route:  ${ratio('GET /api/users/me (toNextHandlers)', 'bare Next route')}`,
  );
  console.log(
    `  bare catch-all ÷ bare route:                  ${ratio('bare catch-all route', 'bare Next route')}`,
  );

  // The adapter alone, in process: the same Gatehouse work with and without toNextHandlers.
  const inProcess = await createBenchAuth({
    databaseUrl: 'sqlite::memory:',
    stores: { backend: 'memory' },
    dataDir,
  });
  run.defer(() => inProcess.close());
  await createBenchUser(inProcess, email);
  const token = await loginInProcess(inProcess, email);
  const handlers = toNextHandlers(inProcess, { mountPath: '/api' });
  const request = (url: string) => new Request(url, { headers: { authorization: `Bearer ${token}` } });
  const expect200 = async (response: Response) => {
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`answered ${response.status}`);
  };
  const local = await compareContenders(
    'next-adapter (in process)',
    [
      {
        name: 'auth.fetch GET /users/me',
        call: async () => expect200(await inProcess.fetch(request('http://localhost/users/me'))),
      },
      {
        name: 'toNextHandlers GET /api/users/me',
        call: async () => expect200(await handlers.GET(request('http://localhost/api/users/me'))),
      },
    ],
    { concurrency, durationMs, rounds },
  );
  console.log(
    `  toNextHandlers ÷ auth.fetch (in process):     ${(local('toNextHandlers GET /api/users/me') / local('auth.fetch GET /users/me')).toFixed(3)}`,
  );
  console.log(`\nDone in ${since(started)} (${machineLine()}).`);
} finally {
  await run.cleanup();
}
