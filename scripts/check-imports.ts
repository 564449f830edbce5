/**
 * Enforces the direction of imports inside `src/` (see "Dependency rules" in
 * docs/ARCHITECTURE.md): which folders may import which, and which packages a layer may use.
 *
 *   node scripts/check-imports.ts [rootDir]   # exit 1 and one line per violation, or a summary
 *
 * It reads every `.ts` file under `src/` (tests beside the code included) and checks every
 * relative import: `import … from`, `import '…'`, `export … from` and `import('…')` with a
 * literal specifier. Types count as imports: a type-only import still couples two layers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------
// The rules. Paths are relative to the project root. A path ending in `/` covers a folder and
// everything below it; any other path is one file. `*` stands for one folder name (in `files`
// and in `mayImport`), and `{self}` in `mayImport` is the folder that `*` of `files` matched
// (one feature, one store backend).
// The first row whose `files` covers a file decides for it, so specific rows come first.
// ---------------------------------------------------------------------------------------------

/** What `cli/`, `server/` and `client/` may use: the package's public entry points. */
const PUBLIC_ENTRIES = [
  'src/index.ts',
  'src/stores/memory/index.ts',
  'src/stores/redis/index.ts',
  'src/stores/sql/index.ts',
  'src/http/adapters/node/index.ts',
  'src/mail/index.ts',
  'src/client/index.ts',
];

export interface ImportRule {
  readonly id: string;
  readonly files: string;
  readonly mayImport: readonly string[];
  /** Why, in a few words; printed with each violation. */
  readonly why: string;
}

export const RULES: readonly ImportRule[] = [
  {
    id: 'crypto',
    files: 'src/crypto/',
    mayImport: ['src/crypto/'],
    why: 'crypto imports nothing else of ours',
  },
  {
    id: 'core',
    files: 'src/core/',
    mayImport: ['src/core/', 'src/crypto/'],
    why: 'core sits on crypto only',
  },
  {
    id: 'store-contract',
    files: 'src/stores/contract.ts',
    mayImport: [],
    why: 'the store contract imports nothing',
  },
  {
    id: 'repository-contract',
    files: 'src/stores/repositories.ts',
    mayImport: [],
    why: 'the repository contract imports nothing',
  },
  {
    id: 'store-arguments',
    files: 'src/stores/arguments.ts',
    mayImport: ['src/stores/contract.ts'],
    why: 'argument checks shared by every store backend sit on the contract only',
  },
  {
    id: 'stores',
    files: 'src/stores/*/',
    mayImport: [
      '{self}',
      'src/stores/contract.ts',
      'src/stores/repositories.ts',
      'src/stores/arguments.ts',
      'src/crypto/',
    ],
    why: 'a store backend uses the store contract, its argument checks, crypto and its own folder only',
  },
  { id: 'mail', files: 'src/mail/', mayImport: ['src/mail/'], why: 'mail transports are self-contained' },
  {
    id: 'http-adapters',
    files: 'src/http/adapters/',
    mayImport: ['src/http/'],
    why: 'framework adapters wrap the http layer only',
  },
  {
    id: 'http',
    files: 'src/http/',
    mayImport: ['src/http/', 'src/core/', 'src/crypto/', 'src/stores/contract.ts'],
    why: 'http uses core, crypto and store contracts, never a concrete store or a feature',
  },
  {
    id: 'feature-kit',
    files: 'src/feature/',
    mayImport: [
      'src/feature/',
      'src/core/',
      'src/crypto/',
      'src/stores/contract.ts',
      'src/stores/repositories.ts',
      'src/stores/sql/kit.ts',
      'src/mail/contract.ts',
      'src/http/',
    ],
    why: 'what a feature is (defineFeature, its context) sits on the layers features may use, never on a feature',
  },
  {
    id: 'features',
    files: 'src/features/*/',
    mayImport: [
      '{self}',
      'src/feature/index.ts',
      'src/core/',
      'src/crypto/',
      'src/stores/contract.ts',
      'src/stores/repositories.ts',
      'src/stores/sql/kit.ts',
      'src/mail/contract.ts',
      'src/http/',
    ],
    why: 'a feature uses its own folder, the feature kit, core, crypto, http, contracts and the SQL kit (its own tables); never a concrete store or another feature',
  },
  {
    id: 'pages',
    files: 'src/pages/',
    mayImport: ['src/pages/', 'src/core/', 'src/crypto/', 'src/http/'],
    why: 'the hosted pages call the JSON API in-process; they never import a feature or a store',
  },
  {
    id: 'cli',
    files: 'src/cli/',
    mayImport: ['src/cli/', 'src/server/', ...PUBLIC_ENTRIES],
    why: 'the CLI uses public entry points and the server',
  },
  {
    id: 'server',
    files: 'src/server/',
    mayImport: ['src/server/', ...PUBLIC_ENTRIES],
    why: 'public entry points only',
  },
  {
    id: 'client',
    files: 'src/client/',
    // The request-signing scheme is shared with the server and imports nothing of ours, so a
    // client bundle that takes it takes nothing else: the pure canonical form for the WebCrypto
    // signer, the node:crypto half for the Node signer (gatehouse/client/node) only.
    mayImport: [
      'src/client/',
      'src/crypto/canonical-request.ts',
      'src/crypto/request-signing.ts',
      ...PUBLIC_ENTRIES,
    ],
    why: 'public entry points, and the request-signing scheme it shares with the server',
  },
  { id: 'root', files: 'src/index.ts', mayImport: ['src/'], why: 'the public entry may import anything' },
  {
    id: 'composition',
    files: 'src/auth/',
    mayImport: [
      'src/auth/',
      'src/core/',
      'src/crypto/',
      'src/http/',
      'src/stores/',
      'src/mail/',
      'src/feature/',
      'src/features/*/index.ts',
      'src/pages/index.ts',
    ],
    why: 'createAuth assembles every layer, and sees a feature only through its index.ts (its definition)',
  },
];

