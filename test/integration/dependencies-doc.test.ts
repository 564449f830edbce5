/**
 * docs/DEPENDENCIES.md accounts for every package the project depends on: no package is added
 * without saying what it is for and why it was chosen, and no entry outlives its package.
 *
 * Invariant: each package of package.json's `dependencies` has a row in the doc's "Runtime"
 * table, each of `peerDependencies` in "Peer dependencies", each of `devDependencies` in
 * "Development only" (or in "Peer dependencies": the optional drivers are dev dependencies too,
 * so the standalone server runs from this repository); each row names a package still in the
 * field of its table, once. A package in the peer table that package.json does not declare as a
 * peer must be a dev dependency the source loads itself (the drivers `src/` imports when a
 * database or Redis URL asks for them).
 *
 * @see issue #13
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';

const REPO = resolve(import.meta.dirname, '../..');
const DOC = 'docs/DEPENDENCIES.md';

type DependencyField = 'dependencies' | 'peerDependencies' | 'devDependencies';

interface PackageJson {
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
  readonly devDependencies?: Readonly<Record<string, string>>;
}

/** The doc's level-2 headings whose tables list packages, and the field each one documents. */
const TABLES: Readonly<Record<string, DependencyField>> = {
  Runtime: 'dependencies',
  'Peer dependencies': 'peerDependencies',
  'Development only': 'devDependencies',
};

/** An npm package name, scoped or not. */
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;

/** The packages each table of the doc names (first column, in backticks), or problems reading it. */
function documentedPackages(markdown: string): {
  tables: Map<DependencyField, string[]>;
  problems: string[];
} {
  const tables = new Map<DependencyField, string[]>();
  const problems: string[] = [];
  let heading = '';
  for (const line of markdown.split('\n')) {
    const title = /^## (.+)$/.exec(line);
    if (title?.[1] !== undefined) {
      heading = title[1].trim();
      continue;
    }
    if (!line.startsWith('|')) continue;
    const firstCell = line.split('|')[1]?.trim() ?? '';
    // The header row and the separator row of each table.
    if (firstCell === 'package' || /^:?-+:?$/.test(firstCell)) continue;
    const field = Object.entries(TABLES).find(([prefix]) => heading.startsWith(prefix))?.[1];
    if (field === undefined) {
      problems.push(`a table under "## ${heading}", which documents no kind of dependency`);
      continue;
    }
    const names = [...firstCell.matchAll(/`([^`]+)`/g)].map((match) => match[1] as string);
    if (names.length === 0 || names.some((name) => !PACKAGE_NAME.test(name))) {
      problems.push(`a row of "## ${heading}" whose first column is not package names: ${firstCell}`);
    }
    tables.set(field, [...(tables.get(field) ?? []), ...names]);
  }
  return { tables, problems };
}

/**
 * What the doc gets wrong about `pkg`: each message names the package. `loadedBySource` tells
 * whether `src/` itself imports a package (for peers that are only dev dependencies).
 */
function dependencyDocProblems(
  pkg: PackageJson,
  markdown: string,
  loadedBySource: (name: string) => boolean,
): string[] {
  const { tables, problems } = documentedPackages(markdown);
  const declared = (field: DependencyField): string[] => Object.keys(pkg[field] ?? {});
  const documented = (field: DependencyField): string[] => tables.get(field) ?? [];
  const heading = (field: DependencyField): string =>
    Object.entries(TABLES).find(([, f]) => f === field)?.[0] ?? field;

  const all = [...tables.values()].flat();
  for (const name of new Set(all)) {
    if (all.filter((n) => n === name).length > 1) problems.push(`${name} has more than one entry`);
  }
  for (const field of ['dependencies', 'peerDependencies'] as const) {
    for (const name of declared(field)) {
      if (!documented(field).includes(name))
        problems.push(`${name} (${field}) has no entry under "${heading(field)}"`);
    }
  }
  for (const name of declared('devDependencies')) {
    if (!documented('devDependencies').includes(name) && !documented('peerDependencies').includes(name)) {
      problems.push(`${name} (devDependencies) has no entry under "Development only"`);
    }
  }
  for (const name of documented('dependencies')) {
    if (!declared('dependencies').includes(name)) {
      problems.push(`${name} is documented under "Runtime" but is not in package.json's dependencies`);
    }
  }
  for (const name of documented('devDependencies')) {
    if (!declared('devDependencies').includes(name)) {
      problems.push(
        `${name} is documented under "Development only" but is not in package.json's devDependencies`,
      );
    }
  }
  for (const name of documented('peerDependencies')) {
    if (declared('peerDependencies').includes(name)) continue;
    if (!declared('devDependencies').includes(name)) {
      problems.push(`${name} is documented under "Peer dependencies" but package.json no longer has it`);
    } else if (!loadedBySource(name)) {
      problems.push(`${name} is documented under "Peer dependencies" but src/ never loads it`);
    }
  }
  return problems;
}

