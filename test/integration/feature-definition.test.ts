/**
 * The contract of a feature: a small feature written outside the source tree, importing only
 * the package's public entry (and zod), is added to createAuth through its definition alone —
 * one route, one error code, one rate-limit slot, one option, one migration — and is served,
 * documented in /openapi.json with its code, limited by its slot, configured through its
 * option (a bad value refuses to start, naming its path), and migrated; its repository, built
 * on `context.database` over the table its migration creates, writes and reads a row from its
 * route on SQLite and PostgreSQL. A definition that
 * clashes with a built-in (a route, a code with another meaning, a slot, an option) refuses to
 * start.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import type { AnyFeatureDefinition, Auth, AuthConfigInput } from '../../src/index.ts';
import { createAuth, ERROR_CATALOGUE, generateSecret } from '../../src/index.ts';
import { harnessConfig } from '../fixtures/auth-harness.ts';
import { type PostgresServer, startPostgres } from '../fixtures/postgres-server.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const PUBLIC_ENTRY = pathToFileURL(join(ROOT, 'src/index.ts')).href;

/** The throwaway feature's source, written as an application would write it. */
function widgetSource(variant: {
  id: string;
  path: string;
  code: string;
  title: string;
  slot: string;
  key: string;
}) {
  return `
import { z } from 'zod';
import { defineErrors, defineFeature, defineRoute } from ${JSON.stringify(PUBLIC_ENTRY)};
import { sql } from 'kysely';

const POKES = ${JSON.stringify(`${variant.id.replaceAll('-', '_')}_pokes`)};

/** The widget's repository: its own table, on the database handle createAuth passes in. */
function pokeRepository(database) {
  const db = database.kysely();
  return {
    async record(id, greeting, at) {
      await db.insertInto(POKES).values({ id, greeting, poked_at: at }).execute();
    },
    async read(id) {
      const row = await db.selectFrom(POKES).selectAll().where('id', '=', id).executeTakeFirst();
      return row ? { greeting: row.greeting, pokedAt: Number(row.poked_at) } : null;
    },
    async count() {
      const row = await db.selectFrom(POKES).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

const WIDGET_ERRORS = defineErrors({
  ${variant.code}: { status: 409, title: ${JSON.stringify(variant.title)} },
});

export const feature = defineFeature({
  id: ${JSON.stringify(variant.id)},
  config: {
    key: ${JSON.stringify(variant.key)},
    schema: z
      .strictObject({
        greeting: z.string().min(1).max(40).default('hello'),
        jammed: z.boolean().default(false),
      })
      .prefault({}),
  },
  errors: WIDGET_ERRORS.codes,
  rateLimits: { ${variant.slot}: { limit: 2, windowSeconds: 60, scope: 'ip' } },
  migrations: {
    ${JSON.stringify(`${variant.id}_0001_pokes`)}: () => ({
      async up(db) {
        await db.schema.createTable(POKES)
          .addColumn('id', 'text', (c) => c.primaryKey())
          .addColumn('greeting', 'text', (c) => c.notNull())
          .addColumn('poked_at', 'bigint', (c) => c.notNull())
          .execute();
      },
    }),
  },
  build: ({ options, database, now }) => {
    const pokes = pokeRepository(database);
    return {
    routes: [
      defineRoute({
        method: 'GET',
        path: ${JSON.stringify(variant.path)},
        operationId: ${JSON.stringify(`poke${variant.id.replaceAll('-', '')}`)},
        summary: 'Poke the widget',
        tags: ['widget'],
        rateLimit: { slot: ${JSON.stringify(variant.slot)} },
        errorCodes: [${JSON.stringify(variant.code)}],
        responses: {
          200: {
            description: 'Poked',
            schema: z.strictObject({ greeting: z.string(), pokes: z.int(), stored: z.boolean() }),
          },
        },
        async handler() {
          if (options.jammed) throw WIDGET_ERRORS.error(${JSON.stringify(variant.code)});
          const id = crypto.randomUUID();
          const at = now();
          await pokes.record(id, options.greeting, at);
          const row = await pokes.read(id);
          const stored = row !== null && row.greeting === options.greeting && row.pokedAt === at;
          return { status: 200, body: { greeting: options.greeting, pokes: await pokes.count(), stored } };
        },
      }),
    ],
    };
  },
});
void sql;
`;
}

const WIDGET = {
  id: 'widget',
  path: '/widget/poke',
  code: 'WIDGET_JAMMED',
  title: 'The widget is jammed.',
  slot: 'widgetPoke',
  key: 'widget',
};