/** Tests beside the code follow their folder's rule and may also use the shared test fixtures. */
const TEST_FILE = /\.test\.ts$/;
const TEST_MAY_ALSO_IMPORT = ['test/fixtures/'];

export interface PackageRule {
  readonly id: string;
  readonly files: string;
  /** When set, the only packages allowed (`node:*` means every `node:` builtin). */
  readonly only?: readonly string[];
  /** Packages never allowed. */
  readonly never?: readonly string[];
  readonly why: string;
}

/** Every row that covers a file applies (unlike `RULES`, where the first row decides). */
export const PACKAGE_RULES: readonly PackageRule[] = [
  {
    id: 'crypto-packages',
    files: 'src/crypto/',
    only: ['node:*', 'uuid', '@node-rs/argon2', 'jose'],
    why: 'crypto uses node builtins and vetted primitives only',
  },
  {
    id: 'core-drivers',
    files: 'src/core/',
    never: ['ioredis', 'pg', 'nodemailer'],
    why: 'core never imports a driver; stores and transports are passed in',
  },
];

// ---------------------------------------------------------------------------------------------

export interface Violation {
  /** The importing file, relative to the root, with `/` separators. */
  readonly file: string;
  readonly line: number;
  /** The area the file belongs to (the folder a rule covers), or the file when no rule does. */
  readonly from: string;
  /** The imported file (relative to the root) or package name. */
  readonly to: string;
  /** Id of the rule that was broken (`unruled` when no rule covers the file). */
  readonly rule: string;
}

export interface ImportReference {
  readonly specifier: string;
  readonly line: number;
}

/** Checks every `.ts` file under `<rootDir>/src` and returns the violations, sorted by file and line. */
export function checkImports(rootDir: string): Violation[] {
  return analyseImports(rootDir).violations;
}

/** Like {@link checkImports}, with counts for a summary line. */
export function analyseImports(rootDir: string): { files: number; imports: number; violations: Violation[] } {
  const files = listTypeScriptFiles(join(rootDir, 'src')).map((path) => toPosix(relative(rootDir, path)));
  const violations: Violation[] = [];
  let imports = 0;
  for (const file of files) {
    const references = findImports(readFileSync(join(rootDir, file), 'utf8'));
    imports += references.length;
    for (const reference of references) {
      const violation = checkReference(file, reference);
      if (violation) violations.push(violation);
    }
  }
  return { files: files.length, imports, violations };
}

/** `file:line: <from> may not import <to> (<rule>: <why>)` */
export function formatViolation(violation: Violation): string {
  const why =
    RULES.find((rule) => rule.id === violation.rule)?.why ??
    PACKAGE_RULES.find((rule) => rule.id === violation.rule)?.why ??
    'no rule covers this file; add one to RULES in scripts/check-imports.ts';
  return `${violation.file}:${violation.line}: ${violation.from} may not import ${violation.to} (${violation.rule}: ${why})`;
}

