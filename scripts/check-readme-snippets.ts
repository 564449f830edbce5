/**
 * Type-checks the TypeScript snippets of README.md (and of any other Markdown file named), so
 * that what the documentation shows keeps compiling against the package's public API.
 *
 *   node scripts/check-readme-snippets.ts [file.md …]   # default: README.md; exit 1 on errors
 *
 * Every fenced block marked ```ts, ```typescript or ```tsx becomes one module in a temporary
 * folder and all of them are checked in one `tsc` run with the project's compiler options.
 * `gatehouse` and `gatehouse/<subpath>` resolve to the sources behind the package's `exports`
 * map (so a snippet can only import what is published); other packages resolve from the
 * project's node_modules. Errors are reported at the Markdown file's own lines.
 *
 * The marking rule, written before a block as an HTML comment (blank lines may sit between):
 *
 *   - nothing: the block is a complete module and must compile as it is;
 *   - `<!-- snippet: setup … -->`: the code after `setup` (up to `-->`, any number of lines) is
 *     put before the block, unseen by readers; for the names a block takes from its context,
 *     e.g. `<!-- snippet: setup declare const auth: import('gatehouse').Auth; -->`;
 *   - `<!-- snippet: fragment -->`: the block is not checked (pseudo-code, partial lines).
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const CHECKED_LANGUAGES = new Set(['ts', 'typescript', 'tsx']);
const FENCE = /^(\s*)(```+)\s*([\w-]*)/;
const MARKER = /<!--\s*snippet:\s*(setup|fragment)\b([\s\S]*?)-->\s*$/;

/** One block to check: its code, the hidden setup put before it, and where both came from. */
export interface Snippet {
  /** The Markdown file, as given. */
  readonly file: string;
  /** 1-based line, in `file`, of the block's first code line. */
  readonly line: number;
  readonly code: string;
  readonly tsx: boolean;
  /** Code from a `setup` marker ('' without one). */
  readonly setup: string;
  /** 1-based line of the `setup` marker (0 without one). */
  readonly setupLine: number;
}

export interface Extracted {
  readonly snippets: Snippet[];
  /** Blocks marked `fragment`. */
  readonly fragments: number;
}

/** The TypeScript blocks of a Markdown text and the markers before them. */
export function extractSnippets(markdown: string, file: string): Extracted {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  let fragments = 0;
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent = '', ticks = '```', language = ''] = open;
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(ticks)) end += 1;
    const body = lines
      .slice(i + 1, end)
      .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line));
    const start = i;
    i = end;
    if (!CHECKED_LANGUAGES.has(language.toLowerCase())) continue;
    const marker = markerBefore(lines, start);
    if (marker?.kind === 'fragment') {
      fragments += 1;
      continue;
    }
    snippets.push({
      file,
      line: start + 2,
      code: body.join('\n'),
      tsx: language.toLowerCase() === 'tsx',
      setup: marker?.kind === 'setup' ? marker.code : '',
      setupLine: marker?.kind === 'setup' ? marker.line : 0,
    });
  }
  return { snippets, fragments };
}

/** The `<!-- snippet: … -->` comment ending just above line index `fence`, if any. */
function markerBefore(
  lines: readonly string[],
  fence: number,
): { kind: 'setup' | 'fragment'; code: string; line: number } | undefined {
  let last = fence - 1;
  while (last >= 0 && lines[last]!.trim() === '') last -= 1;
  if (last < 0 || !lines[last]!.trimEnd().endsWith('-->')) return undefined;
  let first = last;
  while (first > 0 && !lines[first]!.includes('<!--')) first -= 1;
  const match = MARKER.exec(lines.slice(first, last + 1).join('\n'));
  if (!match) return undefined;
  return { kind: match[1] as 'setup' | 'fragment', code: (match[2] ?? '').trim(), line: first + 1 };
}

