import { z } from 'zod';
import { CORE_ERROR_CODES, type ErrorCatalogue, type GatehouseErrorCode } from '../core/errors/index.ts';
import { isUnsafeMethod } from './csrf.ts';
import { PROBLEM_CONTENT_TYPE, problemSchema } from './problem.ts';
import { parseRoutePath, type RouteDefinition, toOpenApiPath } from './route.ts';

/** A JSON Schema or OpenAPI object, as plain JSON. */
export type JsonObject = { [key: string]: unknown };

/** The document's `info` object. */
export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

/** What {@link buildOpenApiDocument} needs: the full route table and the catalogue its codes come from. */
export interface OpenApiDocumentInput {
  readonly routes: readonly RouteDefinition[];
  readonly catalogue: ErrorCatalogue;
  readonly info: OpenApiInfo;
  /** Mount point of the routes; becomes the single server URL. */
  readonly basePath: string;
  /** Name of the session cookie, when cookie sessions authenticate routes too (ignored with `pipeline`). */
  readonly sessionCookieName?: string;
  /** What the request pipeline around the routes may answer. @default {@link defaultPipeline} */
  readonly pipeline?: PipelineFacts;
}

/** A credential the app's authenticator accepts, as the document describes it. */
export interface CredentialScheme {
  /** Its key in `components.securitySchemes`. */
  readonly name: string;
  /** The OpenAPI Security Scheme Object. */
  readonly scheme: JsonObject;
  /** `cookie`: unsafe methods also need the CSRF token and an allowed origin (403 `CSRF_FAILED`). */
  readonly transport: 'bearer' | 'cookie';
  /** An API key: refused on `sessionOnly` routes (403 `PASSWORD_SESSION_REQUIRED`), so not offered there. */
  readonly apiKey?: true;
  /**
   * Codes a request presenting this credential may get while it is checked: the 401s of a bad
   * one, and any other (a signed request's body is read, so 400 and 413 too).
   */
  readonly errorCodes: readonly GatehouseErrorCode[];
}

/**
 * What the pipeline around every route (authentication, CSRF, step-up, counting refused
 * credentials) may answer. The document derives each operation's statuses from these and
 * the route's own declaration, so a route never has to list what every route of its kind gets.
 */
export interface PipelineFacts {
  readonly credentials: readonly CredentialScheme[];
  /** Codes a `stepUp` route may get from the step-up check. */
  readonly stepUpErrorCodes: readonly string[];
  /** Refused credentials are counted per address: an authenticated route may answer 429. */
  readonly authFailuresLimited: boolean;
  /** Header carrying a fresh second-factor code on `stepUp` routes, documented as a parameter. */
  readonly stepUpCodeHeader?: string;
}

/**
 * The bearer access token, and the session cookie when one is named: the credentials the HTTP
 * layer knows of by itself. Both get 401 `INVALID_TOKEN` when presented and not valid.
 */
export function defaultCredentialSchemes(sessionCookieName?: string): CredentialScheme[] {
  const schemes: CredentialScheme[] = [
    {
      name: 'bearer',
      transport: 'bearer',
      errorCodes: ['INVALID_TOKEN'],
      scheme: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'Access token from POST /auth/login (a JWT, or an opaque token when so configured), in `Authorization: Bearer`.',
      },
    },
  ];
  if (sessionCookieName !== undefined) {
    schemes.push({
      name: 'sessionCookie',
      transport: 'cookie',
      errorCodes: ['INVALID_TOKEN'],
      scheme: {
        type: 'apiKey',
        in: 'cookie',
        name: sessionCookieName,
        description:
          'Session cookie from POST /auth/session. Looked at only without an Authorization header. ' +
          'POST, PUT, PATCH and DELETE also need the X-CSRF-Token header and an allowed Origin (else 403 CSRF_FAILED).',
      },
    });
  }
  return schemes;
}

/** The pipeline of an app with the default credentials, a step-up check, and no failure counting. */
export function defaultPipeline(sessionCookieName?: string): PipelineFacts {
  return {
    credentials: defaultCredentialSchemes(sessionCookieName),
    stepUpErrorCodes: ['STEP_UP_REQUIRED'],
    authFailuresLimited: false,
  };
}

const PROBLEM_REF = '#/components/schemas/Problem';

