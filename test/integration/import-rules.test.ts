import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { checkImports, findImports, formatViolation, type Violation } from '../../scripts/check-imports.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/check-imports.ts', import.meta.url));

/** A fake project: each file's imports either respect or break one rule, said in its name. */
const TREE: Record<string, string> = {
  'src/index.ts': `
import { createAuth } from './core/create.ts';
import './stores/memory/index.ts';
export { createMemoryStores } from './stores/memory/index.ts';
`,
  'src/crypto/ids.ts': `
import { v7 } from 'uuid';
import { randomBytes } from 'node:crypto';
import { helper } from './internal/helper.ts';
`,
  'src/crypto/bad.ts': `
import { config } from '../core/config.ts';
import { Kysely } from 'kysely';
import { readFileSync } from 'fs';
`,
  'src/core/config.ts': `
import { newId } from '../crypto/ids.ts';
import { z } from 'zod';
import type { Stores } from '../stores/contract.ts';
import Redis from 'ioredis';
import MailComposer from 'nodemailer/lib/mail-composer';
export * from '../mail/contract.ts';
`,
  'src/core/tricky.ts': `
// import x from '../stores/memory/index.ts';
/* export * from '../features/a/index.ts';
   import y from '../cli/main.ts'; */
const s = "import y from '../mail/index.ts'";
const t = \`import z from '../cli/x.ts' \${"import('../cli/y.ts')"} done\`;
const re = /import w from '..\\/http\\/x.ts'/g;
const o = { import: '../features/a.ts', export: 1 };
const ratio = 4 / 2 / 1;
import {
  AuthError,
  type ConfigError,
} from './errors/index.ts';
`,
  'src/stores/contract.ts': `
import { newId } from '../crypto/ids.ts';
`,
  'src/stores/memory/index.ts': `
import type { Stores } from '../contract.ts';
import { createKeyValue } from './key-value.ts';
import { newId } from '../../crypto/ids.ts';
import { luaScript } from '../redis/scripts.ts';
`,
  'src/mail/smtp.ts': `
import { MailError } from './contract.ts';
import nodemailer from 'nodemailer';
import { coreError } from '../core/errors/index.ts';
`,
  'src/http/app.ts': `
import { Hono } from 'hono';
import { coreError } from '../core/errors/index.ts';
import type { Stores } from '../stores/contract.ts';
import '../stores/memory/index.ts';
import { accountRoutes } from '../features/accounts/routes.ts';
`,
  'src/http/adapters/node/index.ts': `
import { buildApp } from '../../app.ts';
import { loadConfig } from '../../../core/config.ts';
`,
  'src/features/accounts/service.ts': `
import { coreError } from '../../core/errors/index.ts';
import { hashPassword } from '../../crypto/password.ts';
import type { Stores } from '../../stores/contract.ts';
import type { MailTransport } from '../../mail/contract.ts';
import { defineRoute } from '../../http/route.ts';
import { schema } from './schema.ts';
import { createMemoryStores } from '../../stores/memory/index.ts';
export { revokeSession } from '../sessions/index.ts';
const lazy = await import('../sessions/service.ts');
import type { MailError } from '../../mail/index.ts';
`,
  'src/features/accounts/service.test.ts': `
import { makeStores } from '../../../test/fixtures/stores.ts';
import { createMemoryStores } from '../../stores/memory/index.ts';
import { register } from './service.ts';
`,
  'src/features/sessions/index.ts': `
export { revoke } from './service.ts';
export { sessionsFeature } from './feature.ts';
`,
  'src/features/sessions/feature.ts': `
import { defineFeature } from '../../feature/index.ts';
import { featureKeys } from '../../feature/keys.ts';
import { revoke } from './service.ts';
`,
  'src/features/sessions/repository.ts': `
import { guarded, type SqlDatabaseHandle } from '../../stores/sql/kit.ts';
import { createSqlRepositories } from '../../stores/sql/repositories/index.ts';
import type { Database } from '../../stores/sql/database.ts';
`,
  'src/feature/define-feature.ts': `
import type { Stores } from '../stores/contract.ts';
import type { RouteDefinition } from '../http/route.ts';
import { featureKeys } from './keys.ts';
import { sessionsFeature } from '../features/sessions/index.ts';
import { createMemoryStores } from '../stores/memory/index.ts';
`,
  'src/auth/feature-list.ts': `
import { sessionsFeature } from '../features/sessions/index.ts';
import { defineFeature } from '../feature/index.ts';
import { createMemoryStores } from '../stores/memory/index.ts';
import { revoke } from '../features/sessions/service.ts';
import { serve } from '../cli/serve.ts';
`,
  'src/cli/serve.ts': `
import { startServer } from '../server/listen.ts';
import { createAuth } from '../index.ts';
import { createRedisStores } from '../stores/redis/index.ts';
import { parseArgs } from './args.ts';
import { loadConfig } from '../core/config.ts';
import { connect } from '../stores/redis/client.ts';
`,
  'src/server/listen.ts': `
import { createAuth } from '../index.ts';
import { toNodeHandler } from '../http/adapters/node/index.ts';
import { createFileTransport } from '../mail/index.ts';
import { serve } from '../cli/serve.ts';
`,
  'src/client/index.ts': `
import { accountRoutes } from '../features/accounts/routes.ts';
`,
  'src/lib/helpers.ts': `
import { config } from '../core/config.ts';
`,
};