let folder: string;
let postgres: PostgresServer | undefined;
let dataDir: string;
const secret = generateSecret();

/** Writes a variant of the widget into the temp folder and imports its definition. */
async function loadFeature(
  name: string,
  variant: Partial<typeof WIDGET> = {},
): Promise<AnyFeatureDefinition> {
  const file = join(folder, `${name}.ts`);
  await writeFile(file, widgetSource({ ...WIDGET, ...variant }));
  return ((await import(pathToFileURL(file).href)) as { feature: AnyFeatureDefinition }).feature;
}

function config(extra: Record<string, unknown> = {}): AuthConfigInput {
  return {
    ...harnessConfig({ secret, dataDir }),
    rateLimits: { enabled: true },
    // The test tells each request's address through X-Forwarded-For.
    http: { trustedProxyHops: 1 },
    ...extra,
  } as AuthConfigInput;
}

async function started(features: AnyFeatureDefinition[], extra: Record<string, unknown> = {}): Promise<Auth> {
  const auth = await createAuth(config(extra), { features });
  await auth.migrate();
  return auth;
}

const poke = (auth: Auth, ip: string) =>
  auth.fetch(new Request('https://auth.example.test/widget/poke', { headers: { 'X-Forwarded-For': ip } }));

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'gatehouse-feature-'));
  dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-feature-data-'));
  // The feature resolves `zod` and `kysely` as an application would: from its node_modules.
  await symlink(join(ROOT, 'node_modules'), join(folder, 'node_modules'), 'dir');
});

after(async () => {
  await postgres?.stop();
  await rm(folder, { recursive: true, force: true });
  await rm(dataDir, { recursive: true, force: true });
});

