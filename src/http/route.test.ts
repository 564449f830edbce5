import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { joinPaths, parseRoutePath, routeShape, toOpenApiPath } from './route.ts';

describe('route paths', () => {
  it('parseRoutePath - should return parameter names in order', () => {
    assert.deepEqual(parseRoutePath('/').paramNames, []);
    assert.deepEqual(parseRoutePath('/.well-known/jwks.json').paramNames, []);
    assert.deepEqual(parseRoutePath('/users/:userId/keys/:keyId').paramNames, ['userId', 'keyId']);
  });

  it('parseRoutePath - should refuse syntax without an exact OpenAPI equivalent', () => {
    for (const path of [
      '',
      'users',
      '/users/',
      '/a//b',
      '/a/*',
      '/a/:id?',
      '/a/:id{\\d+}',
      '/a/:1x',
      '/a b',
      '/a/:id/:id',
    ]) {
      assert.throws(() => parseRoutePath(path), TypeError, path);
    }
  });

  it('toOpenApiPath - should turn :name into {name}', () => {
    assert.equal(toOpenApiPath('/users/me/sessions/:id'), '/users/me/sessions/{id}');
    assert.equal(toOpenApiPath('/a/:x/b/:y'), '/a/{x}/b/{y}');
  });

  it('routeShape - should make paths that differ only in parameter names equal', () => {
    assert.equal(routeShape('/a/:id/b'), routeShape('/a/:key/b'));
    assert.notEqual(routeShape('/a/:id/b'), routeShape('/a/literal/b'));
  });

  it('joinPaths - should join a base path and a route path', () => {
    assert.equal(joinPaths('', '/login'), '/login');
    assert.equal(joinPaths('/auth', '/login'), '/auth/login');
    assert.equal(joinPaths('/auth/', '/login'), '/auth/login');
    assert.equal(joinPaths('/auth', '/'), '/auth');
  });
});
