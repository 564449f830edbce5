/**
 * `gatehouse create-user`: run in process through `runCli` with a fake stdin (piped and
 * terminal), and as a real child process with the password piped in. The password must only
 * ever come from stdin, and must never appear in any output.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import type { CliIo, CliStdin } from '../../src/cli/output.ts';
import { type Auth, createAuth } from '../../src/index.ts';
import { settingsFromEnv } from '../../src/server/index.ts';
import { MIGRATION_NAMES } from '../fixtures/migrations.ts';
import { runGatehouse } from '../fixtures/spawn-server.ts';

type Env = Record<string, string>;

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly lines: readonly string[];
}

const STRONG_PASSWORD = 'violet-Harbour-kettle-93';
const ID_LINE = /^id: [0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A piped (non-terminal) stdin holding `text`. */
function pipedStdin(text: string): Readable {
  return Readable.from([Buffer.from(text, 'utf8')]);
}

/** A stdin that claims to be a terminal, fed `typed` (what a person types, Enter included). */
function terminalStdin(typed: string): CliStdin {
  const stream = Object.assign(new PassThrough(), { isTTY: true });
  stream.end(typed);
  return stream;
}

/** Runs one command in process with `env` as its whole environment. */
async function cli(args: readonly string[], env: Env, stdin?: CliStdin): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    ...(stdin ? { stdin } : {}),
  };
  const code = await runCli(args, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n'), lines: out };
}

function assertNotEchoed(outcome: { stdout: string; stderr: string }, secret: string): void {
  assert.ok(!outcome.stdout.includes(secret), 'the password was written to stdout');
  assert.ok(!outcome.stderr.includes(secret), 'the password was written to stderr');
}

let root = '';
let env: Env = {};
let auth: Auth;
let emailCount = 0;

/** An address no other case uses. */
function freshEmail(): string {
  return `operator-${++emailCount}@example.com`;
}

/** POST /auth/login against the same database, in process. */
async function login(email: string, password: string): Promise<number> {
  const response = await auth.fetch(
    new Request('http://localhost/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    }),
  );
  await response.body?.cancel();
  return response.status;
}

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-create-user-'));
  env = { GATEHOUSE_DATA_DIR: join(root, 'data'), GATEHOUSE_LOG_LEVEL: 'silent' };
  const migrated = await cli(['migrate', 'up'], env);
  assert.equal(migrated.code, 0, migrated.stderr);
  auth = await createAuth({ ...settingsFromEnv(env).config, logLevel: 'silent' });
});

after(async () => {
  await auth?.close();
  await rm(root, { recursive: true, force: true });
});

