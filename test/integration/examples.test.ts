/**
 * The Hono and Express examples, started as their READMEs say (`node examples/<name>/server.ts`
 * from the repository root) on a free port with a throwaway data folder and mail written to
 * .eml files: GET /public answers anyone, GET /api/me is 401 anonymous and 200 for a user who
 * registered and verified through Gatehouse's routes under /api, and GET /api/admin is 403 for
 * that plain user.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GOOD_PASSWORD } from '../fixtures/auth-harness.ts';
import { findFreePort } from '../fixtures/free-port.ts';
import { parseMime, textAndHtml } from '../fixtures/mail.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const START_TIMEOUT_MS = 20_000;
const POLL_MS = 100;
const PROBLEM_JSON = /^application\/problem\+json/;

const running: { child: ChildProcess; dataDir: string }[] = [];

after(async () => {
  for (const { child, dataDir } of running) {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await rm(dataDir, { recursive: true, force: true });
  }
});

/** Starts an example as documented and waits (bounded) until GET /public answers. */
async function startExample(name: string): Promise<{ base: string; mailDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), `gatehouse-example-${name}-`));
  const mailDir = join(dataDir, 'mail');
  const port = await findFreePort();
  const child = spawn(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', `examples/${name}/server.ts`],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        PORT: String(port),
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_MAIL_URL: `file://${mailDir}`,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  running.push({ child, dataDir });
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`examples/${name} exited with ${child.exitCode}`);
    const answered = await fetch(`${base}/public`).then(
      () => true,
      () => false,
    );
    if (answered) return { base, mailDir };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`examples/${name} did not answer within ${START_TIMEOUT_MS} ms`);
}

/** Registers, verifies through the link in the .eml the example wrote, and signs in. */
async function verifiedUser(base: string, mailDir: string, email: string): Promise<string> {
  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const registered = await post('/api/auth/register', { email, password: GOOD_PASSWORD });
  assert.ok(registered.status === 201 || registered.status === 202, `register answered ${registered.status}`);
  let token: string | undefined;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (token === undefined && Date.now() < deadline) {
    const names = await readdir(mailDir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n.endsWith('.eml'))) {
      const { text } = textAndHtml(parseMime(await readFile(join(mailDir, name), 'utf8')));
      token = /[?&]token=([^\s&"<>]+)/.exec(text ?? '')?.[1];
      if (token !== undefined) break;
    }
    if (token === undefined) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  assert.ok(token, 'the verification mail arrived with a link');
  const verified = await post('/api/auth/verify', { token: decodeURIComponent(token) });
  assert.equal(verified.status, 200, await verified.text());
  const login = await post('/api/auth/login', { email, password: GOOD_PASSWORD });
  const body = (await login.json()) as { accessToken?: string };
  assert.equal(login.status, 200, JSON.stringify(body));
  return String(body.accessToken);
}

for (const name of ['hono', 'express']) {
  describe(`examples/${name}`, () => {
    it('/public, /api/me (401 anonymous, 200 signed in) and /api/admin (403 for a plain user)', async () => {
      const { base, mailDir } = await startExample(name);
      const open = await fetch(`${base}/public`);
      assert.equal(open.status, 200);
      assert.deepEqual(await open.json(), { ok: true });

      const anonymous = await fetch(`${base}/api/me`);
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.headers.get('content-type') ?? '', PROBLEM_JSON);

      const token = await verifiedUser(base, mailDir, `${name}-user@example.com`);
      const auth = { authorization: `Bearer ${token}` };
      const me = await fetch(`${base}/api/me`, { headers: auth });
      assert.equal(me.status, 200);
      const { userId } = (await me.json()) as { userId?: unknown };
      assert.equal(typeof userId, 'string');

      const admin = await fetch(`${base}/api/admin`, { headers: auth });
      assert.equal(admin.status, 403);
      assert.match(admin.headers.get('content-type') ?? '', PROBLEM_JSON);
      assert.equal(((await admin.json()) as { code?: string }).code, 'INSUFFICIENT_ROLES');
    });
  });
}