/**
 * The error codes any request to this route may meet, besides the route's own `errorCodes`,
 * in the order the pipeline (app.ts) may answer them. Kept next to the document so that the
 * document and the pipeline agree: a new route of a known kind is documented fully without
 * listing anything.
 */
export function implicitErrorCodes(
  route: RouteDefinition,
  pipeline: PipelineFacts = defaultPipeline(),
): string[] {
  const codes: string[] = [];
  if (needsPrincipal(route)) {
    codes.push('UNAUTHENTICATED');
    for (const credential of pipeline.credentials) {
      codes.push(...credential.errorCodes);
      if (credential.transport === 'cookie' && isUnsafeMethod(route.method)) codes.push('CSRF_FAILED');
    }
    if (pipeline.authFailuresLimited) codes.push('RATE_LIMITED');
    if (route.roles?.length) codes.push('INSUFFICIENT_ROLES');
    if (route.sessionOnly && pipeline.credentials.some((c) => c.apiKey))
      codes.push('PASSWORD_SESSION_REQUIRED');
    if (route.cookieOnly) codes.push('FORBIDDEN');
  }
  if (route.method !== 'GET') codes.push('PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
  if (route.body !== undefined) codes.push('MALFORMED_BODY');
  if (route.body !== undefined || route.query !== undefined) codes.push('VALIDATION_FAILED');
  if (route.rateLimit) codes.push('RATE_LIMITED');
  if (route.stepUp) codes.push(...pipeline.stepUpErrorCodes);
  codes.push('INTERNAL');
  // Checking a credential reads the shared stores, so every authenticated route may meet 503.
  if (!route.storeFree || needsPrincipal(route)) codes.push('SERVICE_UNAVAILABLE');
  return codes;
}

/** Whether the route runs the authenticator (and so can be called only with a credential). */
export function needsPrincipal(route: RouteDefinition): boolean {
  return (
    route.auth === 'required' ||
    Boolean(route.roles?.length) ||
    route.stepUp === true ||
    route.cookieOnly === true
  );
}

/** The credentials a route accepts: cookie-only routes the cookie, session-only ones no API key. */
function credentialsFor(route: RouteDefinition, pipeline: PipelineFacts): CredentialScheme[] {
  return pipeline.credentials.filter(
    (credential) =>
      (!route.cookieOnly || credential.transport === 'cookie') && (!route.sessionOnly || !credential.apiKey),
  );
}

/**
 * Converts a zod schema to JSON Schema 2020-12 (the dialect of OpenAPI 3.1). Types without a
 * JSON Schema equivalent become `{}` rather than failing assembly.
 */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonObject;
  delete json.$schema;
  return json;
}

/**
 * Builds the OpenAPI 3.1 document of a route table: operations, parameters, request bodies
 * and success responses from the zod schemas, and one problem+json response per error status
 * listing the codes it may carry. Shared sub-schemas that zod extracts (`$defs`, e.g. from
 * `.meta({ id })`) are moved to `components.schemas`.
 *
 * @see https://spec.openapis.org/oas/v3.1.0
 */
export function buildOpenApiDocument(input: OpenApiDocumentInput): JsonObject {
  const pipeline = input.pipeline ?? defaultPipeline(input.sessionCookieName);
  const components = new SchemaComponents();
  components.add('Problem', toJsonSchema(problemSchema, 'output'));
  const headers = new UsedHeaders();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of input.routes) {
    const pathKey = toOpenApiPath(route.path);
    paths[pathKey] ??= {};
    paths[pathKey][route.method.toLowerCase()] = operationFor(route, {
      catalogue: input.catalogue,
      components,
      headers,
      pipeline,
    });
  }
  const info: JsonObject = { title: input.info.title, version: input.info.version };
  if (input.info.description !== undefined) info.description = input.info.description;
  return {
    openapi: '3.1.0',
    info,
    servers: [{ url: input.basePath === '' ? '/' : input.basePath }],
    paths,
    components: {
      schemas: components.schemas,
      headers: headers.definitions(),
      securitySchemes: Object.fromEntries(pipeline.credentials.map((c) => [c.name, c.scheme])),
    },
  };
}

interface DocumentParts {
  readonly catalogue: ErrorCatalogue;
  readonly components: SchemaComponents;
  readonly headers: UsedHeaders;
  readonly pipeline: PipelineFacts;
}

