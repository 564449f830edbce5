import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError, isAuthError } from './auth-error.ts';
import { CORE_ERROR_CODES } from './catalogue.ts';
import { CORE_ERRORS, coreError } from './core-errors.ts';
import { defineErrors } from './define-errors.ts';

const WIDGET_ERRORS = defineErrors({
  WIDGET_JAMMED: { status: 409, title: 'The widget is jammed.' },
  WIDGET_GONE: { status: 404, title: 'No such widget.' },
});
const GADGET_ERRORS = defineErrors({ GADGET_BROKEN: { status: 500, title: 'The gadget broke.' } });

describe('defineErrors', () => {
  it('defineErrors - should keep the code map, frozen', () => {
    assert.deepEqual(Object.keys(WIDGET_ERRORS.codes), ['WIDGET_JAMMED', 'WIDGET_GONE']);
    assert.equal(WIDGET_ERRORS.codes.WIDGET_GONE.status, 404);
    assert.ok(Object.isFrozen(WIDGET_ERRORS.codes));
    assert.ok(Object.isFrozen(WIDGET_ERRORS));
  });

  it('error - should build an AuthError with the code, and the status and title of the map', () => {
    for (const [code, spec] of Object.entries(WIDGET_ERRORS.codes)) {
      const error = WIDGET_ERRORS.error(code as keyof typeof WIDGET_ERRORS.codes);
      assert.ok(error instanceof AuthError);
      assert.equal(error.name, 'AuthError');
      assert.equal(error.code, code);
      assert.equal(error.status, spec.status);
      assert.equal(error.message, spec.title);
    }
  });

  it('error - should pass every option through', () => {
    const cause = new Error('store said no');
    const error = WIDGET_ERRORS.error('WIDGET_JAMMED', {
      detail: 'Fixed detail.',
      errors: [{ path: 'name', message: 'too long' }],
      retryAfterSeconds: 7,
      extensions: { reasons: ['jam'] },
      cause,
    });
    assert.equal(error.detail, 'Fixed detail.');
    assert.deepEqual(error.errors, [{ path: 'name', message: 'too long' }]);
    assert.equal(error.retryAfterSeconds, 7);
    assert.deepEqual(error.extensions, { reasons: ['jam'] });
    assert.equal(error.cause, cause);
  });

  it('error - should work detached from its family (exported on its own)', () => {
    const { error } = WIDGET_ERRORS;
    assert.equal(error('WIDGET_GONE').status, 404);
  });

  it('is - should recognise its own errors only, and one code when asked', () => {
    const { is } = WIDGET_ERRORS;
    const jammed = WIDGET_ERRORS.error('WIDGET_JAMMED');
    assert.equal(is(jammed), true);
    assert.equal(is(jammed, 'WIDGET_JAMMED'), true);
    assert.equal(is(jammed, 'WIDGET_GONE'), false);
    assert.equal(is(GADGET_ERRORS.error('GADGET_BROKEN')), false);
    assert.equal(is(coreError('NOT_FOUND')), false);
  });

  it('is - should refuse look-alikes that are not AuthErrors', () => {
    const lookAlike = Object.assign(new Error('The widget is jammed.'), {
      code: 'WIDGET_JAMMED',
      status: 409,
    });
    assert.equal(WIDGET_ERRORS.is(lookAlike), false);
    assert.equal(WIDGET_ERRORS.is({ code: 'WIDGET_JAMMED' }), false);
    assert.equal(WIDGET_ERRORS.is(null), false);
    assert.equal(WIDGET_ERRORS.is('WIDGET_JAMMED'), false);
  });
});

describe('core errors', () => {
  it('CORE_ERRORS - should be the core code map as a family', () => {
    assert.equal(CORE_ERRORS.codes, CORE_ERROR_CODES);
    for (const [code, spec] of Object.entries(CORE_ERROR_CODES)) {
      const error = coreError(code as keyof typeof CORE_ERROR_CODES);
      assert.equal(error.status, spec.status);
      assert.equal(error.message, spec.title);
      assert.equal(CORE_ERRORS.is(error, error.code), true);
    }
  });
});

describe('isAuthError', () => {
  it('isAuthError - should tell AuthErrors of any family from other values, and match one code', () => {
    const gone = WIDGET_ERRORS.error('WIDGET_GONE');
    assert.equal(isAuthError(gone), true);
    assert.equal(isAuthError(coreError('RATE_LIMITED'), 'RATE_LIMITED'), true);
    assert.equal(isAuthError(coreError('RATE_LIMITED'), 'NOT_FOUND'), false);
    assert.equal(isAuthError(new Error('RATE_LIMITED')), false);
    assert.equal(isAuthError({ code: 'RATE_LIMITED', status: 429 }, 'RATE_LIMITED'), false);
  });
});
