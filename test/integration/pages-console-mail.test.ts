/**
 * The newcomer's path of issue #15 in a real `gatehouse serve` process with the development
 * defaults (console mail, no mail settings): the sign-up page's form, then the verification
 * link exactly as the console prints it, opened by a browser, shows the confirm page (not a
 * 404 problem+json), whose button verifies the address; `/` sends a signed-out browser to the
 * sign-in page, which renders with its CSP nonce. Then the same with only `PORT` set (no
 * `GATEHOUSE_BASE_URL`): the links, of the server and of a CLI command run with the same
 * environment, point to `http://localhost:<PORT>`, the address the start-up line says to open.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findFreePort } from '../fixtures/free-port.ts';
import { cspNonce, overHttp, pageBrowser } from '../fixtures/pages.ts';
import { runGatehouse, type ServerProcess, spawnServer } from '../fixtures/spawn-server.ts';

const PASSWORD = 'harbour-Violet-lantern-73';
const MAIL_TIMEOUT_MS = 5_000;

describe('hosted pages of gatehouse serve with console mail', () => {
  let root = '';
  let base = '';
  let server: ServerProcess;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gatehouse-console-mail-'));
    const port = await findFreePort();
    base = `http://127.0.0.1:${port}`;
    server = await spawnServer({
      env: {
        GATEHOUSE_MODE: 'development',
        GATEHOUSE_DATA_DIR: join(root, 'data'),
        GATEHOUSE_BASE_URL: base,
        PORT: String(port),
      },
    });
  });
  after(async () => {
    await server?.kill();
    await rm(root, { recursive: true, force: true });
  });

  /** The newest verification link printed on the server's stdout for `to`. */
  async function printedLink(to: string): Promise<string> {
    const deadline = Date.now() + MAIL_TIMEOUT_MS;
    for (;;) {
      const mails = server
        .stdout()
        .split('Mail (console transport')
        .filter((m) => m.includes(`To: ${to}`));
      const link = /https?:\/\/\S+\/verify-email\?token=\S+/.exec(mails.at(-1) ?? '')?.[0];
      if (link) return link;
      assert.ok(Date.now() < deadline, `no verification mail to ${to} on the console`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('/ → sign-in; sign up; the printed link opens the confirm page; its button verifies', async () => {
    const browser = pageBrowser(overHttp(base), base);
    const signIn = await browser.get('/');
    assert.equal(signIn.path, '/sign-in');
    assert.equal(signIn.heading, 'Sign in');
    assert.ok(cspNonce(signIn.headers), 'a nonce CSP');

    const email = `newcomer.${Date.now()}@example.com`;
    const sent = await browser.submit(await browser.get('/sign-up'), { email, password: PASSWORD });
    assert.equal(sent.heading, 'Check your email');

    const link = await printedLink(email);
    assert.ok(link.startsWith(`${base}/verify-email?token=`), link);
    const confirm = await browser.get(link.slice(base.length));
    assert.equal(confirm.status, 200);
    assert.match(confirm.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(confirm.heading, 'Confirm your email address');
    const verified = await browser.submit(confirm, {});
    assert.equal(verified.heading, 'Your email address is confirmed');

    const account = await browser.submit(await browser.get('/sign-in'), { email, password: PASSWORD });
    assert.equal(account.path, '/account');
  });
});

describe('gatehouse serve with PORT and no GATEHOUSE_BASE_URL', () => {
  let root = '';
  let port = 0;
  let env: Record<string, string> = {};
  let server: ServerProcess;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'gatehouse-console-mail-port-'));
    port = await findFreePort();
    env = { GATEHOUSE_MODE: 'development', GATEHOUSE_DATA_DIR: join(root, 'data'), PORT: String(port) };
    server = await spawnServer({ env });
  });
  after(async () => {
    await server?.kill();
    await rm(root, { recursive: true, force: true });
  });

  /** The newest link to `path` in console mail to `to` within `output()`. */
  async function linkIn(output: () => string, to: string, path: string): Promise<string> {
    const deadline = Date.now() + MAIL_TIMEOUT_MS;
    for (;;) {
      const mails = output()
        .split('Mail (console transport')
        .filter((m) => m.includes(`To: ${to}`));
      const link = new RegExp(`https?://\\S+${path}\\?token=\\S+`).exec(mails.at(-1) ?? '')?.[0];
      if (link) return link;
      assert.ok(Date.now() < deadline, `no ${path} mail to ${to} on the console`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('the start-up line names the pages at localhost:PORT, where the mailed link leads', async () => {
    const base = `http://localhost:${port}`;
    const listening = server.logs().find((line) => line.msg === 'gatehouse listening');
    assert.equal(listening?.pages, `${base}/`);

    const browser = pageBrowser(overHttp(base), base);
    const email = `port.${Date.now()}@example.com`;
    const sent = await browser.submit(await browser.get('/sign-up'), { email, password: PASSWORD });
    assert.equal(sent.heading, 'Check your email');
    const link = await linkIn(server.stdout, email, '/verify-email');
    assert.ok(link.startsWith(`${base}/verify-email?token=`), link);
    const confirm = await browser.get(link.slice(base.length));
    assert.equal(confirm.heading, 'Confirm your email address');
    assert.equal((await browser.submit(confirm, {})).heading, 'Your email address is confirmed');
  });

  it('a CLI command with the same environment mails links to the same place', async () => {
    const base = `http://localhost:${port}`;
    const email = `cli.${Date.now()}@example.com`;
    const run = await runGatehouse(['users', 'create', '--email', email], { env });
    assert.equal(run.code, 0, run.stderr);
    const link = await linkIn(() => run.stdout, email, '/reset-password');
    assert.ok(link.startsWith(`${base}/reset-password?token=`), link);
    const page = await pageBrowser(overHttp(base), base).get(link.slice(base.length));
    assert.equal(page.status, 200);
  });
});