function checkReference(file: string, { specifier, line }: ImportReference): Violation | undefined {
  if (isRelative(specifier)) {
    const target = posix.normalize(posix.join(posix.dirname(file), specifier));
    const match = matchRule(file);
    if (!match) return { file, line, from: file, to: target, rule: 'unruled' };
    const allowed = match.rule.mayImport.map((pattern) => pattern.replace('{self}', match.area));
    if (TEST_FILE.test(file)) allowed.push(...TEST_MAY_ALSO_IMPORT);
    if (allowed.some((pattern) => covers(pattern, target))) return undefined;
    return { file, line, from: match.area, to: target, rule: match.rule.id };
  }
  const name = packageName(specifier);
  for (const rule of PACKAGE_RULES) {
    const area = matchArea(rule.files, file);
    if (area === undefined) continue;
    const allowedByOnly =
      rule.only === undefined || rule.only.some((allowed) => packageMatches(allowed, name));
    const deniedByNever = rule.never?.some((denied) => packageMatches(denied, name)) ?? false;
    if (!allowedByOnly || deniedByNever) return { file, line, from: area, to: specifier, rule: rule.id };
  }
  return undefined;
}

function matchRule(file: string): { rule: ImportRule; area: string } | undefined {
  for (const rule of RULES) {
    const area = matchArea(rule.files, file);
    if (area !== undefined) return { rule, area };
  }
  return undefined;
}

/** The part of `file` that `pattern` covers (with `*` resolved), or `undefined`. */
function matchArea(pattern: string, file: string): string | undefined {
  const star = pattern.indexOf('*');
  if (star === -1) return covers(pattern, file) ? pattern : undefined;
  const prefix = pattern.slice(0, star);
  if (!file.startsWith(prefix)) return undefined;
  const rest = file.slice(prefix.length);
  const slash = rest.indexOf('/');
  if (slash <= 0) return undefined;
  return matchArea(`${prefix}${rest.slice(0, slash)}${pattern.slice(star + 1)}`, file);
}

function covers(pattern: string, path: string): boolean {
  if (pattern.includes('*')) {
    const [before, after] = pattern.split('*', 2) as [string, string];
    if (!path.startsWith(before)) return false;
    const slash = path.indexOf('/', before.length);
    if (slash <= before.length) return false;
    return covers(`${path.slice(0, slash)}${after}`, path);
  }
  return pattern.endsWith('/') ? path.startsWith(pattern) : path === pattern;
}

function isRelative(specifier: string): boolean {
  return specifier.startsWith('./') || specifier.startsWith('../') || specifier === '.' || specifier === '..';
}

