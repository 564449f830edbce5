import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import pino from 'pino';
import {
  AuthError,
  CORE_ERROR_CODES,
  coreError,
  defineErrorCodes,
  mergeCatalogues,
} from '../core/errors/index.ts';
import { StoreError } from '../stores/contract.ts';
import {
  authErrorResponse,
  errorResponse,
  PROBLEM_CONTENT_TYPE,
  problemFromAuthError,
  problemSchema,
  problemTypeFor,
} from './problem.ts';

const FEATURE_CODES = defineErrorCodes({
  PASSWORD_POLICY: { status: 422, title: 'The password does not meet the policy.' },
});
const catalogue = mergeCatalogues(CORE_ERROR_CODES, FEATURE_CODES);

function captureLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('problemTypeFor', () => {
  it('problemTypeFor - should give a stable URN per code', () => {
    assert.equal(problemTypeFor('VALIDATION_FAILED'), 'urn:gatehouse:error:validation-failed');
    assert.equal(problemTypeFor('NOT_FOUND'), 'urn:gatehouse:error:not-found');
  });
});

describe('problemFromAuthError', () => {
  it('problemFromAuthError - should carry type, title, status, code, detail, errors and extensions', () => {
    const error = new AuthError('PASSWORD_POLICY', FEATURE_CODES.PASSWORD_POLICY, {
      detail: 'Choose a longer password.',
      errors: [{ path: 'password', message: 'too_short' }],
      extensions: { reasons: ['too_short'] },
    });
    const problem = problemFromAuthError(error, { catalogue });
    assert.deepEqual(problem, {
      type: 'urn:gatehouse:error:password-policy',
      title: 'The password does not meet the policy.',
      status: 422,
      code: 'PASSWORD_POLICY',
      detail: 'Choose a longer password.',
      errors: [{ path: 'password', message: 'too_short' }],
      reasons: ['too_short'],
    });
    assert.equal(problemSchema.safeParse(problem).success, true);
  });

  it('problemFromAuthError - should never let extensions override the standard members', () => {
    const error = coreError('FORBIDDEN', {
      extensions: { status: 200, code: 'OK', title: 'fine', type: 'x', extra: 1 },
    });
    const problem = problemFromAuthError(error, { catalogue });
    assert.equal(problem.status, 403);
    assert.equal(problem.code, 'FORBIDDEN');
    assert.equal(problem.title, CORE_ERROR_CODES.FORBIDDEN.title);
    assert.equal(problem.type, 'urn:gatehouse:error:forbidden');
    assert.equal(problem.extra, 1);
  });
});

describe('authErrorResponse', () => {
  it('authErrorResponse - should answer problem+json with the error status', async () => {
    const response = authErrorResponse(coreError('CSRF_FAILED'), { catalogue });
    assert.equal(response.status, 403);
    assert.equal(response.headers.get('content-type'), PROBLEM_CONTENT_TYPE);
    assert.equal(((await response.json()) as { code: string }).code, 'CSRF_FAILED');
    assert.equal(response.headers.has('retry-after'), false);
    assert.equal(response.headers.has('www-authenticate'), false);
  });

  it('authErrorResponse - should send Retry-After on 429 and 503, rounded up to whole seconds', () => {
    assert.equal(
      authErrorResponse(coreError('RATE_LIMITED', { retryAfterSeconds: 12.2 })).headers.get('retry-after'),
      '13',
    );
    assert.equal(authErrorResponse(coreError('SERVICE_UNAVAILABLE')).headers.get('retry-after'), '1');
    assert.equal(
      authErrorResponse(coreError('RATE_LIMITED', { retryAfterSeconds: 0 })).headers.get('retry-after'),
      '1',
    );
  });

  it('authErrorResponse - should challenge 401s with Bearer, and invalid_token when a token was bad', () => {
    assert.equal(authErrorResponse(coreError('UNAUTHENTICATED')).headers.get('www-authenticate'), 'Bearer');
    assert.equal(
      authErrorResponse(coreError('INVALID_TOKEN')).headers.get('www-authenticate'),
      'Bearer error="invalid_token"',
    );
    const custom = authErrorResponse(coreError('UNAUTHENTICATED'), {
      invalidTokenCodes: ['UNAUTHENTICATED'],
    });
    assert.equal(custom.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
  });
});

describe('errorResponse', () => {
  it('errorResponse - should map a StoreError to 503 with its Retry-After and log only the kind', async () => {
    const { logger, lines } = captureLogger();
    const error = new StoreError('full', 'memory store is full', {
      cause: new Error('key=session:secret-key'),
    });
    const response = errorResponse(error, { logger, catalogue });
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '5');
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.code, 'SERVICE_UNAVAILABLE');
    const logged = lines();
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.level, 40);
    assert.equal(logged[0]?.storeErrorKind, 'full');
    assert.ok(!JSON.stringify(logged).includes('secret-key'));
  });

  it('errorResponse - should answer 500 INTERNAL without detail and log the error once', async () => {
    const { logger, lines } = captureLogger();
    const response = errorResponse(new RangeError('database exploded'), { logger, catalogue });
    assert.equal(response.status, 500);
    const text = await response.text();
    assert.deepEqual(JSON.parse(text), {
      type: 'urn:gatehouse:error:internal',
      title: CORE_ERROR_CODES.INTERNAL.title,
      status: 500,
      code: 'INTERNAL',
    });
    assert.ok(!text.includes('exploded'));
    const logged = lines();
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.level, 50);
    assert.equal((logged[0]?.err as { message?: string } | undefined)?.message, 'database exploded');
  });

  it('errorResponse - should pass AuthErrors through without logging client errors', () => {
    const { logger, lines } = captureLogger();
    const response = errorResponse(coreError('RATE_LIMITED', { retryAfterSeconds: 30 }), {
      logger,
      catalogue,
    });
    assert.equal(response.status, 429);
    assert.equal(response.headers.get('retry-after'), '30');
    assert.equal(lines().length, 0);
  });
});