function operationFor(route: RouteDefinition, parts: DocumentParts): JsonObject {
  const { components, headers, pipeline } = parts;
  const operation: JsonObject = { operationId: route.operationId, summary: route.summary };
  if (route.description !== undefined) operation.description = route.description;
  if (route.tags !== undefined && route.tags.length > 0) operation.tags = [...route.tags];
  // Alternatives (any one requirement object suffices); an empty list marks a public operation.
  operation.security = needsPrincipal(route)
    ? credentialsFor(route, pipeline).map((credential) => ({ [credential.name]: [] }))
    : [];
  const parameters: JsonObject[] = [
    ...parseRoutePath(route.path).paramNames.map((name) => ({
      name,
      in: 'path',
      required: true,
      // `.` and `..` are dot segments: URL parsing removes them, so they never reach a route.
      schema: { type: 'string', minLength: 1, not: { enum: ['.', '..'] } },
    })),
    ...(route.query === undefined ? [] : queryParameters(route.query, components)),
  ];
  if (route.stepUp && pipeline.stepUpCodeHeader !== undefined) {
    parameters.push({
      name: pipeline.stepUpCodeHeader,
      in: 'header',
      required: false,
      description: 'A current second-factor code, when the session has not verified one recently (step-up).',
      schema: { type: 'string', minLength: 1, maxLength: 64 },
    });
  }
  if (parameters.length > 0) operation.parameters = parameters;
  if (route.body !== undefined) {
    operation.requestBody = {
      required: !route.body.safeParse(undefined).success,
      content: { 'application/json': { schema: components.inline(toJsonSchema(route.body, 'input')) } },
    };
  }
  // Rate-limited routes send their budget on every answer, refusals included.
  const everyResponse = (): JsonObject => ({
    'X-Request-Id': headers.ref('X-Request-Id'),
    ...(route.rateLimit
      ? { 'RateLimit-Policy': headers.ref('RateLimit-Policy'), RateLimit: headers.ref('RateLimit') }
      : {}),
  });
  const responses: Record<string, JsonObject> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const responseHeaders = everyResponse();
    if (status.startsWith('3')) responseHeaders.Location = headers.ref('Location');
    const response: JsonObject = { description: spec.description, headers: responseHeaders };
    if (spec.schema !== undefined) {
      response.content = {
        'application/json': { schema: components.inline(toJsonSchema(spec.schema, 'output')) },
      };
    }
    responses[status] = response;
  }
  for (const [status, codes] of errorCodesByStatus(route, parts.catalogue, pipeline)) {
    const responseHeaders = everyResponse();
    if (status === 429 || status === 503) responseHeaders['Retry-After'] = headers.ref('Retry-After');
    if (status === 401) responseHeaders['WWW-Authenticate'] = headers.ref('WWW-Authenticate');
    responses[String(status)] = errorResponseFor(
      codes,
      responses[String(status)]?.description as string | undefined,
      responseHeaders,
    );
  }
  operation.responses = responses;
  return operation;
}

function queryParameters(query: z.ZodType, components: SchemaComponents): JsonObject[] {
  const json = components.inline(toJsonSchema(query, 'input'));
  const properties = json.properties;
  if (json.type !== 'object' || typeof properties !== 'object' || properties === null) return [];
  const required = Array.isArray(json.required) ? json.required : [];
  return Object.entries(properties).map(([name, schema]) => ({
    name,
    in: 'query',
    required: required.includes(name),
    schema,
  }));
}

function errorCodesByStatus(
  route: RouteDefinition,
  catalogue: ErrorCatalogue,
  pipeline: PipelineFacts,
): Map<number, string[]> {
  const byStatus = new Map<number, string[]>();
  for (const code of [...implicitErrorCodes(route, pipeline), ...(route.errorCodes ?? [])]) {
    const spec = catalogue[code] ?? CORE_ERROR_CODES[code as keyof typeof CORE_ERROR_CODES];
    if (spec === undefined)
      throw new TypeError(`Route ${route.operationId} lists unknown error code ${code}`);
    const codes = byStatus.get(spec.status) ?? [];
    if (!codes.includes(code)) codes.push(code);
    byStatus.set(spec.status, codes);
  }
  return new Map([...byStatus].sort(([a], [b]) => a - b));
}

