#!/usr/bin/env node
// The published package runs the compiled CLI; a checkout without a build runs the sources
// (Node ≥ 22.18 strips TypeScript types itself).
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/cli/main.js', import.meta.url);
const { runCli } = await import(
  existsSync(compiled) ? compiled.href : new URL('../src/cli/main.ts', import.meta.url).href
);
process.exitCode = await runCli(process.argv.slice(2));