describe('a feature added through its definition alone', () => {
  it('catalogue - should serve what the built-in definitions declare, which is ERROR_CATALOGUE', async () => {
    const auth = await createAuth(config());
    try {
      assert.deepEqual(Object.entries(auth.errorCodes), Object.entries(ERROR_CATALOGUE));
    } finally {
      await auth.close();
    }
  });

  it('route - should be served, with its option reaching the handler', async () => {
    const auth = await started([await loadFeature('served')], { widget: { greeting: 'bonjour' } });
    try {
      const response = await poke(auth, '198.51.100.1');
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { greeting: 'bonjour', pokes: 1, stored: true });
      // Its error code is served as a problem body with the declared status and title.
      const jammed = await started([await loadFeature('jammed')], { widget: { jammed: true } });
      try {
        const refused = await poke(jammed, '198.51.100.1');
        assert.equal(refused.status, 409);
        const problem = (await refused.json()) as { code: string; title: string };
        assert.equal(problem.code, 'WIDGET_JAMMED');
        assert.equal(problem.title, 'The widget is jammed.');
      } finally {
        await jammed.close();
      }
    } finally {
      await auth.close();
    }
  });

  it('openapi - should document the route with its error code, after the built-in routes', async () => {
    const auth = await started([await loadFeature('documented')]);
    try {
      const document = (await (
        await auth.fetch(new Request('https://auth.example.test/openapi.json'))
      ).json()) as {
        paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>;
      };
      const operation = document.paths['/widget/poke']?.get;
      assert.equal(operation?.operationId, 'pokewidget');
      assert.ok(operation?.responses['409'], 'the 409 of WIDGET_JAMMED is documented');
      assert.match(JSON.stringify(operation.responses['409']), /WIDGET_JAMMED/);
      assert.ok(operation.responses['429'], 'a limited route documents its 429');
      const paths = Object.keys(document.paths);
      assert.ok(
        paths.indexOf('/widget/poke') > paths.indexOf('/users/me/api-keys'),
        'app features come after the built-in routes',
      );
      assert.equal(auth.errorCodes.WIDGET_JAMMED?.status, 409);
    } finally {
      await auth.close();
    }
  });

  it('rate limit - should answer 429 once its slot is spent, and follow rateLimits.slots overrides', async () => {
    const auth = await started([await loadFeature('limited')]);
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await poke(auth, '198.51.100.7')).status);
      assert.deepEqual(statuses, [200, 200, 429, 429]);
      // Another address has its own budget.
      assert.equal((await poke(auth, '198.51.100.8')).status, 200);
    } finally {
      await auth.close();
    }
    const overridden = await started([await loadFeature('overridden')], {
      rateLimits: { enabled: true, slots: { widgetPoke: { limit: 1, windowSeconds: 60, scope: 'ip' } } },
    });
    try {
      const statuses = [];
      for (let i = 0; i < 2; i++) statuses.push((await poke(overridden, '198.51.100.9')).status);
      assert.deepEqual(statuses, [200, 429]);
    } finally {
      await overridden.close();
    }
  });

  it('option - should refuse to start on a bad value, naming its path beside the built-in problems', async () => {
    const feature = await loadFeature('configured');
    await assert.rejects(
      createAuth(config({ widget: { greeting: '', colour: 'red' }, appName: '' }), { features: [feature] }),
      (error: Error & { code?: string; problems?: { path: string }[] }) => {
        assert.equal(error.code, 'ERR_INVALID_CONFIG');
        const paths = (error.problems ?? []).map((problem) => problem.path).sort();
        assert.deepEqual(paths, ['appName', 'widget', 'widget.greeting']);
        return true;
      },
    );
    // Without the feature, its option is an unknown key like any other.
    await assert.rejects(
      createAuth(config({ widget: {} })),
      (error: Error & { problems?: { path: string; message: string }[] }) => {
        assert.match(error.problems?.[0]?.message ?? '', /unknown option\(s\): widget/);
        return true;
      },
    );
  });

  it('migration - should be applied after the built-in ones and listed in the status', async () => {
    const auth = await started([await loadFeature('migrated')]);
    try {
      const names = (await auth.migrationStatus()).map((state) => state.name);
      assert.equal(names.at(-1), 'widget_0001_pokes');
      assert.ok((await auth.migrationStatus()).every((state) => state.appliedAt !== null));
      const tables = (await auth.database.db.introspection.getTables()).map((table) => table.name);
      assert.ok(tables.includes('widget_pokes'));
    } finally {
      await auth.close();
    }
  });

  for (const backend of [
    { name: 'SQLite', database: async () => ({}) },
    {
      name: 'PostgreSQL',
      database: async () => {
        postgres ??= await startPostgres();
        return { database: { url: await postgres.createDatabase() } };
      },
    },
  ]) {
    it(`repository on ${backend.name} - should write and read its own rows through context.database`, async () => {
      const auth = await started([await loadFeature(`stored-${backend.name.toLowerCase()}`)], {
        widget: { greeting: 'hej' },
        ...(await backend.database()),
      });
      try {
        assert.equal(auth.database.dialect, backend.name === 'SQLite' ? 'sqlite' : 'postgres');
        const first = await poke(auth, '198.51.100.20');
        assert.deepEqual(await first.json(), { greeting: 'hej', pokes: 1, stored: true });
        const second = await poke(auth, '198.51.100.21');
        assert.deepEqual(await second.json(), { greeting: 'hej', pokes: 2, stored: true });
        // The rows are in the feature's own table, as its migration created it.
        const rows = await sql<{ greeting: string }>`select greeting from widget_pokes`.execute(
          auth.database.db,
        );
        assert.deepEqual(
          rows.rows.map((row) => row.greeting),
          ['hej', 'hej'],
        );
      } finally {
        await auth.close();
      }
    });
  }

  it('clash - should refuse to start on a route, code, slot or option a built-in feature already has', async () => {
    const clashes: [string, Partial<typeof WIDGET>, RegExp][] = [
      [
        'route',
        {
          id: 'route-clash',
          path: '/health',
          code: 'ROUTE_CLASH',
          slot: 'routeClash',
          key: 'routeClash',
        },
        /two routes answer GET \/health/,
      ],
      [
        'code',
        { id: 'code-clash', code: 'RATE_LIMITED', slot: 'codeClash', key: 'codeClash' },
        /RATE_LIMITED is declared twice/,
      ],
      [
        'slot',
        { id: 'slot-clash', code: 'SLOT_CLASH', slot: 'login', key: 'slotClash' },
        /rate-limit slot "login" is declared by both/,
      ],
      [
        'option',
        { id: 'option-clash', code: 'OPTION_CLASH', slot: 'optionClash', key: 'cookies' },
        /claims the built-in option "cookies"/,
      ],
    ];
    for (const [name, variant, message] of clashes) {
      const feature = await loadFeature(`clash-${name}`, { path: `/${name}/poke`, ...variant });
      await assert.rejects(createAuth(config(), { features: [feature] }), message, name);
    }
    // The same feature twice is a clash too.
    const twice = await loadFeature('twice');
    await assert.rejects(createAuth(config(), { features: [twice, twice] }), /listed twice/);
  });
});
