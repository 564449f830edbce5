/**
 * Locks the public surface: the package's subpath exports and the names each one exports.
 * A change here is a change to what users import, so it must be deliberate (update the lists
 * below in the same commit, and the changelog once there is one).
 *
 * The check runs against a real build: `tsc -p tsconfig.build.json` into a temporary folder
 * beside a copy of package.json, then each subpath is imported by the package's own name, so
 * the `exports` map, the compiled JavaScript and the `.d.ts` files are all exercised.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

const ROOT = resolve(import.meta.dirname, '../..');

const EXPECTED: Record<string, readonly string[]> = {
  '.': [
    'AuthError',
    'CORE_ERROR_CODES',
    'ConfigError',
    'DEFAULTS',
    'ERROR_CATALOGUE',
    'LazyAuthClosedError',
    'escapeHtml',
    'StoreError',
    'createAuth',
    'defineErrorCodes',
    'defineErrors',
    'defineFeature',
    'defineRoute',
    'generateSecret',
    'isAuthError',
    'isStoreError',
    'lazyAuth',
    'oauthProviders',
  ],
  './node': ['toNodeGuard', 'toNodeHandler'],
  './fastify': [
    'default',
    'gatehouse',
    'optionalAuth',
    'requireAuth',
    'requireRoles',
    'requireScopes',
    'requireStepUp',
  ],
  './express': ['expressGuards', 'gatehouse', 'keepRawBody'],
  './next': ['NextAuthError', 'nextAuth', 'signInRedirect', 'toNextHandlers'],
  './client': [
    'EMPTY_BODY_SHA256_HEX',
    'SIGNING_SCHEME',
    'canonicalRequest',
    'createAuthClient',
    'generateNonce',
    'localStorageAdapter',
    'memoryStorage',
    'retryAfterSeconds',
    'sha256Hex',
    'signRequest',
    'signedFetchInit',
    'signedRequest',
    'webStorage',
  ],
  './client/signing': [
    'EMPTY_BODY_SHA256_HEX',
    'SIGNING_SCHEME',
    'canonicalRequest',
    'generateNonce',
    'sha256Hex',
    'signRequest',
    'signedFetchInit',
    'signedRequest',
  ],
  './client/node': [
    'EMPTY_BODY_SHA256_HEX',
    'SIGNING_SCHEME',
    'canonicalRequest',
    'generateNonce',
    'sha256Hex',
    'signRequest',
    'signedFetchInit',
    'signedRequest',
  ],
  './react': ['AuthProvider', 'useAuthClient', 'useSession'],
  './redis': ['MAX_KEY_BYTES', 'StoreError', 'createRedisStores', 'isStoreError'],
  './memory': ['MAX_KEY_BYTES', 'StoreError', 'createMemoryStores', 'isStoreError'],
  './sql': [
    'MigrationError',
    'SqlRepositoryError',
    'createSqlRepositories',
    'fromSqlBoolean',
    'isDatabaseUnreachable',
    'migrateUp',
    'migrationStatus',
    'openDatabase',
    'pendingMigrations',
    'toSqlBoolean',
    'wrapDatabase',
  ],
  './mail': [
    'MailError',
    'createConsoleTransport',
    'createFileTransport',
    'createMailTransportFromUrl',
    'createSmtpTransport',
    'isMailError',
  ],
};

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  exports: Record<string, string | { types: string; default: string }>;
};

describe('public exports', () => {
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gh-exports-'));
    execFileSync(
      join(ROOT, 'node_modules/.bin/tsc'),
      ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')],
      {
        stdio: 'pipe',
      },
    );
    writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg));
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('exports - should list exactly the locked subpaths', () => {
    const subpaths = Object.keys(pkg.exports).filter((s) => s !== './package.json');
    assert.deepEqual(subpaths.sort(), Object.keys(EXPECTED).sort());
  });

  for (const [subpath, names] of Object.entries(EXPECTED)) {
    it(`exports ${subpath} - should resolve through the package name to built JS and types with the locked names`, async () => {
      const entry = pkg.exports[subpath];
      assert.ok(entry && typeof entry === 'object', `${subpath} needs { types, default }`);
      assert.ok(existsSync(join(dir, entry.default)), `${entry.default} was not built`);
      assert.ok(existsSync(join(dir, entry.types)), `${entry.types} was not built`);
      const specifier = subpath === '.' ? pkg.name : `${pkg.name}/${subpath.slice(2)}`;
      // Run in a child so the import resolves from inside the temporary package (self-reference).
      const printed = execFileSync(
        process.execPath,
        [
          '--disable-warning=ExperimentalWarning',
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(specifier)}); console.log(JSON.stringify(Object.keys(m).sort()))`,
        ],
        { cwd: dir, encoding: 'utf8' },
      );
      assert.deepEqual(JSON.parse(printed), [...names].sort());
    });
  }

  it('types - should export the public user view that auth.api.users answers with', () => {
    const entry = pkg.exports['.'] as { types: string };
    const declarations = readFileSync(join(dir, entry.types), 'utf8');
    assert.match(declarations, /\btype UserView\b/);
    const api = readFileSync(join(dir, 'dist/auth/auth-api.d.ts'), 'utf8');
    // Every api.users method answers the view, never the stored row (hash, stamp, seed).
    assert.doesNotMatch(api, /Promise<User(\s|\||>)/);
    assert.match(api, /Promise<UserView>/);
  });

  it('types - should export the hosted pages handler type of auth.pages, for apps that mount it', () => {
    const entry = pkg.exports['.'] as { types: string };
    const declarations = readFileSync(join(dir, entry.types), 'utf8');
    assert.match(declarations, /export type \{[^}]*\bPages\b[^}]*\} from '\.\/pages\/index\.[jt]s'/);
    assert.match(declarations, /export type \{[^}]*\bPagePaths\b[^}]*\} from '\.\/pages\/index\.[jt]s'/);
  });

  it('types - should give a consumer every code as a type: switch (error.code) narrows, a typo fails to compile', () => {
    // The feature codes reach the type through declaration merging in the built .d.ts files;
    // this compiles a consumer against the package to prove the merge survives the build.
    writeFileSync(
      join(dir, 'consumer.ts'),
      [
        "import { type GatehouseErrorCode, type GatehouseErrorStatus, isAuthError } from 'gatehouse';",
        'export function messageFor(error: unknown): string {',
        "  if (!isAuthError(error)) return 'unexpected';",
        '  switch (error.code) {',
        "    case 'RATE_LIMITED': {",
        '      const status: 429 = error.status;',
        '      return String(error.retryAfterSeconds ?? status);',
        '    }',
        "    case 'API_KEY_INVALID':",
        "      return 'bad key';",
        '    // @ts-expect-error not a code',
        "    case 'API_KEY_INVALD':",
        "      return 'never';",
        '    default:',
        '      return error.code;',
        '  }',
        '}',
        "export const codes: GatehouseErrorCode[] = ['LOGIN_BAD_CREDENTIALS', 'OAUTH_STATE_INVALID', 'TWO_FACTOR_CODE_INVALID'];",
        "export const status: GatehouseErrorStatus['OAUTH_PROVIDER_UNAVAILABLE'] = 502;",
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'nodenext',
          target: 'es2023',
          strict: true,
          noEmit: true,
          types: ['node'],
        },
        files: ['consumer.ts'],
      }),
    );
    try {
      execFileSync(join(ROOT, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], {
        stdio: 'pipe',
      });
    } catch (error) {
      assert.fail(`the consumer does not compile:\n${String((error as { stdout?: Buffer }).stdout)}`);
    }
  });

  it('bin - should point at a file that exists', () => {
    const bin = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }
    ).bin;
    assert.ok(existsSync(join(ROOT, bin.gatehouse!)));
  });
});
