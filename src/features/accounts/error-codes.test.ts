import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError, CORE_ERROR_CODES, mergeCatalogues } from '../../core/errors/index.ts';
import { ACCOUNTS_ERROR_CODES, accountsError } from './error-codes.ts';

describe('ACCOUNTS_ERROR_CODES', () => {
  it('ACCOUNTS_ERROR_CODES - should merge into the catalogue without clashing with core codes', () => {
    const merged = mergeCatalogues(CORE_ERROR_CODES, ACCOUNTS_ERROR_CODES);
    assert.equal(
      Object.keys(merged).length,
      Object.keys(CORE_ERROR_CODES).length + Object.keys(ACCOUNTS_ERROR_CODES).length,
    );
  });
});

describe('accountsError', () => {
  it('accountsError - should build an AuthError with the code, status and title of the map', () => {
    for (const [code, spec] of Object.entries(ACCOUNTS_ERROR_CODES)) {
      const error = accountsError(code as keyof typeof ACCOUNTS_ERROR_CODES);
      assert.ok(error instanceof AuthError);
      assert.equal(error.code, code);
      assert.equal(error.status, spec.status);
      assert.equal(error.message, spec.title);
    }
  });

  it('accountsError - should pass options through', () => {
    const cause = new Error('store said no');
    const error = accountsError('USER_ALREADY_EXISTS', { detail: 'Fixed detail.', cause });
    assert.equal(error.detail, 'Fixed detail.');
    assert.equal(error.cause, cause);
  });
});
