/**
 * Log output of `gatehouse serve`: JSON lines by default when stdout is not a terminal (a
 * collector reads them), readable pino-pretty lines with GATEHOUSE_LOG_FORMAT=pretty (what
 * `auto` picks for a person at a terminal in development), and the rule `auto` follows.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { prettyLogs } from '../../src/auth/logging.ts';
import { CLI_ENTRY } from '../fixtures/spawn-server.ts';

/** Starts `gatehouse serve`, collects stdout until the listening line, then stops it. */
async function startupOutput(format: string | undefined): Promise<string> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-log-format-'));
  const child = spawn(process.execPath, ['--disable-warning=ExperimentalWarning', CLI_ENTRY, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_MODE: 'development',
      ...(format ? { GATEHOUSE_LOG_FORMAT: format } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  try {
    const deadline = Date.now() + 15_000;
    while (!stdout.includes('gatehouse listening')) {
      assert.ok(child.exitCode === null && Date.now() < deadline, `no listening line:\n${stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return stdout;
  } finally {
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    await rm(dataDir, { recursive: true, force: true });
  }
}

describe('log format', () => {
  it('auto, stdout not a terminal: every line is JSON', async () => {
    const lines = (await startupOutput(undefined)).split('\n').filter(Boolean);
    assert.ok(lines.length > 0);
    for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), line);
  });

  it('pretty: readable lines, no JSON', async () => {
    const output = await startupOutput('pretty');
    const lines = output.split('\n').filter(Boolean);
    const listening = lines.find((line) => line.includes('gatehouse listening'));
    assert.ok(listening);
    assert.match(listening, /INFO/);
    assert.throws(() => JSON.parse(listening));
    assert.ok(!lines.some((line) => line.startsWith('{"level"')));
  });

  it('auto picks pretty only in development at a terminal; json and pretty are what they say', () => {
    assert.equal(prettyLogs({ logFormat: 'auto', mode: 'development' }, true), true);
    assert.equal(prettyLogs({ logFormat: 'auto', mode: 'development' }, false), false);
    assert.equal(prettyLogs({ logFormat: 'auto', mode: 'production' }, true), false);
    assert.equal(prettyLogs({ logFormat: 'json', mode: 'development' }, true), false);
    assert.equal(prettyLogs({ logFormat: 'pretty', mode: 'production' }, false), true);
  });
});