function packageName(specifier: string): string {
  if (specifier.startsWith('node:')) return specifier;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function packageMatches(pattern: string, name: string): boolean {
  return pattern.endsWith(':*') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

function listTypeScriptFiles(directory: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(directory, { recursive: true, encoding: 'utf8' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((entry) => entry.endsWith('.ts'))
    .map((entry) => join(directory, entry))
    .sort();
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

// ---------------------------------------------------------------------------------------------
// Finding imports. A small tokenizer skips comments, template text and regular expressions, so
// an import-like string inside them is never mistaken for an import, and a real one is never
// missed because of a quote or slash nearby.
// ---------------------------------------------------------------------------------------------

interface Token {
  readonly kind: 'name' | 'string' | 'punct' | 'other';
  readonly value: string;
  readonly line: number;
}

/** The module specifiers `source` imports or re-exports, with the line of each specifier. */
export function findImports(source: string): ImportReference[] {
  const tokens = tokenize(source);
  const found: ImportReference[] = [];
  const at = (index: number): Token | undefined => tokens[index];
  const is = (index: number, kind: Token['kind'], value?: string): boolean => {
    const token = tokens[index];
    return token !== undefined && token.kind === kind && (value === undefined || token.value === value);
  };
  /** From `start`, finds `from '<specifier>'` before the statement ends. */
  const fromClause = (start: number): Token | undefined => {
    for (let j = start; j < tokens.length; j++) {
      const token = tokens[j]!;
      if (token.kind === 'name' && token.value === 'from' && is(j + 1, 'string')) return at(j + 1);
      if (token.kind === 'punct' && token.value === ';') return undefined;
      if (token.kind === 'string' || (token.kind === 'punct' && !'{},*'.includes(token.value)))
        return undefined;
    }
    return undefined;
  };

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind !== 'name' || (token.value !== 'import' && token.value !== 'export')) continue;
    if (is(i - 1, 'punct', '.') || is(i - 1, 'punct', '#')) continue; // a member named `import`
    let specifier: Token | undefined;
    if (token.value === 'import') {
      if (is(i + 1, 'punct', '(')) {
        if (is(i + 2, 'string') && (is(i + 3, 'punct', ')') || is(i + 3, 'punct', ',')))
          specifier = at(i + 2);
      } else if (is(i + 1, 'punct', '.')) {
        continue; // import.meta
      } else if (is(i + 1, 'string')) {
        specifier = at(i + 1);
      } else {
        specifier = fromClause(i + 1);
      }
    } else {
      const start = is(i + 1, 'name', 'type') ? i + 2 : i + 1;
      if (is(start, 'punct', '*')) {
        specifier = fromClause(start);
      } else if (is(start, 'punct', '{')) {
        // `export { a, b as c }` re-exports only when `from` follows the closing brace.
        let close = start;
        while (close < tokens.length && !is(close, 'punct', '}')) close += 1;
        if (is(close + 1, 'name', 'from') && is(close + 2, 'string')) specifier = at(close + 2);
      }
    }
    if (specifier) found.push({ specifier: specifier.value, line: specifier.line });
  }
  return found;
}

const REGEX_AFTER_NAME = new Set([
  'return',
  'typeof',
  'case',
  'do',
  'else',
  'in',
  'instanceof',
  'new',
  'delete',
  'void',
  'throw',
  'yield',
  'await',
  'of',
]);
const NAME_START = /[\p{ID_Start}$_]/u;
const NAME_PART = /[\p{ID_Continue}$\u200c\u200d]/u;

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  // Open `{` and template `${`: a `}` closes the innermost one, and resumes template text if
  // that was a `${`.
  const braces: ('brace' | 'template')[] = [];
  let line = 1;
  let i = 0;

  const countLines = (from: number, to: number): void => {
    for (let k = from; k < to; k++) if (source[k] === '\n') line += 1;
  };
  /** Skips template text from `i` (just after a backtick or a closing `}` of `${`). */
  const templateText = (): void => {
    while (i < source.length) {
      const char = source[i]!;
      if (char === '\\') {
        countLines(i, i + 2);
        i += 2;
      } else if (char === '`') {
        i += 1;
        return;
      } else if (char === '$' && source[i + 1] === '{') {
        braces.push('template');
        i += 2;
        return;
      } else {
        if (char === '\n') line += 1;
        i += 1;
      }
    }
  };
  const regexAllowed = (): boolean => {
    const previous = tokens.at(-1);
    if (previous === undefined) return true;
    if (previous.kind === 'name') return REGEX_AFTER_NAME.has(previous.value);
    if (previous.kind === 'punct') return previous.value !== ')' && previous.value !== ']';
    return false;
  };

  while (i < source.length) {
    const char = source[i]!;
    const next = source[i + 1];
    if (char === '\n') {
      line += 1;
      i += 1;
    } else if (/\s/.test(char)) {
      i += 1;
    } else if (char === '/' && next === '/') {
      while (i < source.length && source[i] !== '\n') i += 1;
    } else if (char === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      const stop = end === -1 ? source.length : end + 2;
      countLines(i, stop);
      i = stop;
    } else if (char === '"' || char === "'") {
      const startLine = line;
      let value = '';
      i += 1;
      while (i < source.length && source[i] !== char && source[i] !== '\n') {
        if (source[i] === '\\') {
          value += source[i + 1] ?? '';
          i += 2;
        } else {
          value += source[i];
          i += 1;
        }
      }
      i += 1;
      tokens.push({ kind: 'string', value, line: startLine });
    } else if (char === '`') {
      i += 1;
      templateText();
      tokens.push({ kind: 'other', value: '`', line });
    } else if (char === '}' && braces.at(-1) === 'template') {
      braces.pop();
      i += 1;
      templateText();
      tokens.push({ kind: 'other', value: '`', line });
    } else if (char === '/' && regexAllowed()) {
      let inClass = false;
      i += 1;
      while (i < source.length && source[i] !== '\n') {
        const c = source[i]!;
        if (c === '\\') i += 1;
        else if (c === '[') inClass = true;
        else if (c === ']') inClass = false;
        else if (c === '/' && !inClass) break;
        i += 1;
      }
      i += 1;
      while (i < source.length && NAME_PART.test(source[i]!)) i += 1;
      tokens.push({ kind: 'other', value: '/regex/', line });
    } else if (NAME_START.test(char)) {
      const start = i;
      while (i < source.length && NAME_PART.test(source[i]!)) i += 1;
      tokens.push({ kind: 'name', value: source.slice(start, i), line });
    } else if (/[0-9]/.test(char)) {
      while (i < source.length && /[\w.]/.test(source[i]!)) i += 1;
      tokens.push({ kind: 'other', value: '0', line });
    } else {
      if (char === '{') braces.push('brace');
      else if (char === '}') braces.pop();
      tokens.push({ kind: 'punct', value: char, line });
      i += 1;
    }
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------

/** Checks the project this script belongs to, or the root given as the first argument. */
function main(): void {
  const rootDir = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
  const { files, imports, violations } = analyseImports(rootDir);
  for (const violation of violations) console.error(formatViolation(violation));
  if (violations.length > 0) {
    console.error(`check-imports: ${violations.length} violation(s) in ${files} files`);
    process.exitCode = 1;
  } else {
    console.log(`check-imports: ${files} files, ${imports} imports, all follow the dependency rules`);
  }
}

if (import.meta.main) main();
