import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CORE_ERROR_CODES } from '../core/index.ts';
import { type AnyFeatureDefinition, defineFeature, type FeatureContext } from '../feature/index.ts';
import { defineRoute } from '../http/index.ts';
import { buildFeatures, checkRouteClashes, declareFeatures } from './feature-assembly.ts';

const base = { errors: CORE_ERROR_CODES };
/** The shared part of a context; these features read none of it. */
const shared = {} as unknown as Omit<
  FeatureContext<unknown>,
  'options' | 'port' | 'later' | 'rateLimitSlots' | 'userChanged' | 'signInMethods'
>;

const route = (path: string, operationId: string) =>
  defineRoute({
    method: 'GET',
    path,
    operationId,
    summary: operationId,
    responses: { 204: { description: 'Nothing' } },
    handler: async () => ({ status: 204 }),
  });

describe('feature assembly', () => {
  it('build order - should build requirements first and keep list order for routes, authenticators and user changes', async () => {
    const built: string[] = [];
    const told: string[] = [];
    const feature = (id: string, requires: string[] = []): AnyFeatureDefinition =>
      defineFeature({
        id,
        requires,
        build: ({ port }) => {
          built.push(id);
          for (const required of requires) assert.deepEqual(port(required), { from: required });
          return {
            ports: { from: id },
            routes: [route(`/${id}`, id)],
            authenticators: [{ id, read: () => null, authenticate: async () => assert.fail() }],
            onUserChange: async () => void told.push(id),
          };
        },
      });
    const declarations = declareFeatures([feature('a', ['c']), feature('b'), feature('c', ['b'])], base);
    const result = await buildFeatures(declarations, shared, new Map());
    assert.deepEqual(built, ['b', 'c', 'a']);
    assert.deepEqual(
      result.routes.map((r) => r.path),
      ['/a', '/b', '/c'],
    );
    assert.deepEqual(
      result.authenticators.map((a) => a.id),
      ['a', 'b', 'c'],
    );
    await result.userChanged('u1', { kind: 'deleting' });
    assert.deepEqual(told, ['a', 'b', 'c']);
  });

  it("sign-in methods - should count every feature's ways in, including those of features built later, only once assembled", async () => {
    const seen: unknown[] = [];
    let count: ((userId: string) => Promise<number>) | undefined;
    let early: Promise<number> | undefined;
    const remover = defineFeature({
      id: 'remover',
      build: ({ signInMethods }) => {
        early = signInMethods.count('u1', 'trx').catch(() => -1);
        count = (userId) => signInMethods.count(userId, 'trx');
        return {
          signInMethods: [
            {
              method: 'a',
              async count(userId, within) {
                seen.push(within);
                return userId === 'u1' ? 1 : 0;
              },
            },
          ],
        };
      },
    });
    const later = defineFeature({
      id: 'later',
      build: () => ({
        signInMethods: [
          { method: 'b', count: async () => 2 },
          { method: 'c', count: async () => 0 },
        ],
      }),
    });
    await buildFeatures(declareFeatures([remover, later], base), shared, new Map());
    assert.equal(await early, -1);
    assert.equal(await count?.('u1'), 3);
    assert.equal(await count?.('u2'), 2);
    assert.deepEqual(seen, ['trx', 'trx']);
  });

  it('requirements - should refuse a missing or cyclic requirement, and an unlisted use', () => {
    const feature = (id: string, requires: string[], uses: string[] = []) =>
      defineFeature({ id, requires, uses, build: () => ({}) });
    assert.throws(
      () => declareFeatures([feature('a', ['nope'])], base),
      /requires "nope", which is not listed/,
    );
    assert.throws(
      () => declareFeatures([feature('a', ['b']), feature('b', ['c']), feature('c', ['a'])], base),
      /cycle: a → b → c → a/,
    );
    assert.throws(
      () => declareFeatures([feature('a', [], ['nope'])], base),
      /uses "nope", which is not listed/,
    );
    // A request-time use may point back: that is what `uses` is for.
    assert.doesNotThrow(() => declareFeatures([feature('a', ['b']), feature('b', [], ['a'])], base));
  });

  it('ports - should refuse a port not required, and a later port read before assembly ends', async () => {
    let readLater: (() => unknown) | undefined;
    const declarations = declareFeatures(
      [
        defineFeature({
          id: 'a',
          uses: ['b'],
          build: ({ later }) => {
            readLater = later('b');
            return {};
          },
        }),
        defineFeature({
          id: 'b',
          build: ({ port }) => {
            assert.throws(() => port('a'), /uses "a" without requiring it/);
            assert.throws(() => readLater?.(), /before assembly ended/);
            return { ports: { ready: true } };
          },
        }),
      ],
      base,
    );
    await buildFeatures(declarations, shared, new Map());
    assert.deepEqual(readLater?.(), { ready: true });
  });

  it('declarations - should refuse a key purpose, migration or hook declared twice', async () => {
    const twice = (member: Partial<AnyFeatureDefinition>) => [
      defineFeature({ id: 'a', ...member, build: () => ({}) }),
      defineFeature({ id: 'b', ...member, build: () => ({}) }),
    ];
    assert.throws(() => declareFeatures(twice({ keyPurposes: { x: 'x-key' } }), base), /key purpose "x-key"/);
    assert.throws(
      () => declareFeatures(twice({ keyPurposes: { s: 'secret-encryption' } }).slice(0, 1), base),
      /key purpose "secret-encryption"/,
    );
    const migration = () => ({ up: async () => {} });
    assert.throws(
      () => declareFeatures(twice({ migrations: { m_0001: migration } }), base),
      /migration "m_0001"/,
    );
    const hooked = [
      defineFeature({ id: 'a', build: () => ({ checkScopes: () => {} }) }),
      defineFeature({ id: 'b', build: () => ({ checkScopes: () => {} }) }),
    ];
    await assert.rejects(
      buildFeatures(declareFeatures(hooked, base), shared, new Map()),
      /checkScopes hook is contributed twice/,
    );
  });

  it('authenticatorsBefore - should place a feature’s authenticators before the named one', async () => {
    const authenticator = (id: string) => ({ id, read: () => null, authenticate: async () => assert.fail() });
    const declarations = declareFeatures(
      [
        defineFeature({
          id: 'general',
          build: () => ({ authenticators: [authenticator('bearer'), authenticator('cookie')] }),
        }),
        defineFeature({
          id: 'specific',
          build: () => ({ authenticators: [authenticator('apiKey')], authenticatorsBefore: 'bearer' }),
        }),
      ],
      base,
    );
    const { authenticators } = await buildFeatures(declarations, shared, new Map());
    assert.deepEqual(
      authenticators.map((a) => a.id),
      ['apiKey', 'bearer', 'cookie'],
    );
  });

  it('routes - should refuse one method and path shape twice, or one operationId twice', () => {
    assert.throws(
      () => checkRouteClashes([route('/x/:id', 'one'), route('/x/:key', 'two')]),
      /two routes answer GET/,
    );
    assert.throws(() => checkRouteClashes([route('/x', 'same'), route('/y', 'same')]), /operationId same/);
    assert.doesNotThrow(() => checkRouteClashes([route('/x', 'one'), route('/y', 'two')]));
  });
});
