#!/usr/bin/env node
// A checkout runs the sources (Node ≥ 22.18 strips TypeScript types itself), so a stale build
// can never shadow them; the published package ships only dist/ and runs the compiled CLI.
import { existsSync } from 'node:fs';

// node:sqlite still announces itself as experimental on every start; that line would only
// teach operators to ignore warnings. Every other warning is printed as usual.
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'ExperimentalWarning' && /SQLite/.test(warning.message)) return;
  process.stderr.write(`${warning.name}: ${warning.message}\n`);
});

const source = new URL('../src/cli/main.ts', import.meta.url);
const entry = existsSync(source) ? source : new URL('../dist/cli/main.js', import.meta.url);
const { runCli } = await import(entry.href);
process.exitCode = await runCli(process.argv.slice(2));
