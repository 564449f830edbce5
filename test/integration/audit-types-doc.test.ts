/**
 * docs/AUDIT.md lists every audit event type, and only those: the types are read from the
 * source (the first argument of every `.record(…)` call; a type built from a template such as
 * `apikey.${action}` takes each value of the literal union its parameter is declared with), so
 * an event added, renamed or removed without the list fails here.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;

async function sourceFiles(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

/** The event types one source file emits. */
function typesIn(source: string): string[] {
  const types = [...source.matchAll(/\.record\(\s*'([a-z0-9_]+(?:\.[a-z0-9_]+)+)'/g)].map(
    (m) => m[1] as string,
  );
  // In a file that records a type held in a variable: `prefix${param}` where `param: 'a' | 'b'`
  // is declared in the same file.
  if (!/\.record\(\s*[a-z]\w*\s*,/.test(source)) return types;
  for (const [, prefix, param] of source.matchAll(/`([a-z0-9_]+\.[a-z0-9_]*)\$\{(\w+)\}`/g)) {
    const declared = new RegExp(`\\b${param}:\\s*((?:'[a-z0-9_]+'\\s*\\|?\\s*)+)`).exec(source);
    assert.ok(declared?.[1], `the values of ${param} (in ${prefix}\${${param}}) are a literal union`);
    for (const [, value] of declared[1].matchAll(/'([a-z0-9_]+)'/g)) types.push(`${prefix}${value}`);
  }
  return types;
}

describe('docs/AUDIT.md', () => {
  it('lists exactly the audit event types the code emits', async () => {
    const emitted = new Set<string>();
    for (const file of await sourceFiles(join(ROOT, 'src'))) {
      for (const type of typesIn(await readFile(file, 'utf8'))) emitted.add(type);
    }
    assert.ok(emitted.size > 40, `the scan finds the events (${emitted.size})`);
    const doc = await readFile(join(ROOT, 'docs/AUDIT.md'), 'utf8');
    const listed = [...doc.matchAll(/^\| `([a-z0-9_.]+)` \|/gm)].map((m) => m[1] as string);
    assert.equal(new Set(listed).size, listed.length, 'each type once');
    assert.deepEqual([...listed].sort(), [...emitted].sort());
  });
});
