/**
 * The `gatehouse` command line: commands run in process through `runCli` with captured
 * output, plus a few real child processes to check what an operator's shell sees (exit codes,
 * and that the process actually exits).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../src/cli/main.ts';
import type { CliIo } from '../../src/cli/output.ts';
import { secretWeakness } from '../../src/core/index.ts';
import { MIGRATION_NAMES } from '../fixtures/migrations.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';
import { findFreePort } from '../fixtures/redis-server.ts';
import { CLI_LAUNCHER, runGatehouse } from '../fixtures/spawn-server.ts';

type Env = Record<string, string>;

interface Outcome {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly lines: readonly string[];
}

/** Runs one command in process with `env` as its whole environment. */
async function cli(args: readonly string[], env: Env = {}): Promise<Outcome> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { env, out: (line) => out.push(line), err: (line) => err.push(line) };
  const code = await runCli(args, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n'), lines: out };
}

const USAGE_HEADING = 'Usage: gatehouse <command>';
const PRODUCTION_WITHOUT_SECRETS: Env = { GATEHOUSE_MODE: 'production' };
const MALFORMED_ENV: Env = { PORT: 'abc', GATEHOUSE_TRUSTED_PROXY_HOPS: '-1' };

let postgres: PostgresServer;
let root = '';
let dirCount = 0;

before(async () => {
  postgres = await startPostgres();
  root = await mkdtemp(join(tmpdir(), 'gatehouse-cli-'));
});

after(async () => {
  await postgres?.stop();
  await rm(root, { recursive: true, force: true });
});

/** A data dir no other case uses. */
function freshDataDir(): string {
  return join(root, `data-${++dirCount}`);
}

describe('gatehouse generate-secret', () => {
  it('should print one 43-character base64url line that passes the strength check', async () => {
    const { code, lines, stderr } = await cli(['generate-secret']);
    assert.equal(code, 0);
    assert.equal(stderr, '');
    assert.equal(lines.length, 1);
    const [secret = ''] = lines;
    assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(secretWeakness(secret), null);
  });

  it('should print a different secret on every run', async () => {
    const secrets = new Set<string>();
    for (let run = 0; run < 5; run++) secrets.add((await cli(['generate-secret'])).stdout);
    assert.equal(secrets.size, 5);
  });

  it('should refuse arguments with exit code 2', async () => {
    const { code, stdout, stderr } = await cli(['generate-secret', '--bits=512']);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.ok(stderr.includes('generate-secret takes no arguments'));
  });
});

describe('gatehouse - usage errors', () => {
  it('no command - should print the usage on stderr and exit 2', async () => {
    const { code, stdout, stderr } = await cli([]);
    assert.equal(code, 2);
    assert.equal(stdout, '');
    assert.ok(stderr.startsWith(USAGE_HEADING));
  });

  it('help - should print the usage on stdout and exit 0', async () => {
    const { code, stdout, stderr } = await cli(['help']);
    assert.equal(code, 0);
    assert.equal(stderr, '');
    assert.ok(stdout.startsWith(USAGE_HEADING));
  });

  it('unknown command - should exit 2 without echoing what was typed', async () => {
    const { code, stderr } = await cli(['frobnicate-the-tokens']);
    assert.equal(code, 2);
    assert.ok(stderr.includes('unknown command'));
    assert.ok(stderr.includes(USAGE_HEADING));
    assert.ok(!stderr.includes('frobnicate-the-tokens'));
  });

  for (const args of [
    ['migrate', 'bogus'],
    ['migrate', 'up', 'now'],
    ['serve', '--port=80'],
    ['doctor', '--verbose'],
  ]) {
    it(`${args.join(' ')} - should exit 2 with the usage`, async () => {
      const { code, stdout, stderr } = await cli(args, { GATEHOUSE_DATA_DIR: freshDataDir() });
      assert.equal(code, 2);
      assert.equal(stdout, '');
      assert.ok(stderr.startsWith(`gatehouse ${args[0]}: `));
      assert.ok(stderr.includes(USAGE_HEADING));
    });
  }
});

