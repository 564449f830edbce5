/**
 * Fuzzes every operation of GET /openapi.json on a fully configured instance (an OAuth provider
 * on loopback, API keys, 2FA, cookie sessions). For each operation, requests are generated from
 * the document itself with a fixed seed: valid bodies and queries, bodies missing fields, with
 * unknown fields, wrong types, huge strings, odd unicode and deep nesting, malformed JSON,
 * wrong content types, random path parameters; sent without a credential, with a bad one, and
 * as a real signed-in user (bearer token, cookie session with its CSRF token, API key).
 *
 * Invariant: the document tells the truth. Every answer is a status the operation documents,
 * never a 5xx (no store is down here); its body has the documented media type and conforms to
 * the documented JSON Schema (problem bodies: a code listed for that status, from the
 * catalogue); an answer documented without a body has none; 401s carry WWW-Authenticate,
 * redirects Location, 429s Retry-After.
 *
 * @see issue #12
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import ajvFormats from 'ajv-formats';
import fc from 'fast-check';
import type { Auth } from '../../src/index.ts';
import { ERROR_CATALOGUE } from '../../src/index.ts';
import { createApiKey, createKeyOwner } from '../fixtures/api-keys.ts';
import {
  GOOD_PASSWORD,
  type Harness,
  harnessAround,
  type JsonResponse,
  send,
} from '../fixtures/auth-harness.ts';
import {
  cookieHeaders,
  OWN_ORIGIN,
  OWN_PAGE,
  sessionCookieFrom,
  signInWithCookie,
} from '../fixtures/cookie-session.ts';
import { createOAuthHarness, MOCK_PROVIDER } from '../fixtures/oauth-flow.ts';
import { type OidcServer, startOidcServer } from '../fixtures/oidc-server.ts';
import {
  codeAt,
  createTestClock,
  enableTwoFactor,
  pendingToken,
  TOTP_STEP_MS,
  verify,
} from '../fixtures/two-factor.ts';

/**
 * Fixed, so a failure reproduces; each operation gets `SEED + its index`. `FUZZ_SEED` and
 * `FUZZ_CASES` explore further by hand (`FUZZ_REPORT=1` prints the statuses each operation gave).
 */
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_206);
const CASES_PER_OPERATION = Number(process.env.FUZZ_CASES ?? 10);
/** Bounds the whole run whatever happens. */
const TIME_BUDGET_MS = Math.max(60_000, CASES_PER_OPERATION * 3_000);

type Json = Record<string, unknown>;

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly spec: {
    readonly security: readonly Json[];
    readonly parameters?: readonly { name: string; in: string; required: boolean; schema: Json }[];
    readonly requestBody?: { required: boolean; content: Record<string, { schema: Json }> };
    readonly responses: Record<string, { headers?: Json; content?: Record<string, { schema: Json }> }>;
  };
}

type Credential = 'none' | 'bearer' | 'cookie' | 'apiKey' | 'garbage';

type Body =
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly value: unknown }
  | { readonly kind: 'raw'; readonly text: string; readonly contentType: string | null };

interface RequestCase {
  readonly label: string;
  readonly credential: Credential;
  readonly params: Readonly<Record<string, string>>;
  readonly query: readonly (readonly [string, string])[];
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Body;
}

/** Who sends the authenticated requests of one operation: fresh, so no earlier request spoils it. */
interface Caller {
  readonly userId: string;
  readonly email: string;
  readonly accessToken: string;
  readonly cookie: { value: string; csrfToken: string };
  readonly apiKey: string;
  /** Real values for fields, parameters and headers of known names (a password, a current code). */
  readonly hints: Readonly<Record<string, fc.Arbitrary<unknown>>>;
}

/** Strings that have broken parsers and normalisers before. */
const ODD_STRINGS = [
  '\u0000',
  '\u202e\u0041\u0042',
  '\ud800',
  '\udfff\ud800',
  'a\u200bb',
  '\ufeff',
  'ｆｕｌｌ＠ｗｉｄｔｈ．ｃｏｍ',
  'a\u0301\u0301\u0301',
  '🙂'.repeat(50),
  '%00%2e%2e%2f',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '__proto__',
  'null',
];

