import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { fieldProblemsFromIssues, MAX_FIELD_PROBLEMS, REDACTED_KEY } from './validation.ts';

// Not a plain field name: known-safe field names (camelCase) are reported as paths on purpose.
const MARKER = 'marker!b7f3';

async function problemsFor(schema: z.ZodType, value: unknown) {
  const result = await schema.safeParseAsync(value, { reportInput: true });
  assert.equal(result.success, false, 'the value was expected to fail validation');
  return fieldProblemsFromIssues(result.error?.issues ?? []);
}

describe('fieldProblemsFromIssues', () => {
  it('fieldProblemsFromIssues - should never echo received values, whatever the issue kind', async () => {
    const schema = z.strictObject({
      email: z.email(),
      role: z.enum(['user', 'admin']),
      kind: z.literal('fixed'),
      count: z.number(),
      code: z.string().regex(/^\d{6}$/),
      checked: z.string().refine(() => false, { message: `custom ${MARKER}` }),
      tags: z.record(z.string().max(3), z.string()),
      either: z.union([z.string(), z.number()]),
    });
    const problems = await problemsFor(schema, {
      email: MARKER,
      role: MARKER,
      kind: MARKER,
      count: MARKER,
      code: MARKER,
      checked: MARKER,
      tags: { [MARKER]: 'x' },
      either: { [MARKER]: true },
      [MARKER]: MARKER,
    });
    assert.ok(problems.length >= 8);
    assert.ok(!JSON.stringify(problems).includes(MARKER), JSON.stringify(problems));
  });

  it('fieldProblemsFromIssues - should map each issue kind to its fixed message', async () => {
    const schema = z.strictObject({
      email: z.email(),
      name: z.string().min(2).max(4),
      age: z.int().min(18),
      list: z.array(z.string()).max(1),
      role: z.enum(['user', 'admin']),
      even: z.number().multipleOf(2),
      required: z.string(),
      flag: z.boolean(),
    });
    const problems = await problemsFor(schema, {
      email: 'no',
      name: 'toolong',
      age: 3,
      list: ['a', 'b'],
      role: 'root',
      even: 3,
      flag: 'yes',
    });
    assert.deepEqual(problems, [
      { path: 'email', message: 'Must be an email address' },
      { path: 'name', message: 'Must be at most 4 characters' },
      { path: 'age', message: 'Must be greater than or equal to 18' },
      { path: 'list', message: 'Must have at most 1 items' },
      { path: 'role', message: 'Must be one of: "user", "admin"' },
      { path: 'even', message: 'Must be a multiple of 2' },
      { path: 'required', message: 'Required' },
      { path: 'flag', message: 'Expected boolean' },
    ]);
  });

  it('fieldProblemsFromIssues - should report each unknown field at its own path', async () => {
    const schema = z.strictObject({ profile: z.strictObject({ name: z.string() }) });
    const problems = await problemsFor(schema, { profile: { name: 'a', roles: ['admin'] }, isActive: true });
    assert.deepEqual(problems, [
      { path: 'profile.roles', message: 'Unknown field' },
      { path: 'isActive', message: 'Unknown field' },
    ]);
  });

  it('fieldProblemsFromIssues - should use numeric segments for array items and the empty path for the root', async () => {
    assert.deepEqual(await problemsFor(z.strictObject({ a: z.array(z.string()) }), { a: ['x', 1] }), [
      { path: 'a.1', message: 'Expected string' },
    ]);
    assert.deepEqual(await problemsFor(z.strictObject({ a: z.string() }), ['x']), [
      { path: '', message: 'Expected object' },
    ]);
  });

  it('fieldProblemsFromIssues - should replace attacker-chosen key names by a placeholder', async () => {
    const keys = ['a'.repeat(65), 'has space', 'dotted.key', '<script>', 'ünïcode', '__proto__x"'];
    const input = Object.fromEntries(keys.map((key) => [key, 1]));
    const problems = await problemsFor(z.strictObject({}), input);
    assert.equal(problems.length, 1, 'identical problems are reported once');
    assert.deepEqual(problems[0], { path: REDACTED_KEY, message: 'Unknown field' });
    const fine = await problemsFor(z.strictObject({}), { camelCase_ok: 1 });
    assert.deepEqual(fine, [{ path: 'camelCase_ok', message: 'Unknown field' }]);
  });

  it('fieldProblemsFromIssues - should cap the number of reported problems', async () => {
    const input = Object.fromEntries(Array.from({ length: 100 }, (_, index) => [`field${index}`, index]));
    const problems = await problemsFor(z.strictObject({}), input);
    assert.equal(problems.length, MAX_FIELD_PROBLEMS);
  });
});
