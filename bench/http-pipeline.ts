/**
 * What the Gatehouse request pipeline costs over a bare Hono app, measured side by side in one
 * process (no sockets, so only our code is measured): a GET that touches nothing, and a POST
 * whose JSON body goes through the full body pipeline (content type, streamed limit, parse,
 * strict schema) before the handler.
 *
 *   npm run bench:http            # or: node bench/http-pipeline.ts [iterations]
 *
 * Prints requests per second for each and the ratio Gatehouse / bare. Timings are noisy on a
 * shared machine: compare the ratio, not the absolute numbers, and never gate CI on them.
 */
import { Hono } from 'hono';
import pino from 'pino';
import { z } from 'zod';
import { CORE_ERROR_CODES } from '../src/core/index.ts';
import { createHttpApp, defineRoute } from '../src/http/index.ts';

const iterations = Number(process.argv[2] ?? 20_000);
const body = JSON.stringify({ email: 'someone@example.com', name: 'Someone' });

const bare = new Hono();
bare.get('/health', (c) => c.json({ status: 'ok' }));
bare.post('/echo', async (c) => c.json(await c.req.json()));

const gatehouse = createHttpApp({
  catalogue: CORE_ERROR_CODES,
  logger: pino({ level: 'silent' }),
  openapi: { title: 'bench', version: '0' },
  routes: [
    defineRoute({
      method: 'GET',
      path: '/health',
      operationId: 'health',
      summary: 'health',
      responses: { 200: { description: 'ok' } },
      handler: async () => ({ status: 200, body: { status: 'ok' } }),
    }),
    defineRoute({
      method: 'POST',
      path: '/echo',
      operationId: 'echo',
      summary: 'echo',
      body: z.strictObject({ email: z.email(), name: z.string().max(100) }),
      responses: { 200: { description: 'ok' } },
      handler: async ({ body }) => ({ status: 200, body }),
    }),
  ],
});

type Fetch = (request: Request) => Response | Promise<Response>;

async function measure(fetch: Fetch, make: () => Request): Promise<number> {
  for (let i = 0; i < 2_000; i++) await (await fetch(make())).arrayBuffer(); // warm up the JIT
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const response = await fetch(make());
    await response.arrayBuffer();
  }
  return iterations / (Number(process.hrtime.bigint() - start) / 1e9);
}

const cases: [string, () => Request][] = [
  ['GET /health', () => new Request('http://localhost/health')],
  [
    'POST /echo (JSON body, strict schema)',
    () =>
      new Request('http://localhost/echo', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }),
  ],
];

for (const [name, make] of cases) {
  // Interleave the two so drift in machine load hits both alike.
  const bareRuns: number[] = [];
  const ghRuns: number[] = [];
  for (let round = 0; round < 3; round++) {
    bareRuns.push(await measure((r) => bare.fetch(r), make));
    ghRuns.push(await measure((r) => gatehouse.fetch(r), make));
  }
  const best = (xs: number[]) => Math.max(...xs);
  console.log(
    `${name}: bare ${best(bareRuns).toFixed(0)} req/s, gatehouse ${best(ghRuns).toFixed(0)} req/s, ratio ${(best(ghRuns) / best(bareRuns)).toFixed(2)}`,
  );
}
