/**
 * Gatehouse's SQL through PgBouncer in transaction pooling mode (Debian's pgbouncer in front of
 * a throwaway PostgreSQL): the repositories suite and the races that need row locks and
 * advisory transaction locks (refresh-token rotation, the last-admin rule) run again with every
 * connection pooled per transaction. Migrations are not run through it: Kysely's migration lock
 * is a session-level `pg_advisory_lock`, which a transaction pooler hands to whichever client
 * gets that server connection next (two concurrent migrators both applied 0001 in a run), so
 * DEPLOYMENT.md says to migrate against PostgreSQL directly.
 *
 * Invariant: nothing Gatehouse does on PostgreSQL at request time relies on session state
 * across transactions (no session advisory locks, no LISTEN, no named prepared statements, no
 * session SET), so a transaction pooler changes no outcome.
 * @see issue #19
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const SUITES = [
  'test/integration/sql-repositories.test.ts',
  'test/integration/refresh-rotation-race.test.ts',
  'test/security/last-admin-race.test.ts',
];
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The parent's environment without the runner's marker (which makes a nested `--test` skip its files). */
function childEnv(): NodeJS.ProcessEnv {
  const { NODE_TEST_CONTEXT: _marker, ...env } = process.env;
  return { ...env, GATEHOUSE_TEST_PGBOUNCER: '1' };
}

describe('PostgreSQL behind PgBouncer (transaction mode)', { timeout: 180_000 }, () => {
  test('the SQL suites and the lock races - should pass with every connection pooled per transaction', async (t) => {
    // The suites' PostgreSQL cases, re-run by test/fixtures/databases.ts through PgBouncer.
    const child = spawn(
      process.execPath,
      ['--disable-warning=ExperimentalWarning', '--test', '--test-reporter=spec', ...SUITES],
      {
        cwd: ROOT,
        env: childEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    const summary = output.split('\n').filter((line) => /^ℹ (tests|pass|fail)/.test(line));
    t.diagnostic(summary.join('; '));
    assert.match(
      output,
      /postgres through pgbouncer \(transaction mode\)/,
      'the cases ran through PgBouncer',
    );
    assert.equal(code, 0, output.slice(-4_000));
    assert.match(output, /^ℹ fail 0$/m);
  });
});
