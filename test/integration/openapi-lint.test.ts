/**
 * The OpenAPI document of an instance with every feature configured (OAuth providers, API keys
 * and signed requests, 2FA, cookie sessions) passes Redocly's recommended lint rules, as set in
 * redocly.yaml, with no error and no warning: a document generators and gateways can trust.
 * The CLI runs from node_modules, with its usage data and update check turned off, so the test
 * touches no network.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Harness } from '../fixtures/auth-harness.ts';
import { createEveryFeatureHarness } from '../fixtures/openapi-document.ts';

const REPO = resolve(import.meta.dirname, '../..');
const REDOCLY = join(REPO, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
const run = promisify(execFile);

/** What `redocly lint --format=json` prints. */
interface LintReport {
  readonly totals: { readonly errors: number; readonly warnings: number };
  readonly problems: readonly {
    readonly ruleId: string;
    readonly message: string;
    readonly location?: unknown;
  }[];
}

/** Lints `file` with the project's rules; answers the exit code and the parsed report. */
async function lint(file: string): Promise<{ code: number; report: LintReport }> {
  const outcome = await run(
    process.execPath,
    [REDOCLY, 'lint', file, '--config', join(REPO, 'redocly.yaml'), '--format=json'],
    {
      cwd: tmpdir(),
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
      // No usage data and no update check: the lint runs offline.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true', CI: 'true' },
    },
  ).then(
    ({ stdout }) => ({ code: 0, stdout }),
    // A failed lint exits 1 and still prints its report.
    (error: { code?: number; stdout?: string }) => {
      if (typeof error.stdout !== 'string' || !error.stdout.includes('"totals"')) throw error;
      return { code: error.code ?? -1, stdout: error.stdout };
    },
  );
  return { code: outcome.code, report: JSON.parse(outcome.stdout.slice(outcome.stdout.indexOf('{'))) };
}

describe('OpenAPI document lint', () => {
  let h: Harness;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-openapi-lint-'));
    // The instance the snapshot test pins too (its OAuth provider is never contacted).
    h = await createEveryFeatureHarness();
  });

  after(async () => {
    await h.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('openapi lint - should pass the recommended rules with 0 errors and 0 warnings', async () => {
    const response = await h.get('/openapi.json');
    assert.equal(response.status, 200);
    const paths = Object.keys(response.body.paths);
    // The document covers every feature, so the lint covers every route.
    for (const path of ['/auth/oauth/{provider}/authorize', '/auth/2fa/verify', '/users/me/api-keys']) {
      assert.ok(paths.includes(path), `${path} is in the document`);
    }
    const file = join(dir, 'openapi.json');
    await writeFile(file, response.text);
    const { code, report } = await lint(file);
    const problems = report.problems.map((p) => `${p.ruleId}: ${p.message} at ${JSON.stringify(p.location)}`);
    assert.equal(report.totals.errors, 0, problems.join('\n'));
    assert.equal(report.totals.warnings, 0, problems.join('\n'));
    assert.equal(code, 0);
  });

  it('openapi lint - should find the errors of a document that breaks the rules', async () => {
    // The check itself must be able to fail: an operation without security and a bad reference.
    const response = await h.get('/openapi.json');
    const broken = JSON.parse(response.text) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const health = broken.paths['/health']?.get;
    assert.ok(health);
    delete health.security;
    health.responses = { 200: { $ref: '#/components/responses/Missing' } };
    const file = join(dir, 'broken.json');
    await writeFile(file, JSON.stringify(broken));
    const { code, report } = await lint(file);
    assert.equal(code, 1);
    const rules = new Set(report.problems.map((p) => p.ruleId));
    assert.ok(rules.has('security-defined'), [...rules].join(', '));
    assert.ok(rules.has('no-unresolved-refs'), [...rules].join(', '));
  });
});
