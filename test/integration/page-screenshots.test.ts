/**
 * docs/pages/ pictures every hosted page: scripts/page-screenshots.ts (`npm run screenshots`)
 * lists what it captures, and that list must name every GET page route the pages register, so
 * a new page without a screenshot fails here (no browser needed), as does an entry whose route
 * no longer exists or whose PNG was not committed.
 */
import assert from 'node:assert/strict';
import { access } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { NOT_PICTURED, SCREENSHOTS } from '../../scripts/page-screenshots.ts';
import { createHarness, type Harness } from '../fixtures/auth-harness.ts';
import { pageRoutes } from '../fixtures/pages.ts';

describe('page screenshots', () => {
  let h: Harness;
  before(async () => {
    // Email codes on, as in the script: their pages are pictured too.
    h = await createHarness({ config: { ui: { enabled: true }, emailCode: { enabled: true } } });
  });
  after(() => h.close());

  it('every GET page route has a screenshot, and every screenshot a registered route', () => {
    const routes = pageRoutes(h.auth).get;
    assert.ok(routes.includes('/sign-in') && routes.includes('/account/two-factor'), 'the routes are read');
    const pictured = new Set(SCREENSHOTS.map((s) => s.route));
    const missing = routes.filter((route) => !pictured.has(route) && !NOT_PICTURED.includes(route));
    assert.deepEqual(missing, [], 'pages without a screenshot in scripts/page-screenshots.ts');
    const stale = [...pictured].filter((route) => !routes.includes(route));
    assert.deepEqual(stale, [], 'screenshots of routes that are not registered');
  });

  it('the screenshots have distinct names, and each PNG is in docs/pages/', async () => {
    assert.equal(new Set(SCREENSHOTS.map((s) => s.file)).size, SCREENSHOTS.length);
    for (const { file } of SCREENSHOTS) {
      await access(fileURLToPath(new URL(`../../docs/pages/${file}`, import.meta.url)));
    }
  });
});