function errorResponseFor(
  codes: readonly string[],
  description: string | undefined,
  headers: JsonObject,
): JsonObject {
  return {
    description: description ?? `Problem details; code is one of: ${codes.join(', ')}.`,
    headers,
    content: {
      [PROBLEM_CONTENT_TYPE]: {
        schema: { allOf: [{ $ref: PROBLEM_REF }], properties: { code: { enum: [...codes] } } },
      },
    },
  };
}

/** Response headers the document describes once in `components.headers`. */
const HEADER_DEFINITIONS: Readonly<Record<string, JsonObject>> = {
  'X-Request-Id': {
    description: 'Echo of a sane incoming X-Request-Id, or a generated id.',
    schema: { type: 'string' },
  },
  'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 1 } },
  'WWW-Authenticate': {
    description: 'Bearer challenge (RFC 6750); `error="invalid_token"` when a credential was presented.',
    schema: { type: 'string' },
  },
  Location: { description: 'Where to send the browser.', schema: { type: 'string' } },
  'RateLimit-Policy': {
    description: 'The budget of this route: `<limit>;w=<window seconds>` (IETF RateLimit fields draft).',
    schema: { type: 'string' },
  },
  RateLimit: {
    description: 'What is left of it: `limit=<n>, remaining=<n>, reset=<seconds>`.',
    schema: { type: 'string' },
  },
};

/** The component headers operations refer to; only those are put in the document. */
class UsedHeaders {
  readonly #used = new Set<string>();

  ref(name: string): JsonObject {
    if (HEADER_DEFINITIONS[name] === undefined) throw new TypeError(`No definition for header ${name}`);
    this.#used.add(name);
    return { $ref: `#/components/headers/${name}` };
  }

  definitions(): Record<string, JsonObject> {
    return Object.fromEntries(
      Object.keys(HEADER_DEFINITIONS)
        .filter((name) => this.#used.has(name))
        .map((name) => [name, HEADER_DEFINITIONS[name] as JsonObject]),
    );
  }
}

/**
 * `components.schemas` under construction. Each converted schema's `$defs` are hoisted here and
 * its `#/$defs/…` references rewritten; a name already taken by a different schema gets a
 * numeric suffix so two routes can never overwrite each other's definitions.
 */
class SchemaComponents {
  readonly schemas: Record<string, JsonObject> = {};
  /** The definition as zod emitted it (before reference rewriting), to recognise repeats. */
  readonly #emitted = new Map<string, string>();

  /** Registers a definition under `name` (or a free variant of it) and returns the name used. */
  add(name: string, schema: JsonObject): string {
    return this.#claim(name, JSON.stringify(schema), () => schema);
  }

  inline(schema: JsonObject): JsonObject {
    const defs = schema.$defs;
    if (typeof defs !== 'object' || defs === null) return schema;
    delete schema.$defs;
    const entries = Object.entries(defs as Record<string, JsonObject>);
    // Every name is settled before any reference is rewritten, so definitions that refer to
    // each other all point at the final names.
    const renamed = new Map<string, string>();
    const pending: [string, JsonObject][] = [];
    for (const [name, def] of entries) {
      let fresh = false;
      const finalName = this.#claim(name, JSON.stringify(def), () => {
        fresh = true;
        return {};
      });
      renamed.set(name, finalName);
      if (fresh) pending.push([finalName, def]);
    }
    for (const [finalName, def] of pending) this.schemas[finalName] = rewriteRefs(def, renamed) as JsonObject;
    return rewriteRefs(schema, renamed) as JsonObject;
  }

  #claim(name: string, emitted: string, create: () => JsonObject): string {
    let candidate = name;
    for (let suffix = 2; ; suffix += 1) {
      const existing = this.#emitted.get(candidate);
      if (existing === undefined) {
        this.#emitted.set(candidate, emitted);
        this.schemas[candidate] = create();
        return candidate;
      }
      if (existing === emitted) return candidate;
      candidate = `${name}${suffix}`;
    }
  }
}

function rewriteRefs(value: unknown, renamed: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((item) => rewriteRefs(item, renamed));
  if (typeof value !== 'object' || value === null) return value;
  const result: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (key === '$ref' && typeof item === 'string' && item.startsWith('#/$defs/')) {
      const name = item.slice('#/$defs/'.length);
      result[key] = `#/components/schemas/${renamed.get(name) ?? name}`;
    } else {
      result[key] = rewriteRefs(item, renamed);
    }
  }
  return result;
}
