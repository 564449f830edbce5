/**
 * The TypeScript snippets of README.md and docs/*.md compile against the package's public entry
 * points (scripts/check-readme-snippets.ts), so what the documentation shows cannot rot. The
 * marking rule (a `setup` comment for context, `fragment` for pseudo-code) is described in the
 * script and in the comment heading README's library section.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { checkSnippets, extractSnippets } from '../../scripts/check-readme-snippets.ts';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * Pages whose snippets are still being written alongside the code they show; each leaves this
 * list once its snippets compile (run `node scripts/check-readme-snippets.ts docs/<page>.md`).
 */
const NOT_YET_CHECKED = new Set<string>();

const DOCUMENTS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
].filter((file) => !NOT_YET_CHECKED.has(file));

describe('documentation snippets', () => {
  it('README.md and docs/*.md - every TypeScript snippet should type-check against the public entry points', () => {
    const result = checkSnippets(ROOT, DOCUMENTS);
    assert.ok(result.snippets >= 6, `README alone has six snippets; found ${result.snippets}`);
    assert.deepEqual(result.errors, [], `snippets that do not compile:\n${result.errors.join('\n')}`);
  });

  it('extractSnippets - should take ts/typescript/tsx blocks, put a setup comment before its block, skip fragments', () => {
    const markdown = [
      '# Title', // 1
      '```sh', // 2
      'npm start', // 3
      '```', // 4
      '<!-- snippet: setup', // 5
      "declare const auth: import('gatehouse').Auth;", // 6
      '-->', // 7
      '', // 8
      '```ts', // 9
      'auth.fetch;', // 10
      '```', // 11
      '<!-- snippet: fragment -->', // 12
      '```typescript', // 13
      'tokens: { … },', // 14
      '```', // 15
      '```tsx', // 16
      'const x = <div />;', // 17
      '```', // 18
    ].join('\n');
    const { snippets, fragments } = extractSnippets(markdown, 'DOC.md');
    assert.equal(fragments, 1);
    assert.deepEqual(
      snippets.map(({ line, code, tsx, setup, setupLine }) => ({ line, code, tsx, setup, setupLine })),
      [
        {
          line: 10,
          code: 'auth.fetch;',
          tsx: false,
          setup: "declare const auth: import('gatehouse').Auth;",
          setupLine: 5,
        },
        { line: 17, code: 'const x = <div />;', tsx: true, setup: '', setupLine: 0 },
      ],
    );
  });

  it('a snippet that does not compile, or imports what the package does not export - should be reported at its Markdown line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-snippet-doc-'));
    try {
      const file = join(dir, 'BROKEN.md');
      writeFileSync(
        file,
        [
          'A working one:', // 1
          '```ts', // 2
          "import { SIGNING_SCHEME } from 'gatehouse/client/signing';", // 3
          'const scheme: string = SIGNING_SCHEME;', // 4
          '```', // 5
          '<!-- snippet: setup declare const secret: Uint8Array; -->', // 6
          '```ts', // 7
          "import { signRequest } from 'gatehouse/client/signing';", // 8
          'const signature: string = signRequest(secret, null!);', // 9: a Promise, not a string
          '```', // 10
          '```ts', // 11
          "import { canonicalRequest } from 'gatehouse/crypto/canonical-request';", // 12: not exported
          '```', // 13
        ].join('\n'),
      );
      const result = checkSnippets(ROOT, [file]);
      assert.equal(result.snippets, 3);
      const positions = result.errors.map((error) =>
        /^.*BROKEN\.md:(\d+):(\d+): error (TS\d+)/.exec(error)?.slice(1),
      );
      assert.deepEqual(positions, [
        ['9', '7', 'TS2322'],
        ['12', '34', 'TS2307'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