/** Whether a non-test source file under `src/` names `name` as a module (`from 'x'`, `import('x')`, `load('x')`). */
async function sourceLoader(): Promise<(name: string) => boolean> {
  const dir = join(REPO, 'src');
  const files = (await readdir(dir, { recursive: true })).filter(
    (file) => file.endsWith('.ts') && !file.endsWith('.test.ts'),
  );
  const sources = await Promise.all(files.map((file) => readFile(join(dir, file), 'utf8')));
  return (name) => sources.some((text) => text.includes(`'${name}'`));
}

const TABLE_HEAD = '| package | used for | why |\n|---|---|---|\n';

describe('DEPENDENCIES.md', () => {
  let pkg: PackageJson;
  let markdown: string;
  let loadedBySource: (name: string) => boolean;

  before(async () => {
    pkg = JSON.parse(await readFile(join(REPO, 'package.json'), 'utf8')) as PackageJson;
    markdown = await readFile(join(REPO, DOC), 'utf8');
    loadedBySource = await sourceLoader();
  });

  it('dependencies doc - should have an entry for every dependency, peer and dev dependency of package.json', () => {
    const problems = dependencyDocProblems(pkg, markdown, loadedBySource);
    assert.deepEqual(problems, [], `${DOC}:\n  ${problems.join('\n  ')}`);
    // The check read the real tables, not nothing.
    const { tables } = documentedPackages(markdown);
    assert.ok((tables.get('dependencies')?.length ?? 0) >= Object.keys(pkg.dependencies ?? {}).length);
    assert.ok((tables.get('devDependencies')?.length ?? 0) > 0);
  });

  it('dependencies doc - should name a dependency without an entry, in each field', () => {
    const doc = `## Runtime\n\n${TABLE_HEAD}| \`hono\` | a | b |\n\n## Development only\n\n${TABLE_HEAD}| \`typescript\` | a | b |\n`;
    const problems = dependencyDocProblems(
      {
        dependencies: { hono: '1', jose: '1' },
        peerDependencies: { pg: '1' },
        devDependencies: { typescript: '1', 'fast-check': '1' },
      },
      doc,
      () => true,
    );
    assert.deepEqual(problems, [
      'jose (dependencies) has no entry under "Runtime"',
      'pg (peerDependencies) has no entry under "Peer dependencies"',
      'fast-check (devDependencies) has no entry under "Development only"',
    ]);
  });

  it('dependencies doc - should name an entry whose package is gone, duplicated or in another field', () => {
    const doc =
      `## Runtime\n\n${TABLE_HEAD}| \`hono\` | a | b |\n| \`left-pad\` | a | b |\n| \`typescript\` | a | b |\n\n` +
      `## Peer dependencies (installed by the app)\n\n${TABLE_HEAD}| \`pg\`, \`mysql2\`, \`ioredis\` | a | b |\n\n` +
      `## Development only\n\n${TABLE_HEAD}| \`@types/node\`, \`@types/pg\` | a |\n| \`hono\` | a |\n\n` +
      `## Elsewhere\n\n${TABLE_HEAD}| \`uuid\` | a | b |\n`;
    const problems = dependencyDocProblems(
      {
        dependencies: { hono: '1' },
        devDependencies: { typescript: '1', pg: '1', ioredis: '1', '@types/node': '1' },
      },
      doc,
      (name) => name === 'pg',
    );
    assert.deepEqual(problems, [
      'a table under "## Elsewhere", which documents no kind of dependency',
      'hono has more than one entry',
      'typescript (devDependencies) has no entry under "Development only"',
      'left-pad is documented under "Runtime" but is not in package.json\'s dependencies',
      'typescript is documented under "Runtime" but is not in package.json\'s dependencies',
      '@types/pg is documented under "Development only" but is not in package.json\'s devDependencies',
      'hono is documented under "Development only" but is not in package.json\'s devDependencies',
      'mysql2 is documented under "Peer dependencies" but package.json no longer has it',
      'ioredis is documented under "Peer dependencies" but src/ never loads it',
    ]);
  });

  it('dependencies doc - should find the drivers src/ loads and not a package it never names', () => {
    assert.equal(loadedBySource('pg'), true);
    assert.equal(loadedBySource('ioredis'), true);
    assert.equal(loadedBySource('typescript'), false);
  });
});
