import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PathMethods } from './path-methods.ts';

describe('PathMethods', () => {
  const paths = new PathMethods();
  paths.add('/users/me/sessions', 'GET');
  paths.add('/users/me/sessions/:id', 'DELETE');
  paths.add('/users/me/sessions/revoke-others', 'POST');
  paths.add('/a/:id', 'GET');
  paths.add('/a/:key', 'PATCH');
  paths.add('/', 'GET');

  it('PathMethods - should resolve a literal segment before a parameter', () => {
    assert.equal(paths.resolve('/users/me/sessions/revoke-others'), '/users/me/sessions/revoke-others');
    assert.equal(paths.resolve('/users/me/sessions/abc'), '/users/me/sessions/:');
    assert.deepEqual(paths.allowed('/users/me/sessions/revoke-others'), ['POST']);
    assert.deepEqual(paths.allowed('/users/me/sessions/abc'), ['DELETE']);
    assert.equal(paths.owns('/users/me/sessions/:id', '/users/me/sessions/revoke-others'), false);
    assert.equal(paths.owns('/users/me/sessions/:id', '/users/me/sessions/abc'), true);
  });

  it('PathMethods - should know which paths another can shadow', () => {
    assert.equal(paths.mayBeShadowed('/users/me/sessions/:id'), true);
    assert.equal(paths.mayBeShadowed('/users/me/sessions/revoke-others'), false);
    assert.equal(paths.mayBeShadowed('/a/:id'), false);
  });

  it('PathMethods - should treat parameter names as one path, and list HEAD beside GET in Allow order', () => {
    assert.deepEqual(paths.allowed('/a/1'), ['GET', 'HEAD', 'PATCH']);
    assert.deepEqual(paths.allowed('/'), ['GET', 'HEAD']);
  });

  it('PathMethods - should match no path for other depths, empty segments or trailing slashes', () => {
    for (const path of ['/users/me/sessions/', '/users/me/sessions/a/b', '/a/', '/a', '/nowhere', '//']) {
      assert.equal(paths.resolve(path), undefined, path);
      assert.deepEqual(paths.allowed(path), [], path);
    }
  });
});