/** `gatehouse` and each `gatehouse/<subpath>` of package.json's exports → the source file it is built from. */
export function packagePaths(root: string): Record<string, string[]> {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    name: string;
    exports: Record<string, string | { default: string }>;
  };
  const paths: Record<string, string[]> = {};
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    if (typeof target === 'string' || !target.default.startsWith('./dist/')) continue;
    const source = join(root, 'src', target.default.slice('./dist/'.length).replace(/\.js$/, '.ts'));
    paths[subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`] = [source];
  }
  return paths;
}

export interface CheckResult {
  readonly snippets: number;
  readonly fragments: number;
  /** `file:line:column: error TS…: message`, at the Markdown file's lines. */
  readonly errors: string[];
}

/** Extracts the snippets of `files` (paths relative to `root`) and type-checks them in one tsc run. */
export function checkSnippets(root: string, files: readonly string[]): CheckResult {
  const snippets: Snippet[] = [];
  let fragments = 0;
  for (const file of files) {
    const extracted = extractSnippets(readFileSync(resolve(root, file), 'utf8'), file);
    snippets.push(...extracted.snippets);
    fragments += extracted.fragments;
  }
  if (snippets.length === 0) return { snippets: 0, fragments, errors: [] };

  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-snippets-'));
  try {
    // A module package, so top-level await is allowed, beside the project's packages.
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const byName = new Map<string, { snippet: Snippet; setupLines: number }>();
    snippets.forEach((snippet, index) => {
      const name = `${String(index).padStart(3, '0')}-${basename(snippet.file, '.md')}-L${snippet.line}.${snippet.tsx ? 'tsx' : 'ts'}`;
      const setupLines = snippet.setup === '' ? 0 : snippet.setup.split('\n').length;
      const text = `${snippet.setup === '' ? '' : `${snippet.setup}\n`}${snippet.code}\nexport {};\n`;
      writeFileSync(join(dir, name), text);
      byName.set(name, { snippet, setupLines });
    });
    const projectOptions = (
      JSON.parse(readFileSync(join(root, 'tsconfig.json'), 'utf8')) as {
        compilerOptions: Record<string, unknown>;
      }
    ).compilerOptions;
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          ...projectOptions,
          noEmit: true,
          lib: ['es2023', 'dom', 'dom.iterable'],
          jsx: 'react-jsx',
          paths: packagePaths(root),
        },
        include: [...byName.keys()],
      }),
    );
    const run = spawnSync(
      join(root, 'node_modules/.bin/tsc'),
      ['-p', join(dir, 'tsconfig.json'), '--pretty', 'false'],
      {
        encoding: 'utf8',
      },
    );
    if (run.error) throw run.error;
    const errors: string[] = [];
    // Only the snippets' own errors count: the sources are the project typecheck's business
    // (and see `dom` types here, which they were not written against).
    let inSnippet = false;
    for (const line of `${run.stdout}${run.stderr}`.split('\n')) {
      if (line.trim() === '') continue;
      if (/^\s/.test(line)) {
        if (inSnippet) errors[errors.length - 1] += `\n${line}`;
        continue;
      }
      const located = toMarkdownPosition(line, byName);
      inSnippet = located !== undefined;
      if (located !== undefined) errors.push(located);
    }
    if (run.status !== 0 && !/error TS/.test(`${run.stdout}${run.stderr}`))
      errors.push(`tsc failed: ${run.stdout}${run.stderr}`.trim());
    return { snippets: snippets.length, fragments, errors };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `000-README-L59.ts(3,7): error …` → `README.md:61:7: error …` (setup lines → the marker's
 * line); `undefined` for an error outside the snippets.
 */
function toMarkdownPosition(
  line: string,
  byName: Map<string, { snippet: Snippet; setupLines: number }>,
): string | undefined {
  const match = /^(?:.*[\\/])?([^\\/(]+)\((\d+),(\d+)\): (.*)$/.exec(line);
  const entry = match ? byName.get(match[1]!) : undefined;
  if (!match || !entry) return undefined;
  const row = Number(match[2]);
  const { snippet, setupLines } = entry;
  const at =
    row <= setupLines
      ? `${snippet.setupLine}:1 (setup)`
      : `${snippet.line + row - setupLines - 1}:${match[3]}`;
  return `${snippet.file}:${at}: ${match[4]}`;
}

function main(): void {
  const files = process.argv.length > 2 ? process.argv.slice(2) : ['README.md'];
  const { snippets, fragments, errors } = checkSnippets(ROOT, files);
  for (const error of errors) console.error(error);
  const summary = `check-readme-snippets: ${snippets} snippet(s) in ${files.join(', ')}, ${fragments} fragment(s) skipped`;
  if (errors.length > 0) {
    console.error(`${summary}: ${errors.length} error(s)`);
    process.exitCode = 1;
  } else {
    console.log(`${summary}: all compile`);
  }
}

if (import.meta.main) main();