describe('gatehouse - malformed environment', () => {
  for (const command of ['serve', 'migrate', 'doctor']) {
    it(`${command} - should exit 1 naming every malformed variable`, async () => {
      const { code, stdout, stderr } = await cli([command], {
        ...MALFORMED_ENV,
        GATEHOUSE_DATA_DIR: freshDataDir(),
      });
      assert.equal(code, 1);
      assert.equal(stdout, '');
      assert.ok(stderr.includes('PORT'));
      assert.ok(stderr.includes('GATEHOUSE_TRUSTED_PROXY_HOPS'));
      assert.ok(!stderr.includes('abc'), 'the value must not be echoed');
    });
  }
});

describe('gatehouse doctor', () => {
  it('production without a secret or base URL - should exit 1 naming both', async () => {
    const { code, stdout, stderr } = await cli(['doctor'], {
      ...PRODUCTION_WITHOUT_SECRETS,
      GATEHOUSE_DATA_DIR: freshDataDir(),
    });
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, /secrets: required in production/);
    assert.match(stderr, /baseUrl: required in production/);
  });

  it('development before migrating - should print the posture and fail the schema check', async () => {
    const { code, lines } = await cli(['doctor'], { GATEHOUSE_DATA_DIR: freshDataDir() });
    assert.equal(code, 1);
    assert.ok(lines.includes('check database  ok'));
    assert.ok(lines.includes('check stores    ok'));
    assert.ok(lines.includes(`check schema    FAILED (${MIGRATION_NAMES.length} migrations pending)`));
  });

  it('development after migrating - should print mode, database, each store, mail and warnings, and exit 0', async () => {
    const dataDir = freshDataDir();
    assert.equal((await cli(['migrate', 'up'], { GATEHOUSE_DATA_DIR: dataDir })).code, 0);
    const { code, lines, stdout, stderr } = await cli(['doctor'], { GATEHOUSE_DATA_DIR: dataDir });
    assert.equal(code, 0, stdout);
    assert.equal(stderr, '');
    assert.ok(lines.includes('mode:        development'));
    assert.ok(lines.includes(`database:    sqlite (${join(dataDir, 'gatehouse.db')})`));
    assert.deepEqual(
      lines.filter((line) => line.startsWith('store ')),
      [
        'store keyValue  memory (this process only)',
        'store once      memory (this process only)',
        'store counters  memory (this process only)',
        'store denylist  memory (this process only)',
      ],
    );
    assert.ok(lines.includes('mail:        console'));
    assert.ok(lines.includes('secrets:     dev (active: dev; from development-file)'));
    for (const check of ['database', 'stores', 'schema']) {
      assert.ok(lines.includes(`check ${check.padEnd(9)} ok`), `check ${check}`);
    }
    assert.ok(lines.some((line) => line.startsWith('warning DEVELOPMENT_SECRET: ')));
  });

  it('Redis on a closed port - should report the stores check FAILED and exit 1 within seconds', async () => {
    const closedPort = await findFreePort();
    const started = performance.now();
    const { code, lines } = await cli(['doctor'], {
      GATEHOUSE_DATA_DIR: freshDataDir(),
      GATEHOUSE_REDIS_URL: `redis://127.0.0.1:${closedPort}`,
    });
    const elapsed = performance.now() - started;
    assert.equal(code, 1);
    assert.ok(lines.some((line) => line.startsWith('check stores    FAILED')));
    assert.ok(lines.includes('check database  ok'));
    assert.ok(lines.includes('store once      redis (shared)'));
    assert.ok(elapsed < 3_000, `doctor took ${Math.round(elapsed)} ms`);
  });
});