/** Exactly what the tree above breaks, by file and line. */
const EXPECTED: Violation[] = [
  { file: 'src/cli/serve.ts', line: 6, from: 'src/cli/', to: 'src/core/config.ts', rule: 'cli' },
  { file: 'src/cli/serve.ts', line: 7, from: 'src/cli/', to: 'src/stores/redis/client.ts', rule: 'cli' },
  {
    file: 'src/client/index.ts',
    line: 2,
    from: 'src/client/',
    to: 'src/features/accounts/routes.ts',
    rule: 'client',
  },
  { file: 'src/core/config.ts', line: 4, from: 'src/core/', to: 'src/stores/contract.ts', rule: 'core' },
  { file: 'src/core/config.ts', line: 5, from: 'src/core/', to: 'ioredis', rule: 'core-drivers' },
  {
    file: 'src/core/config.ts',
    line: 6,
    from: 'src/core/',
    to: 'nodemailer/lib/mail-composer',
    rule: 'core-drivers',
  },
  { file: 'src/core/config.ts', line: 7, from: 'src/core/', to: 'src/mail/contract.ts', rule: 'core' },
  {
    file: 'src/auth/feature-list.ts',
    line: 5,
    from: 'src/auth/',
    to: 'src/features/sessions/service.ts',
    rule: 'composition',
  },
  {
    file: 'src/auth/feature-list.ts',
    line: 6,
    from: 'src/auth/',
    to: 'src/cli/serve.ts',
    rule: 'composition',
  },
  { file: 'src/crypto/bad.ts', line: 2, from: 'src/crypto/', to: 'src/core/config.ts', rule: 'crypto' },
  { file: 'src/crypto/bad.ts', line: 3, from: 'src/crypto/', to: 'kysely', rule: 'crypto-packages' },
  { file: 'src/crypto/bad.ts', line: 4, from: 'src/crypto/', to: 'fs', rule: 'crypto-packages' },
  {
    file: 'src/features/accounts/service.test.ts',
    line: 3,
    from: 'src/features/accounts/',
    to: 'src/stores/memory/index.ts',
    rule: 'features',
  },
  {
    file: 'src/features/accounts/service.ts',
    line: 8,
    from: 'src/features/accounts/',
    to: 'src/stores/memory/index.ts',
    rule: 'features',
  },
  {
    file: 'src/features/accounts/service.ts',
    line: 9,
    from: 'src/features/accounts/',
    to: 'src/features/sessions/index.ts',
    rule: 'features',
  },
  {
    file: 'src/features/accounts/service.ts',
    line: 10,
    from: 'src/features/accounts/',
    to: 'src/features/sessions/service.ts',
    rule: 'features',
  },
  {
    file: 'src/features/accounts/service.ts',
    line: 11,
    from: 'src/features/accounts/',
    to: 'src/mail/index.ts',
    rule: 'features',
  },
  {
    file: 'src/features/sessions/repository.ts',
    line: 3,
    from: 'src/features/sessions/',
    to: 'src/stores/sql/repositories/index.ts',
    rule: 'features',
  },
  {
    file: 'src/features/sessions/repository.ts',
    line: 4,
    from: 'src/features/sessions/',
    to: 'src/stores/sql/database.ts',
    rule: 'features',
  },
  {
    file: 'src/feature/define-feature.ts',
    line: 5,
    from: 'src/feature/',
    to: 'src/features/sessions/index.ts',
    rule: 'feature-kit',
  },
  {
    file: 'src/feature/define-feature.ts',
    line: 6,
    from: 'src/feature/',
    to: 'src/stores/memory/index.ts',
    rule: 'feature-kit',
  },
  {
    file: 'src/features/sessions/feature.ts',
    line: 3,
    from: 'src/features/sessions/',
    to: 'src/feature/keys.ts',
    rule: 'features',
  },
  {
    file: 'src/http/adapters/node/index.ts',
    line: 3,
    from: 'src/http/adapters/',
    to: 'src/core/config.ts',
    rule: 'http-adapters',
  },
  { file: 'src/http/app.ts', line: 5, from: 'src/http/', to: 'src/stores/memory/index.ts', rule: 'http' },
  {
    file: 'src/http/app.ts',
    line: 6,
    from: 'src/http/',
    to: 'src/features/accounts/routes.ts',
    rule: 'http',
  },
  {
    file: 'src/lib/helpers.ts',
    line: 2,
    from: 'src/lib/helpers.ts',
    to: 'src/core/config.ts',
    rule: 'unruled',
  },
  { file: 'src/mail/smtp.ts', line: 4, from: 'src/mail/', to: 'src/core/errors/index.ts', rule: 'mail' },
  { file: 'src/server/listen.ts', line: 5, from: 'src/server/', to: 'src/cli/serve.ts', rule: 'server' },
  {
    file: 'src/stores/contract.ts',
    line: 2,
    from: 'src/stores/contract.ts',
    to: 'src/crypto/ids.ts',
    rule: 'store-contract',
  },
  {
    file: 'src/stores/memory/index.ts',
    line: 5,
    from: 'src/stores/memory/',
    to: 'src/stores/redis/scripts.ts',
    rule: 'stores',
  },
];

