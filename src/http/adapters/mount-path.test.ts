import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mountPathConflicts, routedPath } from './mount-path.ts';

describe('routedPath', () => {
  it('passes the path through when the adapter is not mounted', () => {
    assert.deepEqual(routedPath({ basePath: '', path: '/auth/login' }), { ok: true, path: '/auth/login' });
    assert.deepEqual(routedPath({ mountPath: '', basePath: '/api', path: '/api/auth/login' }), {
      ok: true,
      path: '/api/auth/login',
    });
    assert.deepEqual(routedPath({ mountPath: '/', basePath: '', path: '/users/me' }), {
      ok: true,
      path: '/users/me',
    });
  });

  it('uses the path relative to the mount when there is no base path', () => {
    assert.deepEqual(routedPath({ mountPath: '/api', basePath: '', path: '/auth/login' }), {
      ok: true,
      path: '/auth/login',
    });
    assert.deepEqual(routedPath({ mountPath: '/api', basePath: '', path: '' }), { ok: true, path: '/' });
  });

  it('applies an equal mount path and base path once', () => {
    assert.deepEqual(routedPath({ mountPath: '/api', basePath: '/api', path: '/users/me' }), {
      ok: true,
      path: '/api/users/me',
    });
    assert.deepEqual(routedPath({ mountPath: '/api/', basePath: '/api', path: '/' }), {
      ok: true,
      path: '/api',
    });
  });

  it('takes a mount prefix that differs from the base path only in case as the base path (Express matches mounts so)', () => {
    assert.deepEqual(routedPath({ mountPath: '/API', basePath: '/api', path: '/users/me' }), {
      ok: true,
      path: '/api/users/me',
    });
  });

  it('reports a mismatch when both are given and differ', () => {
    assert.deepEqual(routedPath({ mountPath: '/api', basePath: '/auth', path: '/users/me' }), {
      ok: false,
      reason: 'mount-path-mismatch',
    });
    assert.deepEqual(routedPath({ mountPath: '/api/v2', basePath: '/api', path: '/users/me' }), {
      ok: false,
      reason: 'mount-path-mismatch',
    });
  });
});

describe('mountPathConflicts', () => {
  it('is true only when both prefixes are present and differ', () => {
    assert.equal(mountPathConflicts('/api', '/auth'), true);
    assert.equal(mountPathConflicts('/api', '/api'), false);
    assert.equal(mountPathConflicts('/api/', '/api'), false);
    assert.equal(mountPathConflicts(undefined, '/api'), false);
    assert.equal(mountPathConflicts('/', '/api'), false);
    assert.equal(mountPathConflicts('/api', ''), false);
  });
});
