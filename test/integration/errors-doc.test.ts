/**
 * docs/ERRORS.md must list exactly the codes of the error catalogue, each with its status, so
 * the documentation clients read cannot drift from what the server answers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { RETIRED_CODES } from '../../src/core/index.ts';
import { ERROR_CATALOGUE } from '../../src/index.ts';

const doc = readFileSync(resolve(import.meta.dirname, '../../docs/ERRORS.md'), 'utf8');
const rows = [...doc.matchAll(/^\| `([A-Z0-9_]+)` \| (\d{3}) \|/gm)].map((m) => ({
  code: m[1]!,
  status: Number(m[2]),
}));

describe('docs/ERRORS.md', () => {
  it('ERRORS.md - should list every catalogue code once, with its status', () => {
    const documented = new Map<string, number>();
    for (const row of rows) {
      assert.ok(!documented.has(row.code), `${row.code} is listed twice`);
      documented.set(row.code, row.status);
    }
    const catalogue = new Map(Object.entries(ERROR_CATALOGUE).map(([code, spec]) => [code, spec.status]));
    assert.deepEqual([...documented.entries()].sort(), [...catalogue.entries()].sort());
  });

  it('catalogue - should never reuse a retired code', () => {
    for (const code of RETIRED_CODES) assert.ok(!(code in ERROR_CATALOGUE), code);
  });
});
