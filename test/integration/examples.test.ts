/**
 * The Hono, Express and Fastify examples and the SPA example (the Hono app plus its page), started
 * as their READMEs say (`node examples/<name>/server.ts` from the repository root) on a free port
 * with a throwaway data folder and mail written to .eml files: GET /public answers anyone, GET /api/me is 401 anonymous and 200 for a user who
 * registered and verified through Gatehouse's routes under /api, and GET /api/admin is 403 for
 * that plain user.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { GOOD_PASSWORD } from '../fixtures/auth-harness.ts';
import { type RunningExample, registerVerified, startExample } from '../fixtures/example-process.ts';

const PROBLEM_JSON = /^application\/problem\+json/;

const running: RunningExample[] = [];

after(async () => {
  for (const example of running) await example.stop();
});

/** Registers, verifies through the link in the .eml the example wrote, and signs in. */
async function verifiedUser(base: string, mailDir: string, email: string): Promise<string> {
  await registerVerified(`${base}/api`, mailDir, email);
  const login = await fetch(`${base}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: GOOD_PASSWORD }),
  });
  const body = (await login.json()) as { accessToken?: string };
  assert.equal(login.status, 200, JSON.stringify(body));
  return String(body.accessToken);
}

for (const name of ['hono', 'express', 'fastify', 'spa']) {
  describe(`examples/${name}`, () => {
    it('/public, /api/me (401 anonymous, 200 signed in) and /api/admin (403 for a plain user)', async () => {
      const example = await startExample(name);
      running.push(example);
      const { base, mailDir } = example;
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
