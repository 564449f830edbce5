import { z } from 'zod';
import { CORE_ERROR_CODES, type ErrorCatalogue } from '../core/errors/index.ts';
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
  /** Name of the session cookie, when cookie sessions authenticate routes too. */
  readonly sessionCookieName?: string;
}

const PROBLEM_REF = '#/components/schemas/Problem';

/**
 * The error codes any request to this route may meet, besides the route's own `errorCodes`.
 * Kept next to the document so that the document and the request pipeline (app.ts) agree.
 */
export function implicitErrorCodes(route: RouteDefinition): string[] {
  const codes: string[] = [];
  if (route.method !== 'GET') codes.push('PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE');
  if (route.body !== undefined) codes.push('MALFORMED_BODY');
  if (route.body !== undefined || route.query !== undefined) codes.push('VALIDATION_FAILED');
  if (needsPrincipal(route)) codes.push('UNAUTHENTICATED', 'INVALID_TOKEN');
  if (route.roles?.length) codes.push('INSUFFICIENT_ROLES');
  if (route.rateLimit) codes.push('RATE_LIMITED');
  codes.push('INTERNAL', 'SERVICE_UNAVAILABLE');
  return codes;
}

function needsPrincipal(route: RouteDefinition): boolean {
  return route.auth === 'required' || Boolean(route.roles?.length) || route.stepUp === true;
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
  const components = new SchemaComponents();
  components.add('Problem', toJsonSchema(problemSchema, 'output'));
  const paths: Record<string, Record<string, unknown>> = {};
  // Alternatives (OpenAPI: any one requirement object suffices): bearer, or the session cookie.
  const security: JsonObject[] = [{ bearer: [] }];
  if (input.sessionCookieName !== undefined) security.push({ sessionCookie: [] });
  for (const route of input.routes) {
    const pathKey = toOpenApiPath(route.path);
    paths[pathKey] ??= {};
    paths[pathKey][route.method.toLowerCase()] = operationFor(route, input.catalogue, components, security);
  }
  const info: JsonObject = { title: input.info.title, version: input.info.version };
  if (input.info.description !== undefined) info.description = input.info.description;
  const document: JsonObject = { openapi: '3.1.0', info };
  if (input.basePath !== '') document.servers = [{ url: input.basePath }];
  document.paths = paths;
  document.components = {
    schemas: components.schemas,
    headers: {
      'X-Request-Id': {
        description: 'Echo of a sane incoming X-Request-Id, or a generated id.',
        schema: { type: 'string' },
      },
      'Retry-After': {
        description: 'Seconds to wait before retrying.',
        schema: { type: 'integer', minimum: 1 },
      },
      'WWW-Authenticate': { description: 'Bearer challenge (RFC 6750).', schema: { type: 'string' } },
    },
    securitySchemes: {
      bearer: {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'Access token from POST /auth/login (a JWT, or an opaque token when so configured).',
      },
      ...(input.sessionCookieName === undefined
        ? {}
        : {
            sessionCookie: {
              type: 'apiKey',
              in: 'cookie',
              name: input.sessionCookieName,
              description:
                'Session cookie from POST /auth/session. Unsafe methods also need the X-CSRF-Token header and an allowed Origin.',
            },
          }),
    },
  };
  return document;
}

function operationFor(
  route: RouteDefinition,
  catalogue: ErrorCatalogue,
  components: SchemaComponents,
  security: readonly JsonObject[],
): JsonObject {
  const operation: JsonObject = { operationId: route.operationId, summary: route.summary };
  if (route.description !== undefined) operation.description = route.description;
  if (route.tags !== undefined && route.tags.length > 0) operation.tags = [...route.tags];
  if (needsPrincipal(route)) operation.security = security.map((requirement) => ({ ...requirement }));
  const parameters = [
    ...parseRoutePath(route.path).paramNames.map((name) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    })),
    ...(route.query === undefined ? [] : queryParameters(route.query, components)),
  ];
  if (parameters.length > 0) operation.parameters = parameters;
  if (route.body !== undefined) {
    operation.requestBody = {
      required: !route.body.safeParse(undefined).success,
      content: { 'application/json': { schema: components.inline(toJsonSchema(route.body, 'input')) } },
    };
  }
  const responses: Record<string, JsonObject> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    const response: JsonObject = {
      description: spec.description,
      headers: { 'X-Request-Id': headerRef('X-Request-Id') },
    };
    if (spec.schema !== undefined) {
      response.content = {
        'application/json': { schema: components.inline(toJsonSchema(spec.schema, 'output')) },
      };
    }
    responses[status] = response;
  }
  for (const [status, codes] of errorCodesByStatus(route, catalogue)) {
    responses[String(status)] = errorResponseFor(
      status,
      codes,
      responses[String(status)]?.description as string | undefined,
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

function errorCodesByStatus(route: RouteDefinition, catalogue: ErrorCatalogue): Map<number, string[]> {
  const byStatus = new Map<number, string[]>();
  for (const code of [...implicitErrorCodes(route), ...(route.errorCodes ?? [])]) {
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
  status: number,
  codes: readonly string[],
  description: string | undefined,
): JsonObject {
  const headers: JsonObject = { 'X-Request-Id': headerRef('X-Request-Id') };
  if (status === 429 || status === 503) headers['Retry-After'] = headerRef('Retry-After');
  if (status === 401) headers['WWW-Authenticate'] = headerRef('WWW-Authenticate');
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

function headerRef(name: string): JsonObject {
  return { $ref: `#/components/headers/${name}` };
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
