/**
 * `gatehouse/client/signing` must run where there is no Node: browsers, Deno, edge runtimes.
 * This walks the import graph from its entry (src/client/signing/index.ts) through every
 * relative import, with the same import reader the dependency-rule check uses, and fails on any
 * `node:` module, Node built-in or package reached, and on a use of the Node-only `Buffer` or
 * `process` globals. A walk from the Node entry (node.ts) must find `node:crypto`, so the walk
 * is shown to see what it looks for.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { findImports } from '../../scripts/check-imports.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BUILTINS = new Set(builtinModules);

interface Reach {
  /** Files reached, relative to the root. */
  readonly files: string[];
  /** Non-relative specifiers, with the file that imports each. */
  readonly external: { readonly specifier: string; readonly from: string }[];
  /** Files that name a Node-only global. */
  readonly nodeGlobals: { readonly file: string; readonly name: string }[];
}

function reachableFrom(entry: string): Reach {
  const seen = new Set<string>();
  const reach: Reach = { files: [], external: [], nodeGlobals: [] };
  const queue = [resolve(ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const name = relative(ROOT, file);
    reach.files.push(name);
    const source = readFileSync(file, 'utf8');
    // Comments stripped first, so prose about Buffer does not count; code that uses it does.
    const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
    for (const global of ['Buffer', 'process', 'require', '__dirname']) {
      if (new RegExp(`\\b${global}\\b`).test(code)) reach.nodeGlobals.push({ file: name, name: global });
    }
    for (const { specifier } of findImports(source)) {
      if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier));
      else reach.external.push({ specifier, from: name });
    }
  }
  return reach;
}

describe('gatehouse/client/signing is browser-safe', () => {
  it('imports - no module reachable from src/client/signing/index.ts should import node: or a Node built-in', () => {
    const reach = reachableFrom('src/client/signing/index.ts');
    assert.ok(
      reach.files.includes('src/crypto/canonical-request.ts'),
      'the walk reaches the shared canonical form',
    );
    const nodeOnly = reach.external.filter(
      ({ specifier }) => specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0]!),
    );
    assert.deepEqual(nodeOnly, []);
    // No package either: the signer is our own code over WebCrypto, nothing for a bundler to pull in.
    assert.deepEqual(reach.external, []);
    assert.deepEqual(reach.nodeGlobals, []);
  });

  it('imports - the walk from the Node entry (src/client/signing/node.ts) should find node:crypto', () => {
    const reach = reachableFrom('src/client/signing/node.ts');
    assert.ok(reach.external.some(({ specifier }) => specifier === 'node:crypto'));
    assert.ok(reach.nodeGlobals.some(({ name }) => name === 'Buffer'));
  });

  it('imports - gatehouse/client re-exports the browser-safe signer, not the Node one', () => {
    const reach = reachableFrom('src/client/index.ts');
    assert.ok(reach.files.includes('src/client/signing/index.ts'));
    assert.ok(!reach.files.includes('src/client/signing/node.ts'));
    assert.ok(!reach.files.includes('src/crypto/request-signing.ts'));
  });
});