let root: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'gatehouse-import-rules-'));
  for (const [path, content] of Object.entries(TREE)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
});

after(async () => {
  await rm(root, { recursive: true, force: true });
});

const byPlace = (a: Violation, b: Violation): number => a.file.localeCompare(b.file) || a.line - b.line;

describe('import rules', () => {
  test('checkImports - should report exactly the imports that break a rule', () => {
    assert.deepEqual(checkImports(root).sort(byPlace), [...EXPECTED].sort(byPlace));
  });

  test('checkImports - should find nothing to report in a tree without src/', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'gatehouse-import-rules-empty-'));
    try {
      assert.deepEqual(checkImports(empty), []);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });

  test('findImports - should see static, side-effect, re-export, type and dynamic imports with their lines', () => {
    const source = [
      "import a from './a.ts';",
      "import type { B } from './b.ts';",
      "import './c.ts';",
      "export * from './d.ts';",
      "export type { E } from './e.ts';",
      'export { f };',
      "const g = await import('./g.ts');",
      "type H = import('./h.ts').H;",
      'import {',
      '  i,',
      "} from './i.ts';",
      "export * as j from './j.ts';",
      "import k from './k.json' with { type: 'json' };",
      'const meta = import.meta.url;',
      'const dynamic = await import(name);',
    ].join('\n');
    assert.deepEqual(
      findImports(source).map(({ specifier, line }) => `${line}:${specifier}`),
      [
        '1:./a.ts',
        '2:./b.ts',
        '3:./c.ts',
        '4:./d.ts',
        '5:./e.ts',
        '7:./g.ts',
        '8:./h.ts',
        '11:./i.ts',
        '12:./j.ts',
        '13:./k.json',
      ],
    );
  });

  test('findImports - should ignore import-like text in comments, strings, templates and regular expressions', () => {
    assert.deepEqual(
      findImports(TREE['src/core/tricky.ts']!).map(({ specifier, line }) => `${line}:${specifier}`),
      ['13:./errors/index.ts'],
    );
  });

  test('formatViolation - should print file:line, both ends and the rule', () => {
    assert.equal(
      formatViolation(EXPECTED[0]!),
      'src/cli/serve.ts:6: src/cli/ may not import src/core/config.ts (cli: the CLI uses public entry points and the server)',
    );
  });

  test('check-imports CLI - should exit 1 and print one line per violation', async () => {
    const run = promisify(execFile);
    const result = await run(process.execPath, [SCRIPT, root]).then(
      () => assert.fail('expected exit code 1'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(result.code, 1);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.filter((line) => / may not import /.test(line)).length, EXPECTED.length);
    assert.ok(lines.includes(formatViolation(EXPECTED[0]!)));
  });

  test('check-imports CLI - should exit 0 with a summary when every import follows the rules', async () => {
    const clean = await mkdtemp(join(tmpdir(), 'gatehouse-import-rules-clean-'));
    try {
      await mkdir(join(clean, 'src/core'), { recursive: true });
      await writeFile(join(clean, 'src/core/a.ts'), "import { b } from './b.ts';\n");
      const { stdout } = await promisify(execFile)(process.execPath, [SCRIPT, clean]);
      assert.match(stdout, /^check-imports: 1 files, 1 imports, all follow the dependency rules\n$/);
    } finally {
      await rm(clean, { recursive: true, force: true });
    }
  });
});
