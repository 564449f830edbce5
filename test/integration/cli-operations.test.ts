/**
 * The operator commands against a real SQLite database file: `gatehouse users …` (the admin
 * service: list, show, create, disable, enable, unlock, reset-2fa, delete soft and hard, the
 * last-admin rule), `gatehouse audit tail [--follow]`, `gatehouse prune`, and human output that
 * is never mixed with JSON log lines (`migrate status` as a real process logging at info).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/output.ts';
import { CLI_ENTRY, runGatehouse } from '../fixtures/spawn-server.ts';

type Env = Record<string, string>;

const PASSWORD = 'violet-Harbour-kettle-93';

async function cli(args: readonly string[], env: Env, input?: string) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    ...(input === undefined ? {} : { stdin: Readable.from([Buffer.from(input)]) }),
  };
  const code = await runCli(args, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n'), lines: out };
}

/** No line of a command's stdout is a pino JSON line. */
function assertNoLogLines(stdout: string): void {
  for (const line of stdout.split('\n')) assert.ok(!/^\{"level"/.test(line), `a log line on stdout: ${line}`);
}

let root = '';
let env: Env = {};
let adminId = '';

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-cli-ops-'));
  env = {
    GATEHOUSE_DATA_DIR: join(root, 'data'),
    GATEHOUSE_LOG_LEVEL: 'silent',
    GATEHOUSE_MAIL_URL: `file://${join(root, 'mail')}`,
  };
  assert.equal((await cli(['migrate', 'up'], env)).code, 0);
  const created = await cli(['create-user', '--email', 'root@example.com', '--admin'], env, `${PASSWORD}\n`);
  assert.equal(created.code, 0, created.stderr);
  adminId = (created.lines[0] ?? '').replace('id: ', '');
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('gatehouse users', () => {
  it('create, list, show, disable, enable: as the admin service, audited as the operator', async () => {
    const created = await cli(
      ['users', 'create', '--email', 'Editor@Example.com', '--name', 'Ed', '--role', 'editor', '--verified'],
      env,
    );
    assert.equal(created.code, 0, created.stderr);
    assert.match(
      created.stdout,
      /^created [0-9a-f-]{36} \(editor@example\.com\); a link to set a password was mailed/,
    );

    const listed = await cli(['users', 'list', '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const page = JSON.parse(listed.stdout) as {
      users: { email: string; roles: string[]; active: boolean }[];
    };
    assert.deepEqual(
      page.users.map((u) => u.email),
      ['root@example.com', 'editor@example.com'],
    );
    const table = await cli(['users', 'list', '--role', 'editor'], env);
    assert.equal(table.lines.length, 3, table.stdout);
    assert.match(table.lines[0] ?? '', /^id\s+email\s+roles\s+active\s+verified\s+2fa\s+created$/);
    assert.match(table.lines[1] ?? '', /editor@example\.com\s+editor\s+yes\s+yes\s+no/);

    const shown = await cli(['users', 'show', 'editor@example.com'], env);
    const detail = JSON.parse(shown.stdout) as { user?: { name: string }; name?: string };
    assert.equal(detail.user?.name ?? detail.name, 'Ed');
    assert.ok(!shown.stdout.includes('$argon2'), 'no hash is ever shown');

    assert.equal((await cli(['users', 'disable', 'editor@example.com'], env)).code, 0);
    let users = JSON.parse((await cli(['users', 'list', '--json', '--active', 'false'], env)).stdout).users;
    assert.deepEqual(
      users.map((u: { email: string }) => u.email),
      ['editor@example.com'],
    );
    assert.equal((await cli(['users', 'enable', 'editor@example.com'], env)).code, 0);
    users = JSON.parse((await cli(['users', 'list', '--json', '--active', 'false'], env)).stdout).users;
    assert.equal(users.length, 0);

    const tail = await cli(['audit', 'tail', '--limit', '3', '--json'], env);
    const events = tail.lines.map((line) => JSON.parse(line) as { type: string; data: { actorId?: string } });
    assert.deepEqual(
      events.map((e) => e.type),
      ['admin.user_created', 'admin.user_updated', 'admin.user_updated'],
    );
    assert.ok(events.every((e) => e.data.actorId === 'operator:cli'));
  });

  it('refuses to disable or delete the last active admin (LAST_ADMIN), and unlocks and resets 2FA', async () => {
    const disabled = await cli(['users', 'disable', 'root@example.com'], env);
    assert.equal(disabled.code, 1);
    assert.match(disabled.stderr, /without an active admin/);
    const deleted = await cli(['users', 'delete', adminId, '--hard'], env);
    assert.equal(deleted.code, 1);
    assert.equal((await cli(['users', 'unlock', 'root@example.com'], env)).code, 0);
    const reset = await cli(['users', 'reset-2fa', adminId], env);
    assert.equal(reset.code, 0, reset.stderr);
  });

  it('delete: soft keeps the account (inactive, restorable); --hard erases it', async () => {
    const soft = await cli(['users', 'delete', 'editor@example.com'], env);
    assert.equal(soft.code, 0, soft.stderr);
    assert.match(soft.stdout, /soft/);
    const shown = await cli(['users', 'show', 'editor@example.com'], env);
    assert.equal(shown.code, 0);
    assert.ok(shown.stdout.includes('purgeAfter'), 'the pending deletion is shown');
    const hard = await cli(['users', 'delete', 'editor@example.com', '--hard'], env);
    assert.equal(hard.code, 0, hard.stderr);
    const gone = await cli(['users', 'show', 'editor@example.com'], env);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /no such user/);
  });

  it('a wrong command line is a usage error (exit 2) that does not echo what was typed', async () => {
    const wrong = await cli(['users', 'list', '--limit', 'secret-looking-value'], env);
    assert.equal(wrong.code, 2);
    assert.ok(!wrong.stderr.includes('secret-looking-value'));
  });
});

describe('gatehouse prune', () => {
  it('runs every task and prints what each removed', async () => {
    const pruned = await cli(['prune', '--batch-size', '100'], env);
    assert.equal(pruned.code, 0, pruned.stderr);
    for (const task of [
      'sessions.expired',
      'sessions.tombstones',
      'apikeys.expired',
      'audit.retention',
      'admin.deleted-accounts',
    ])
      assert.match(
        pruned.stdout,
        new RegExp(`^${task.replace('.', '\\.')}: removed \\d+ in \\d+ batch`, 'm'),
      );
    assert.match(pruned.stdout, /^removed \d+ in total$/m);
    assert.equal((await cli(['prune', '--task', 'nope'], env)).code, 2);
  });
});

describe('human output and log lines', () => {
  it('migrate status as a process logging at info: stdout is the listing only, log lines go to stderr', async () => {
    const run = await runGatehouse(['migrate', 'status'], {
      env: { ...env, GATEHOUSE_LOG_LEVEL: 'info', GATEHOUSE_LOG_FORMAT: 'json' },
    });
    assert.equal(run.code, 0, run.stderr);
    assertNoLogLines(run.stdout);
    assert.match(run.stdout, /^database: sqlite/m);
    assert.match(run.stdout, /^up to date$/m);
    // The development posture warns on every start: that line went to stderr, as JSON.
    assert.match(run.stderr, /^\{"level":40/m);
  });

  it('audit tail --follow prints events as they are recorded, until interrupted', async () => {
    const child = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        CLI_ENTRY,
        'audit',
        'tail',
        '--limit',
        '1',
        '--follow',
        '--interval-ms',
        '100',
      ],
      { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const waitFor = async (pattern: RegExp, label: string) => {
      const deadline = Date.now() + 10_000;
      while (!pattern.test(stdout)) {
        assert.ok(Date.now() < deadline, `${label}; stdout so far:\n${stdout}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    try {
      await waitFor(/\n/, 'the newest event is printed first');
      const before = stdout.split('\n').filter(Boolean).length;
      const created = await cli(['users', 'create', '--email', 'follow@example.com'], env);
      assert.equal(created.code, 0, created.stderr);
      await waitFor(/admin\.user_created\s+user=[0-9a-f-]{36}/, 'the new event is followed');
      assert.ok(stdout.split('\n').filter(Boolean).length > before);
      assertNoLogLines(stdout);
      child.kill('SIGINT');
      assert.equal(await exited, 0, 'an interrupt ends the follow cleanly');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