describe('OpenAPI fuzz', () => {
  let oidc: OidcServer;
  let h: Harness;
  /** Rate limits and lockout on, and a clock the test moves: 429s and step-up answers too. */
  let strict: Harness;
  const clock = createTestClock();
  let callerAddress = '192.0.2.1';
  let callers = 0;
  let document: Json;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  ajvFormats.default(ajv);
  const validators = new Map<string, ValidateFunction>();

  before(async () => {
    oidc = await startOidcServer();
    h = await createOAuthHarness(oidc);
    const behindProxy = await createOAuthHarness(oidc, {
      config: {
        clock: clock.config,
        rateLimits: { enabled: true },
        lockout: { enabled: true },
        http: { trustedProxyHops: 1 },
      },
    });
    // Each caller comes from an address of its own, so the budgets one caller's requests spend
    // never refuse the sign-ins that set up the next one.
    const auth: Auth = {
      ...behindProxy.auth,
      fetch: (request, env) => {
        request.headers.set('X-Forwarded-For', callerAddress);
        return behindProxy.auth.fetch(request, env);
      },
    };
    strict = harnessAround(auth, behindProxy.mail, () => behindProxy.close());
    const response = await h.get('/openapi.json');
    assert.equal(response.status, 200);
    document = response.body;
    // Limits and clocks change what a request meets, never what the document says.
    assert.equal((await strict.get('/openapi.json')).text, response.text);
    // References in operation schemas point into the document (`#/components/...`).
    ajv.addSchema({ $id: 'openapi', components: document.components });
  });

  after(async () => {
    await h?.close();
    await strict?.close();
    await oidc?.stop();
  });

  function operations(): Operation[] {
    const paths = document.paths as Record<string, Record<string, Operation['spec']>>;
    return Object.entries(paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, spec]) => ({ method: method.toUpperCase(), path, spec })),
    );
  }

  function resolve(schema: Json): Json {
    const ref = schema.$ref;
    if (typeof ref !== 'string') return schema;
    const name = ref.replace('#/components/schemas/', '');
    return resolve((document.components as { schemas: Record<string, Json> }).schemas[name] ?? {});
  }

  /** A validator for a schema of the document, its references pointed at the document. */
  function validatorFor(key: string, schema: Json): ValidateFunction {
    let validate = validators.get(key);
    if (!validate) {
      const pointed = JSON.parse(
        JSON.stringify(schema).replaceAll('"#/components/', '"openapi#/components/'),
      );
      validate = ajv.compile(pointed);
      validators.set(key, validate);
    }
    return validate;
  }

  /** A signed-in admin (so admin routes get past their role check) with a cookie session and an API key. */
  async function newCaller(): Promise<Caller> {
    const owner = await createKeyOwner(h, { roles: ['admin'] });
    const cookie = await signInWithCookie(h, owner.email);
    const { apiKey } = await createApiKey(h, owner.token, { name: 'fuzz', scopes: ['admin'] });
    return { userId: owner.userId, email: owner.email, accessToken: owner.token, cookie, apiKey, hints: {} };
  }

  /**
   * A user with TOTP on, signed in with both factors long enough ago that sensitive routes
   * ask for step-up again; the current code is among the hints (for `code` and `X-2FA-Code`).
   */
  async function newTwoFactorCaller(): Promise<Caller> {
    callers += 1;
    callerAddress = `192.0.2.${callers}`;
    const user = await enableTwoFactor(strict, clock);
    const bearer = await verify(strict, await pendingToken(strict, user), codeAt(clock, user.seed));
    assert.equal(bearer.status, 200, bearer.text);
    clock.advance(TOTP_STEP_MS);
    const cookieLogin = await verify(
      strict,
      await pendingToken(strict, user, { cookie: true }),
      codeAt(clock, user.seed),
      { headers: { Origin: OWN_ORIGIN } },
    );
    assert.equal(cookieLogin.status, 200, cookieLogin.text);
    const cookie = { ...sessionCookieFrom(cookieLogin), csrfToken: cookieLogin.body.csrfToken };
    const { apiKey } = await createApiKey(strict, bearer.body.accessToken, { name: 'fuzz' });
    // Past the step-up window (5 minutes by default): sensitive routes need a code again.
    clock.advance(10 * 60_000);
    const code = fc.constant(codeAt(clock, user.seed));
    return {
      userId: user.userId,
      email: user.email,
      accessToken: bearer.body.accessToken,
      cookie,
      apiKey,
      hints: { code, 'X-2FA-Code': code },
    };
  }

  /** Values valid for `schema`; `hints` offer real values for fields of known names. */
  function valid(
    schema: Json,
    hints: Record<string, fc.Arbitrary<unknown>>,
    depth = 0,
  ): fc.Arbitrary<unknown> {
    const s = resolve(schema);
    if (Array.isArray(s.anyOf)) return fc.oneof(...(s.anyOf as Json[]).map((x) => valid(x, hints, depth)));
    if (Array.isArray(s.oneOf)) return fc.oneof(...(s.oneOf as Json[]).map((x) => valid(x, hints, depth)));
    if (Array.isArray(s.allOf) && s.allOf.length === 1) return valid(s.allOf[0] as Json, hints, depth);
    if ('const' in s) return fc.constant(s.const);
    if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
    switch (s.type) {
      case 'string': {
        if (s.format === 'email') return fc.emailAddress();
        if (s.format === 'date-time') {
          return fc
            .date({
              min: new Date(Date.now() + 86_400_000),
              max: new Date('2030-01-01'),
              noInvalidDate: true,
            })
            .map((d) => d.toISOString());
        }
        if (typeof s.pattern === 'string') return fc.stringMatching(new RegExp(s.pattern));
        const minLength = typeof s.minLength === 'number' ? s.minLength : 0;
        const maxLength = Math.min(typeof s.maxLength === 'number' ? s.maxLength : 64, minLength + 64);
        return fc.string({ minLength, maxLength });
      }
      case 'integer':
        return fc.integer({ min: Number(s.minimum ?? -1000), max: Math.min(Number(s.maximum ?? 1000), 1e9) });
      case 'number':
        return fc.double({ noNaN: true, noDefaultInfinity: true });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return fc.array(valid((s.items as Json) ?? {}, hints, depth + 1), {
          maxLength: Math.min(typeof s.maxItems === 'number' ? s.maxItems : 3, 3),
        });
      case 'object': {
        const properties = (s.properties ?? {}) as Record<string, Json>;
        const required = (s.required ?? []) as string[];
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [name, property] of Object.entries(properties)) {
          const own = valid(property, hints, depth + 1);
          record[name] = hints[name] ? fc.oneof(hints[name], own) : own;
        }
        return fc.record(record, { requiredKeys: required });
      }
      default:
        return fc.jsonValue({ maxDepth: 2 });
    }
  }

  /** Bodies a client could send by mistake or in malice, derived from a valid one. */
  function invalid(
    schema: Json,
    hints: Record<string, fc.Arbitrary<unknown>>,
  ): fc.Arbitrary<[string, unknown]> {
    const s = resolve(schema);
    const properties = Object.keys((s.properties ?? {}) as Json);
    const base = valid(schema, hints).map((v) =>
      typeof v === 'object' && v !== null ? { ...(v as Json) } : {},
    );
    const field = properties.length > 0 ? fc.constantFrom(...properties) : fc.constant('x');
    const odd = fc.oneof(fc.constantFrom(...ODD_STRINGS), fc.string({ unit: 'binary', maxLength: 40 }));
    const nested = (levels: number): unknown => (levels === 0 ? 1 : { a: nested(levels - 1) });
    return fc.oneof<fc.Arbitrary<[string, unknown]>[]>(
      fc.tuple(base, field).map(([v, f]) => {
        delete (v as Json)[f];
        return ['missing field', v] as [string, unknown];
      }),
      fc
        .tuple(base, fc.constantFrom('roles', 'isActive', 'emailVerified', 'extra'))
        .map(([v, f]) => ['unknown field', { ...(v as Json), [f]: true }]),
      fc
        .tuple(base, field, fc.constantFrom(42, true, null, [], {}, 'text', -1.5))
        .map(([v, f, wrong]) => ['wrong type', { ...(v as Json), [f]: wrong }]),
      fc.constantFrom<unknown>([], 'text', 0, true, null, [{}]).map((v) => ['not an object', v]),
      fc
        .tuple(base, field, fc.integer({ min: 300, max: 20_000 }))
        .map(([v, f, n]) => ['huge string', { ...(v as Json), [f]: 'x'.repeat(n) }]),
      fc.tuple(base, field, odd).map(([v, f, text]) => ['odd unicode', { ...(v as Json), [f]: text }]),
      fc.constant<[string, unknown]>(['deep nesting', nested(40)]),
    );
  }

  function raw(): fc.Arbitrary<Body> {
    return fc.oneof(
      fc.constantFrom('{"a":', '{', 'nul', '\u00ff\u00fe', '{"a":1}x', '[1,2', '').map((text) => ({
        kind: 'raw' as const,
        text,
        contentType: 'application/json',
      })),
      fc
        .constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1')
        .map((contentType) => ({ kind: 'raw' as const, text: '{}', contentType })),
      fc.constant({ kind: 'raw' as const, text: '{"a":1}', contentType: null }),
      fc.constant({
        kind: 'raw' as const,
        text: JSON.stringify({ a: 'x'.repeat(20_000) }),
        contentType: 'application/json',
      }),
    );
  }

  function caseFor(operation: Operation, caller: Caller): fc.Arbitrary<RequestCase> {
    const hints: Record<string, fc.Arbitrary<unknown>> = {
      email: fc.constant(caller.email),
      password: fc.constant(GOOD_PASSWORD),
      currentPassword: fc.constant(GOOD_PASSWORD),
      provider: fc.constant(MOCK_PROVIDER),
      id: fc.constantFrom(caller.userId, caller.accessToken.slice(0, 8)),
      ...caller.hints,
    };
    const parameters = operation.spec.parameters ?? [];
    const pathParams = parameters.filter((p) => p.in === 'path');
    const queryParams = parameters.filter((p) => p.in === 'query');
    const headerParams = parameters.filter((p) => p.in === 'header');
    const headers = fc
      .tuple(
        ...headerParams.map((p) =>
          fc.option(
            (p.name in hints
              ? fc.oneof(hints[p.name] as fc.Arbitrary<unknown>, valid(p.schema, hints))
              : valid(p.schema, hints)
            ).map((v): [string, string] => [p.name, String(v)]),
          ),
        ),
      )
      .map((entries) => Object.fromEntries(entries.filter((e): e is [string, string] => e !== null)));
    const anyParam = fc
      .oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }), fc.constantFrom(...ODD_STRINGS))
      .filter((v) => v !== '.' && v !== '..');
    // Path segments as sent on the wire: any text percent-encoded (lone surrogates become
    // U+FFFD, as in any URL), or raw escapes that do not decode to UTF-8.
    const encoded = (value: fc.Arbitrary<string>) =>
      value.map((v) => encodeURIComponent(Buffer.from(v, 'utf8').toString('utf8')));
    const segment = fc.oneof(encoded(anyParam), fc.constantFrom('%ff', '%c0%af', '%00', 'a%2fb', '%25'));
    const params = fc.record(
      Object.fromEntries(
        pathParams.map((p) => [
          p.name,
          hints[p.name] ? fc.oneof(encoded(hints[p.name] as fc.Arbitrary<string>), segment) : segment,
        ]),
      ),
    ) as fc.Arbitrary<Record<string, string>>;
    const validQuery = fc
      .tuple(
        ...queryParams.map((p) => fc.option(valid(p.schema, hints).map((v) => [p.name, String(v)] as const))),
      )
      .map((entries) => entries.filter((e): e is readonly [string, string] => e !== null));
    const query = fc.oneof(
      { weight: 3, arbitrary: validQuery },
      {
        weight: 1,
        arbitrary: fc
          .tuple(validQuery, fc.constantFrom('zz', 'redirectTo', '__proto__'), anyParam)
          .map(([q, k, v]) => [...q, [k, v] as const, [k, v] as const]),
      },
    );
    const bodySchema = operation.spec.requestBody?.content['application/json']?.schema;
    const bodies: fc.Arbitrary<[string, Body]> =
      operation.method === 'GET'
        ? fc.constant(['no body', { kind: 'none' }])
        : bodySchema === undefined
          ? fc.oneof(
              { weight: 3, arbitrary: fc.constant<[string, Body]>(['no body', { kind: 'none' }]) },
              { weight: 1, arbitrary: raw().map((b): [string, Body] => ['unexpected body', b]) },
            )
          : fc.oneof(
              {
                weight: 4,
                arbitrary: valid(bodySchema, hints).map((v): [string, Body] => [
                  'valid body',
                  { kind: 'json', value: v },
                ]),
              },
              {
                weight: 4,
                arbitrary: invalid(bodySchema, hints).map(([label, v]): [string, Body] => [
                  label,
                  { kind: 'json', value: v },
                ]),
              },
              { weight: 1, arbitrary: raw().map((b): [string, Body] => ['raw body', b]) },
              { weight: 1, arbitrary: fc.constant<[string, Body]>(['no body', { kind: 'none' }]) },
            );
    const credential = fc.constantFrom<Credential>(
      'none',
      'bearer',
      'bearer',
      'cookie',
      'cookie',
      'apiKey',
      'garbage',
    );
    return fc
      .record({ credential, params, query, headers, body: bodies })
      .map(({ credential, params, query, headers, body }) => ({
        label: body[0],
        credential,
        params,
        query,
        headers,
        body: body[1],
      }));
  }

  async function sendCase(
    h: Harness,
    operation: Operation,
    c: RequestCase,
    caller: Caller,
  ): Promise<JsonResponse> {
    let path = operation.path;
    for (const [name, value] of Object.entries(c.params)) path = path.replace(`{${name}}`, value);
    const search = new URLSearchParams(c.query.map(([k, v]): [string, string] => [k, v]));
    if (c.query.length > 0) path += `?${search}`;
    const headers: Record<string, string> = { ...c.headers };
    if (c.credential === 'bearer') headers.Authorization = `Bearer ${caller.accessToken}`;
    if (c.credential === 'apiKey') headers.Authorization = `Bearer ${caller.apiKey}`;
    if (c.credential === 'garbage') headers.Authorization = 'Bearer not.a.token';
    if (c.credential === 'cookie') Object.assign(headers, cookieHeaders(caller.cookie, OWN_PAGE));
    if (c.body.kind === 'json')
      return send(h.auth, operation.method, path, { body: JSON.stringify(c.body.value), headers });
    if (c.body.kind === 'raw') {
      if (c.body.contentType !== null) headers['Content-Type'] = c.body.contentType;
      // `send` adds a JSON content type only when none is set; a raw body without one is sent bare.
      const request = new Request(`http://localhost${path}`, {
        method: operation.method,
        headers,
        body: c.body.text,
      });
      if (c.body.contentType === null) request.headers.delete('content-type');
      const response = await h.auth.fetch(request);
      const text = await response.text();
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {}
      return { status: response.status, headers: response.headers, text, body };
    }
    return send(h.auth, operation.method, path, { headers });
  }

  /** Every way `response` departs from what the document says `operation` answers. */
  function discrepancies(operation: Operation, c: RequestCase, response: JsonResponse): string[] {
    const where = `${operation.method} ${operation.path} (${c.label}, ${c.credential}) → ${response.status}`;
    if (response.status >= 500) return [`${where}: a server error: ${response.text.slice(0, 300)}`];
    const documented = operation.spec.responses[String(response.status)];
    if (!documented) return [`${where}: status not documented: ${response.text.slice(0, 300)}`];
    const found: string[] = [];
    const mediaType = response.headers.get('content-type')?.split(';')[0]?.trim() ?? null;
    const content = documented.content ?? {};
    if (Object.keys(content).length === 0) {
      if (response.text !== '') found.push(`${where}: a body where the document has none`);
    } else if (mediaType === null || content[mediaType] === undefined) {
      found.push(`${where}: content type ${mediaType} not documented`);
    } else {
      const schema = content[mediaType]?.schema ?? {};
      const validate = validatorFor(
        `${operation.method} ${operation.path} ${response.status} ${mediaType}`,
        schema,
      );
      if (!validate(response.body)) {
        found.push(
          `${where}: body does not match the schema: ${ajv.errorsText(validate.errors)}: ${response.text.slice(0, 300)}`,
        );
      }
      if (mediaType === 'application/problem+json') {
        const code = response.body?.code;
        if (!(code in ERROR_CATALOGUE)) found.push(`${where}: code ${code} is not in the catalogue`);
        if (response.body?.status !== response.status) found.push(`${where}: problem status differs`);
      }
    }
    const mustHave = [
      ...(response.status === 401 ? ['www-authenticate'] : []),
      ...(response.status === 429 ? ['retry-after'] : []),
      ...(response.status >= 300 && response.status < 400 ? ['location'] : []),
      'x-request-id',
    ];
    for (const header of mustHave) {
      if (!response.headers.has(header)) found.push(`${where}: no ${header} header`);
      const declared = Object.keys(documented.headers ?? {}).map((name) => name.toLowerCase());
      if (!declared.includes(header)) found.push(`${where}: ${header} is sent but not documented`);
    }
    return found;
  }

  /** Sends the cases of every operation; answers the discrepancies found and what was seen. */
  async function fuzz(target: Harness, newCaller: () => Promise<Caller>, seed: number) {
    const deadline = Date.now() + TIME_BUDGET_MS;
    const found: string[] = [];
    const statuses = new Map<string, Set<number>>();
    const codes = new Set<string>();
    let sent = 0;
    for (const [index, operation] of operations().entries()) {
      const caller = await newCaller();
      const cases = fc.sample(caseFor(operation, caller), {
        seed: seed + index,
        numRuns: CASES_PER_OPERATION,
      });
      for (const c of cases) {
        assert.ok(Date.now() < deadline, 'the fuzz run stays within its time budget');
        const response = await sendCase(target, operation, c, caller);
        sent += 1;
        found.push(...discrepancies(operation, c, response));
        if (typeof response.body?.code === 'string') codes.add(response.body.code);
        const key = `${operation.method} ${operation.path}`;
        statuses.set(key, (statuses.get(key) ?? new Set()).add(response.status));
      }
    }
    if (process.env.FUZZ_REPORT) for (const [k, v] of statuses) console.log(k, [...v].sort().join(' '));
    assert.deepEqual(found, [], `${found.length} discrepancies in ${sent} requests`);
    assert.ok(sent >= operations().length * CASES_PER_OPERATION, `sent ${sent} requests`);
    return { statuses, codes };
  }

  it('openapi fuzz - every operation answers only documented statuses, bodies and headers', async () => {
    const { statuses } = await fuzz(h, newCaller, SEED);
    // The run reached past the input checks: most operations answered a success.
    const succeeded = [...statuses.values()].filter((set) => [...set].some((s) => s < 400)).length;
    assert.ok(succeeded >= operations().length / 3, `${succeeded} operations answered a success`);
  });

  it('openapi fuzz - the same holds with rate limits, lockout and step-up in play', async () => {
    const { codes } = await fuzz(strict, newTwoFactorCaller, SEED + 10_000);
    // Met, not only documented.
    for (const code of [
      'STEP_UP_REQUIRED',
      'TWO_FACTOR_CODE_INVALID',
      'CSRF_FAILED',
      'PASSWORD_SESSION_REQUIRED',
    ]) {
      assert.ok(codes.has(code), `${code} was answered`);
    }
    // And a burst past a budget: every answer, the 429s included, is as documented.
    const login = operations().find((o) => o.method === 'POST' && o.path === '/auth/login');
    assert.ok(login);
    const caller = await newTwoFactorCaller();
    const answers: JsonResponse[] = [];
    for (let attempt = 0; attempt < 12; attempt += 1) {
      answers.push(await strict.post('/auth/login', { email: caller.email, password: 'wrong password 1' }));
    }
    const burst: RequestCase = {
      label: 'burst',
      credential: 'none',
      params: {},
      query: [],
      headers: {},
      body: { kind: 'none' },
    };
    assert.deepEqual(
      answers.flatMap((a) => discrepancies(login, burst, a)),
      [],
    );
    const limited = answers.filter((a) => a.status === 429);
    assert.ok(limited.length > 0, 'the burst ran into the limit');
    for (const answer of limited) assert.ok(answer.headers.get('retry-after'));
  });
});
