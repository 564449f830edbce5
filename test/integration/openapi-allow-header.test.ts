/**
 * A 405's `Allow` header lists exactly the methods the OpenAPI document gives the path (plus
 * HEAD where GET exists, because HEAD really answers there), never a method the path does not
 * have: checked for every path of a fully configured instance and every method it lacks. A
 * literal path wins over a template, as OpenAPI reads it: `/users/me/sessions/revoke-others`
 * has POST only, although `/users/me/sessions/{id}` has DELETE.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createHarness, type Harness } from '../fixtures/auth-harness.ts';

/** Every method a client might try, in the order `Allow` lists methods. */
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

describe('405 Allow header', () => {
  let h: Harness;
  let paths: Record<string, Record<string, unknown>>;

  before(async () => {
    h = await createHarness({
      config: {
        // Never contacted: the requests below stop at routing, or at an unknown provider.
        oauth: {
          providers: {
            mock: {
              kind: 'oidc',
              issuer: 'http://127.0.0.1:9',
              clientId: 'allow',
              clientSecret: 'allow-secret',
            },
          },
          allowInsecureLoopback: true,
        },
      },
    });
    paths = (await h.get('/openapi.json')).body.paths;
  });

  after(async () => {
    await h.close();
  });

  /** A request path for a document path: each `{param}` becomes a value no route treats specially. */
  const concrete = (path: string) => path.replace(/\{[^}]+\}/g, 'not-configured');

  it('405 - should list exactly the document methods of every path, with HEAD only beside GET', async () => {
    let checked = 0;
    for (const [path, operations] of Object.entries(paths)) {
      const documented = Object.keys(operations).map((m) => m.toUpperCase());
      const allowed = METHODS.filter(
        (m) => documented.includes(m) || (m === 'HEAD' && documented.includes('GET')),
      );
      for (const method of METHODS.filter((m) => !allowed.includes(m))) {
        const response = await h.request(method, concrete(path));
        assert.equal(response.status, 405, `${method} ${path}: ${response.text}`);
        // A HEAD answer has no body to carry the problem.
        if (method !== 'HEAD') assert.equal(response.body?.code, 'METHOD_NOT_ALLOWED', `${method} ${path}`);
        assert.equal(response.headers.get('allow'), allowed.join(', '), `${method} ${path}`);
        checked += 1;
      }
    }
    assert.ok(checked > Object.keys(paths).length * 3, `${checked} requests`);
  });

  it('405 - should answer HEAD like GET, without a body, wherever GET exists', async () => {
    const user = await h.signedInUser();
    for (const [path, operations] of Object.entries(paths)) {
      if (!('get' in operations)) continue;
      const get = await h.request('GET', concrete(path), { token: user.accessToken });
      const head = await h.request('HEAD', concrete(path), { token: user.accessToken });
      assert.equal(head.status, get.status, `HEAD ${path}`);
      assert.equal(head.text, '', `HEAD ${path} has no body`);
    }
  });

  it('405 - should not route a method of a template to a literal path that lacks it', async () => {
    assert.deepEqual(Object.keys(paths['/users/me/sessions/revoke-others'] ?? {}), ['post']);
    assert.ok(paths['/users/me/sessions/{id}']?.delete);
    const user = await h.signedInUser();
    const response = await h.request('DELETE', '/users/me/sessions/revoke-others', {
      token: user.accessToken,
    });
    assert.equal(response.status, 405, response.text);
    assert.equal(response.headers.get('allow'), 'POST');
    // The template itself still answers its method.
    const other = await h.request('DELETE', '/users/me/sessions/revoke-other', { token: user.accessToken });
    assert.equal(other.status, 404, other.text);
    assert.equal(other.body?.code, 'SESSION_NOT_FOUND');
  });
});
