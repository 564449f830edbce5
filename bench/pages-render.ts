/**
 * What each hosted page weighs and how long the server takes to answer it: `auth.pages.fetch`
 * in-process (no sockets), each page rendered as a signed-out browser first opens it (the
 * sign-in and 2FA pages include their in-process `GET /users/me`). A form POST costs what its
 * API route costs (argon2 for a sign-in) plus the same rendering; it is not measured here.
 *
 *   node bench/pages-render.ts [iterations]
 *
 * Prints, per page, the HTML size (budget: 30 KB) and the median and p99 time per answer
 * (target: 2 ms). Timings are noisy on a shared machine; never gate CI on them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuth, generateSecret } from '../src/index.ts';

const iterations = Number(process.argv[2] ?? 2_000);
const ORIGIN = 'https://auth.example.test';
const BUDGET_BYTES = 30 * 1024;
const TARGET_MS = 2;

const PAGES = [
  '/sign-in',
  '/two-factor',
  '/sign-up',
  '/forgot-password',
  '/signed-out',
  '/verify-email?token=eyJ0eXAiOiJ2ZXJpZnkifQ.payload.signature',
  '/reset-password?token=eyJ0eXAiOiJyZXNldCJ9.payload.signature',
  '/confirm-email?token=eyJ0eXAiOiJjb25maXJtIn0.payload.signature',
  '/sign-in?lang=de',
];

const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-bench-pages-'));
const auth = await createAuth({
  dataDir,
  logLevel: 'silent',
  baseUrl: ORIGIN,
  database: { url: 'sqlite::memory:' },
  secrets: [{ id: 'k1', secret: generateSecret() }],
  ui: { enabled: true },
  rateLimits: { enabled: false },
});
await auth.migrate();

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

const rows: string[] = [];
let over = 0;
for (const path of PAGES) {
  const request = () => new Request(`${ORIGIN}${path}`, { headers: { 'accept-language': 'en' } });
  const first = await auth.pages.fetch(request());
  const bytes = Buffer.byteLength(await first.text());
  // Warm-up: JIT and the first derivations are not what a steady server pays.
  for (let i = 0; i < 200; i++) await (await auth.pages.fetch(request())).text();
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await (await auth.pages.fetch(request())).text();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const median = percentile(times, 50);
  const p99 = percentile(times, 99);
  if (bytes > BUDGET_BYTES || median > TARGET_MS) over++;
  rows.push(
    `${path.split('?')[0]!.padEnd(18)} ${path.includes('lang=de') ? 'de' : 'en'}  ${(bytes / 1024).toFixed(1).padStart(5)} KB  median ${median.toFixed(3)} ms  p99 ${p99.toFixed(3)} ms  (${first.status})`,
  );
}
console.log(`hosted pages, ${iterations} answers each, auth.pages.fetch in-process`);
for (const row of rows) console.log(row);
console.log(
  over === 0
    ? `every page within ${BUDGET_BYTES / 1024} KB and ${TARGET_MS} ms (median)`
    : `${over} page(s) over budget`,
);
await auth.close();
await rm(dataDir, { recursive: true, force: true });