describe('gatehouse create-user - piped password', () => {
  it('--admin - should create a verified admin, print only its id and email, and accept the password at login', async () => {
    const email = freshEmail();
    const outcome = await cli(
      ['create-user', '--email', email.toUpperCase(), '--admin', '--name', 'Ops'],
      env,
      pipedStdin(`${STRONG_PASSWORD}\n`),
    );
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(outcome.lines.length, 2);
    assert.match(outcome.lines[0] ?? '', ID_LINE);
    assert.equal(outcome.lines[1], `email: ${email}`);
    assert.equal(outcome.stderr, '');
    assertNotEchoed(outcome, STRONG_PASSWORD);

    const user = await auth.api.users.findByEmail(email);
    assert.ok(user);
    assert.equal(outcome.lines[0], `id: ${user.id}`);
    assert.deepEqual(user.roles, ['admin']);
    assert.equal(user.name, 'Ops');
    assert.equal(user.emailVerified, true, '--admin implies --verified');
    const stored = await auth.repositories.users.findById(user.id);
    assert.ok(stored?.passwordHash?.startsWith('$argon2id$'));
    assert.ok(!(stored?.passwordHash ?? '').includes(STRONG_PASSWORD));
    assert.equal(await login(email, STRONG_PASSWORD), 200);
  });

  it('--verified - should create a verified user with no roles', async () => {
    const email = freshEmail();
    const outcome = await cli(
      ['create-user', '--email', email, '--verified'],
      env,
      pipedStdin(STRONG_PASSWORD),
    );
    assert.equal(outcome.code, 0, outcome.stderr);
    const user = await auth.api.users.findByEmail(email);
    assert.deepEqual(user?.roles, []);
    assert.equal(user?.emailVerified, true);
    assert.equal(user?.name, null);
    assert.equal(await login(email, STRONG_PASSWORD), 200);
  });

  it('no flags - should create an unverified user, who cannot log in while verification is required', async () => {
    const email = freshEmail();
    const outcome = await cli(['create-user', '--email', email], env, pipedStdin(STRONG_PASSWORD));
    assert.equal(outcome.code, 0, outcome.stderr);
    const user = await auth.api.users.findByEmail(email);
    assert.equal(user?.emailVerified, false);
    assert.deepEqual(user?.roles, []);
    assert.equal(await login(email, STRONG_PASSWORD), 401);
  });

  it('trailing newline - should trim exactly one (LF or CRLF), keeping the rest of the password', async () => {
    const lf = freshEmail();
    assert.equal(
      (await cli(['create-user', '--email', lf, '--verified'], env, pipedStdin(`${STRONG_PASSWORD}\n`))).code,
      0,
    );
    assert.equal(await login(lf, STRONG_PASSWORD), 200);
    assert.equal(await login(lf, `${STRONG_PASSWORD}\n`), 401);

    const crlf = freshEmail();
    assert.equal(
      (await cli(['create-user', '--email', crlf, '--verified'], env, pipedStdin(`${STRONG_PASSWORD}\r\n`)))
        .code,
      0,
    );
    assert.equal(await login(crlf, STRONG_PASSWORD), 200);

    const spaced = freshEmail();
    const withSpaces = ` ${STRONG_PASSWORD} `;
    assert.equal(
      (await cli(['create-user', '--email', spaced, '--verified'], env, pipedStdin(`${withSpaces}\n`))).code,
      0,
    );
    assert.equal(await login(spaced, withSpaces), 200, 'spaces are part of the password');
    assert.equal(await login(spaced, STRONG_PASSWORD), 401);
  });

  it('weak password - should exit 1 listing every reason, create nothing and never echo the password', async () => {
    const email = freshEmail();
    // The address's own local part: too short, and it contains the email.
    const weak = email.slice(0, email.indexOf('@'));
    const outcome = await cli(['create-user', '--email', email], env, pipedStdin(`${weak}\n`));
    assert.equal(outcome.code, 1);
    assert.equal(outcome.stdout, '');
    assert.match(outcome.stderr, /^gatehouse create-user: the password was refused: /);
    assert.match(outcome.stderr, /too_short \(fewer than 15 characters\)/);
    assert.match(outcome.stderr, /contains_email/);
    assertNotEchoed(outcome, weak);
    assert.equal(await auth.api.users.findByEmail(email), null);

    const common = await cli(['create-user', '--email', freshEmail()], env, pipedStdin('password12345678'));
    assert.equal(common.code, 1);
    assert.match(common.stderr, /refused: common/);
    assertNotEchoed(common, 'password12345678');

    // The service's own name (appName, `Gatehouse` by default) is a context word.
    const branded = 'my-Gatehouse-admin-2026';
    const named = await cli(['create-user', '--email', freshEmail()], env, pipedStdin(branded));
    assert.equal(named.code, 1);
    assert.match(named.stderr, /refused: contains_context \(contains the service's name/);
    assertNotEchoed(named, branded);
  });

  it('taken email - should exit 1 whatever its case, without echoing the address', async () => {
    const email = freshEmail();
    assert.equal((await cli(['create-user', '--email', email], env, pipedStdin(STRONG_PASSWORD))).code, 0);
    const again = await cli(
      ['create-user', '--email', ` ${email.toUpperCase()} `],
      env,
      pipedStdin('another-Strong-passphrase-7'),
    );
    assert.equal(again.code, 1);
    assert.equal(again.stdout, '');
    assert.equal(again.stderr, 'gatehouse create-user: an account with this email already exists');
  });

  it('empty or absent stdin - should exit 1 and create nothing', async () => {
    for (const stdin of [pipedStdin(''), pipedStdin('\n'), undefined]) {
      const email = freshEmail();
      const outcome = await cli(['create-user', '--email', email], env, stdin);
      assert.equal(outcome.code, 1);
      assert.match(outcome.stderr, /pipe the password in|pipe it on standard input/);
      assert.equal(await auth.api.users.findByEmail(email), null);
    }
  });

  it('oversized stdin - should exit 1 without reading it all into an account', async () => {
    const email = freshEmail();
    const outcome = await cli(['create-user', '--email', email], env, pipedStdin('x'.repeat(100_000)));
    assert.equal(outcome.code, 1);
    assert.match(outcome.stderr, /too long to be a password/);
    assert.equal(await auth.api.users.findByEmail(email), null);
  });
});

describe('gatehouse create-user - terminal prompt', () => {
  it('same password twice - should create the user, prompting on stderr without echoing', async () => {
    const email = freshEmail();
    const outcome = await cli(
      ['create-user', '--email', email, '--verified'],
      env,
      terminalStdin(`${STRONG_PASSWORD}\r${STRONG_PASSWORD}\r`),
    );
    assert.equal(outcome.code, 0, outcome.stderr);
    assert.equal(outcome.lines.length, 2);
    assert.equal(outcome.lines[1], `email: ${email}`);
    assert.equal(outcome.stderr, 'Password (not shown):\nRepeat the password:');
    assertNotEchoed(outcome, STRONG_PASSWORD);
    assert.equal(await login(email, STRONG_PASSWORD), 200);
  });

  it('two different passwords - should exit 1 and create nothing', async () => {
    const email = freshEmail();
    const outcome = await cli(
      ['create-user', '--email', email],
      env,
      terminalStdin(`${STRONG_PASSWORD}\r${STRONG_PASSWORD}x\r`),
    );
    assert.equal(outcome.code, 1);
    assert.match(outcome.stderr, /the two passwords do not match/);
    assertNotEchoed(outcome, STRONG_PASSWORD);
    assert.equal(await auth.api.users.findByEmail(email), null);
  });

  it('input ends before the second entry - should exit 1 as cancelled', async () => {
    const email = freshEmail();
    const outcome = await cli(['create-user', '--email', email], env, terminalStdin(`${STRONG_PASSWORD}\r`));
    assert.equal(outcome.code, 1);
    assert.match(outcome.stderr, /cancelled/);
    assert.equal(await auth.api.users.findByEmail(email), null);
  });

  it('Ctrl-C at the prompt - should exit 1 as cancelled', async () => {
    const outcome = await cli(['create-user', '--email', freshEmail()], env, terminalStdin('abc\u0003'));
    assert.equal(outcome.code, 1);
    assert.match(outcome.stderr, /cancelled/);
  });
});

describe('gatehouse create-user - command line errors', () => {
  for (const [label, args] of [
    ['missing --email', ['create-user', '--admin']],
    ['--email without a value', ['create-user', '--email']],
    ['--email swallowing a flag', ['create-user', '--email', '--admin']],
    ['a stray positional', ['create-user', '--email', 'a@example.com', 'extra-Positional-Value']],
    ['an unknown flag', ['create-user', '--email', 'a@example.com', '--rol=superUser-Value']],
    ['--name empty', ['create-user', '--email', 'a@example.com', '--name', '  ']],
    ['--email repeated', ['create-user', '--email', 'a@example.com', '--email', 'b@example.com']],
  ] as const) {
    it(`${label} - should exit 2 with the usage, before reading stdin`, async () => {
      const stdin = pipedStdin(STRONG_PASSWORD);
      const outcome = await cli(args, env, stdin);
      assert.equal(outcome.code, 2);
      assert.equal(outcome.stdout, '');
      assert.ok(outcome.stderr.startsWith('gatehouse create-user: '));
      assert.ok(outcome.stderr.includes('Usage: gatehouse <command>'));
      assert.ok(!outcome.stderr.includes('Value'), 'the argument was echoed');
      assert.equal(stdin.readableEnded, false, 'stdin was read');
    });
  }

  for (const flag of ['--password=Hunter2-Secret-Value', '--password', '-p']) {
    const label = flag.includes('=') ? '--password=<value>' : flag;
    it(`${label} - should exit 2 saying the password comes from stdin, without echoing it`, async () => {
      const outcome = await cli(['create-user', '--email', freshEmail(), flag], env, pipedStdin(''));
      assert.equal(outcome.code, 2);
      assert.match(outcome.stderr, /read from standard input, never from arguments/);
      assert.ok(!outcome.stderr.includes('Hunter2'));
    });
  }

  it('an invalid email - should exit 2 and create nothing', async () => {
    const outcome = await cli(['create-user', '--email', 'not-an-address'], env, pipedStdin(STRONG_PASSWORD));
    assert.equal(outcome.code, 2);
    assert.match(outcome.stderr, /--email must be an email address/);
    assert.ok(!outcome.stderr.includes('not-an-address'));
  });

  it('pending migrations - should exit 1 telling to run `gatehouse migrate up`', async () => {
    const unmigrated = { GATEHOUSE_DATA_DIR: join(root, 'unmigrated') };
    const outcome = await cli(
      ['create-user', '--email', freshEmail()],
      unmigrated,
      pipedStdin(STRONG_PASSWORD),
    );
    assert.equal(outcome.code, 1);
    assert.equal(outcome.stdout, '');
    assert.equal(
      outcome.stderr,
      `gatehouse create-user: ${MIGRATION_NAMES.length} migrations pending: run \`gatehouse migrate up\` first`,
    );
  });
});

describe('gatehouse create-user - as a child process', () => {
  it('piped password - should exit 0 printing only the id and email, and the password should work', async () => {
    const email = freshEmail();
    const run = await runGatehouse(['create-user', '--email', email, '--admin'], {
      env,
      input: `${STRONG_PASSWORD}\n`,
    });
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stdout.split('\n');
    assert.equal(lines.length, 3);
    assert.match(lines[0] ?? '', ID_LINE);
    assert.equal(lines[1], `email: ${email}`);
    assert.equal(lines[2], '');
    assert.equal(run.stderr, '');
    assertNotEchoed(run, STRONG_PASSWORD);
    assert.equal(await login(email, STRONG_PASSWORD), 200);
  });

  it('weak password piped - should exit 1 with the reasons and never print the password', async () => {
    const weak = 'qwertyuiopasdfgh';
    const run = await runGatehouse(['create-user', '--email', freshEmail()], { env, input: weak });
    assert.equal(run.code, 1);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /the password was refused: common/);
    assertNotEchoed(run, weak);
  });

  it('no stdin - should exit 1 instead of waiting for input', async () => {
    const run = await runGatehouse(['create-user', '--email', freshEmail()], { env });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no password given/);
  });

  it('missing --email - should exit 2', async () => {
    const run = await runGatehouse(['create-user'], { env, input: STRONG_PASSWORD });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--email is required/);
  });
});
