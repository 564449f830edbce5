/**
 * What each hosted page weighs and how long the server takes to answer it: `auth.pages.fetch`
 * in-process (no sockets).
 *
 * - Signed out: each page as a browser first opens it (the sign-in and 2FA pages include their
 *   in-process `GET /users/me`).
 * - Signed in: the account page and each section, with a cookie session (each includes its
 *   in-process `GET /users/me`, the sessions and API-key pages their lists).
 * - The 2FA enrolment (the answer to "turn on" with the password: QR code, secret, first-code
 *   form): its page work, i.e. the form check, `GET /auth/csrf`, `GET /users/me`, the QR code
 *   and the markup, with the API's `POST /auth/2fa/enable` replayed from a recorded answer
 *   (that route checks the password with argon2: an API cost, not rendering). The QR code's
 *   SVG is also timed alone.
 *
 * A form POST otherwise costs what its API route costs (argon2 for a sign-in) plus the same
 * rendering; it is not measured here.
 *
 *   node bench/pages-render.ts [iterations]
 *
 * Prints, per page, the HTML size (budget: 30 KB) and the median and p99 time per answer
 * (target: 2 ms). Timings are noisy on a shared machine; never gate CI on them.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Auth } from '../src/index.ts';
import { createPages } from '../src/pages/index.ts';
import { qrCodeSvg } from '../src/pages/render/qr-code.ts';
import { createHarness, GOOD_PASSWORD, HARNESS_BASE_URL } from '../test/fixtures/auth-harness.ts';
import { pageBrowser } from '../test/fixtures/pages.ts';

const iterations = Number(process.argv[2] ?? 2_000);
const ORIGIN = HARNESS_BASE_URL;
const BUDGET_BYTES = 30 * 1024;
const TARGET_MS = 2;
const WARM_UP = 200;

const SIGNED_OUT = [
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
const SIGNED_IN = [
  '/account',
  '/account/profile',
  '/account/password',
  '/account/email',
  '/account/sessions',
  '/account/two-factor',
  '/account/providers',
  '/account/api-keys',
  '/account?lang=de',
];

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
}

async function timed(run: () => unknown): Promise<{ median: number; p99: number }> {
  for (let i = 0; i < WARM_UP; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { median: percentile(times, 50), p99: percentile(times, 99) };
}

const rows: string[] = [];
let over = 0;
function report(
  label: string,
  bytes: number | null,
  status: number | null,
  t: { median: number; p99: number },
) {
  if ((bytes ?? 0) > BUDGET_BYTES || t.median > TARGET_MS) over++;
  const size = bytes === null ? '     -   ' : `${(bytes / 1024).toFixed(1).padStart(5)} KB`;
  rows.push(
    `${label.padEnd(26)} ${size}  median ${t.median.toFixed(3)} ms  p99 ${t.p99.toFixed(3)} ms${status === null ? '' : `  (${status})`}`,
  );
}

async function page(fetch: Auth['fetch'], path: string, cookie = ''): Promise<void> {
  const request = () =>
    new Request(`${ORIGIN}${path}`, { headers: { 'accept-language': 'en', ...(cookie ? { cookie } : {}) } });
  const first = await fetch(request());
  const bytes = Buffer.byteLength(await first.text());
  const t = await timed(async () => (await fetch(request())).text());
  const label = `${path.split('?')[0]} ${path.includes('lang=de') ? 'de' : 'en'}`;
  report(label, bytes, first.status, t);
}

const h = await createHarness({ config: { ui: { enabled: true } } });
try {
  for (const path of SIGNED_OUT) await page(h.auth.pages.fetch, path);

  const email = 'bench.pages@example.com';
  await h.register(email);
  const browser = pageBrowser(h.auth);
  const account = await browser.submit(await browser.get('/sign-in'), { email, password: GOOD_PASSWORD });
  if (account.path !== '/account') throw new Error(`sign-in went to ${account.path}`);
  const cookie = [...browser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  for (const path of SIGNED_IN) await page(h.auth.pages.fetch, path, cookie);

  // The enrolment: one real answer of POST /auth/2fa/enable, replayed to a pages instance over
  // the same API, so what is timed is the page's own work.
  const { accessToken } = await h.login(email);
  const enable = await h.post('/auth/2fa/enable', { currentPassword: GOOD_PASSWORD }, { token: accessToken });
  if (enable.status !== 200) throw new Error(`enable answered ${enable.status}`);
  const recorded = JSON.stringify(enable.body);
  const key = Buffer.alloc(32, 7);
  const mac = (value: string) => createHmac('sha256', key).update(value).digest('base64url');
  const pages = createPages({
    config: h.auth.config,
    api: async (request, env) =>
      new URL(request.url).pathname === '/auth/2fa/enable'
        ? new Response(recorded, { headers: { 'content-type': 'application/json' } })
        : h.auth.fetch(request, env),
    formDigests: {
      digest: mac,
      matches: (value, digest) => {
        const expected = Buffer.from(mac(value));
        const given = Buffer.from(digest);
        return expected.length === given.length && timingSafeEqual(expected, given);
      },
    },
  });
  const enrolBrowser = pageBrowser({ fetch: pages.fetch } as Auth);
  for (const [name, value] of browser.cookies) enrolBrowser.cookies.set(name, value);
  const offPage = await enrolBrowser.get('/account/two-factor');
  const form = offPage.forms.find((f) => f.fields.intent === 'enable');
  if (!form) throw new Error('no enable form');
  const body = new URLSearchParams({ ...form.fields, currentPassword: GOOD_PASSWORD }).toString();
  const enrolCookie = [...enrolBrowser.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  const enrolRequest = () =>
    new Request(`${ORIGIN}/account/two-factor`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: ORIGIN,
        cookie: enrolCookie,
        'accept-language': 'en',
      },
      body,
    });
  const first = await pages.fetch(enrolRequest());
  const html = await first.text();
  if (!html.includes('<svg')) throw new Error(`the enrolment page has no QR code (${first.status})`);
  report(
    'enrolment (POST) en',
    Buffer.byteLength(html),
    first.status,
    await timed(async () => (await pages.fetch(enrolRequest())).text()),
  );
  const uri = String((enable.body as { otpauthUri: string }).otpauthUri);
  report(
    '  of which the QR code SVG',
    Buffer.byteLength(String(qrCodeSvg(uri, 'QR code'))),
    null,
    await timed(() => String(qrCodeSvg(uri, 'QR code'))),
  );
} finally {
  await h.close();
}

console.log(`hosted pages, ${iterations} answers each, auth.pages.fetch in-process`);
for (const row of rows) console.log(row);
console.log(
  over === 0
    ? `every page within ${BUDGET_BYTES / 1024} KB and ${TARGET_MS} ms (median)`
    : `${over} page(s) over budget`,
);