describe('gatehouse migrate', () => {
  const targets: { name: string; url: () => Promise<string> }[] = [
    { name: 'SQLite', url: async () => `sqlite:${join(root, `migrate-${++dirCount}.db`)}` },
    {
      name: 'PostgreSQL',
      async url() {
        const url = new URL(await postgres.createDatabase());
        url.password = 'migrate-Password-Not-Printed';
        return url.href;
      },
    },
  ];
  for (const target of targets) {
    it(`${target.name} - status should list pending, up should apply, status should then say up to date`, async () => {
      const env = { GATEHOUSE_DATABASE_URL: await target.url(), GATEHOUSE_DATA_DIR: freshDataDir() };

      const before = await cli(['migrate', 'status'], env);
      assert.equal(before.code, 0, before.stderr);
      for (const name of MIGRATION_NAMES) assert.ok(before.lines.includes(`pending  ${name}`), name);
      assert.equal(before.lines.at(-1), `${MIGRATION_NAMES.length} pending: run \`gatehouse migrate up\``);

      const up = await cli(['migrate', 'up'], env);
      assert.equal(up.code, 0, up.stderr);
      assert.ok(up.lines.includes(`applied: ${MIGRATION_NAMES.join(', ')}`));

      const afterUp = await cli(['migrate', 'status'], env);
      assert.equal(afterUp.code, 0);
      assert.ok(
        afterUp.lines.some((line) => /^applied {2}0001_initial {2}\d{4}-\d\d-\d\dT[\d:.]+Z$/.test(line)),
      );
      assert.equal(afterUp.lines.at(-1), 'up to date');

      const again = await cli(['migrate'], env);
      assert.equal(again.code, 0);
      assert.ok(again.lines.includes('nothing to apply: the schema is up to date'));

      for (const outcome of [before, up, afterUp, again]) {
        assert.match(outcome.lines[0] ?? '', /^database: (sqlite|postgres) \(/);
        assert.ok(!outcome.stdout.includes('Password'), 'the database password was printed');
      }
    });
  }
});

describe('gatehouse - as a child process', () => {
  it('no command - should exit with code 2', async () => {
    const run = await runGatehouse([]);
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.ok(run.stderr.startsWith(USAGE_HEADING));
  });

  it('doctor in production without secrets - should exit with code 1', async () => {
    const run = await runGatehouse(['doctor'], {
      env: { ...PRODUCTION_WITHOUT_SECRETS, GATEHOUSE_DATA_DIR: freshDataDir() },
    });
    assert.equal(run.code, 1);
    assert.ok(run.stderr.includes('secrets'));
    assert.ok(run.stderr.includes('baseUrl'));
  });

  it('serve with a malformed environment - should exit with code 1 instead of listening', async () => {
    const run = await runGatehouse(['serve'], {
      env: { ...MALFORMED_ENV, GATEHOUSE_DATA_DIR: freshDataDir() },
    });
    assert.equal(run.code, 1);
    assert.ok(run.stderr.includes('PORT'));
    assert.ok(run.stderr.includes('GATEHOUSE_TRUSTED_PROXY_HOPS'));
    assert.ok(!run.stdout.includes('gatehouse listening'));
  });

  it('doctor with Redis on a closed port - should exit with code 1 within seconds', async () => {
    const closedPort = await findFreePort();
    const run = await runGatehouse(['doctor'], {
      env: { GATEHOUSE_DATA_DIR: freshDataDir(), GATEHOUSE_REDIS_URL: `redis://127.0.0.1:${closedPort}` },
    });
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^check stores {4}FAILED/m);
    assert.ok(run.elapsedMs < 6_000, `the process took ${Math.round(run.elapsedMs)} ms to exit`);
  });

  it('bin/gatehouse.js generate-secret - should print a secret and exit 0', async () => {
    const run = await runGatehouse(['generate-secret'], { entry: CLI_LAUNCHER });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^[A-Za-z0-9_-]{43}\n$/);
  });
});
