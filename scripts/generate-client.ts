/**
 * Writes src/client/generated/routes.ts: the typed operations of `gatehouse/client` and the small
 * run-time manifest its methods are built from.
 *
 *   npm run generate:client
 *
 * The source is the route table itself, as the fully configured instance serves it at
 * `GET /openapi.json` (every feature on, see test/fixtures/openapi-document.ts): that document
 * is what the OpenAPI builder derives from each route (the zod schemas as JSON Schema, the
 * success responses, the route's error codes and the implicit ones of its kind), so nothing
 * here repeats that derivation. JSON Schema becomes TypeScript with json-schema-to-typescript;
 * biome formats the result like the rest of the tree. A test fails when the file is stale.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { compile, type JSONSchema } from 'json-schema-to-typescript';
import { everyFeatureOpenApiText } from '../test/fixtures/openapi-document.ts';

/** Where the generated module lives. */
export const GENERATED_CLIENT_FILE = resolve(import.meta.dirname, '../src/client/generated/routes.ts');

type Json = { [key: string]: unknown };

/** One operation as the client sees it. */
export interface ClientOperation {
  readonly operationId: string;
  readonly method: string;
  /** Route path with `:name` parameters. */
  readonly path: string;
  /** Dotted method name on the client (`users.me.sessions.revoke`). */
  readonly name: string;
}

const METHOD_VERBS: Readonly<Record<string, string>> = {
  GET: 'get',
  POST: 'create',
  PUT: 'replace',
  PATCH: 'update',
  DELETE: 'delete',
};
/** Leading words of an operationId that name what a resource operation does. */
const OPERATION_VERBS = new Set(['get', 'list', 'create', 'update', 'replace', 'delete', 'revoke', 'unlink']);
/** Path segments whose camelCase form would not be an identifier. */
const SEGMENT_ALIASES: Readonly<Record<string, string>> = { '2fa': 'twoFactor' };
/** Names the client itself puts at the top level; a route namespace must not take them. */
export const RESERVED_TOP_LEVEL = new Set(['session', 'oauth', 'request', 'signIn', 'signOut', 'transport']);

/** `change-password` → `changePassword`, `.well-known` → `wellKnown`, `jwks.json` → `jwks`. */
export function segmentName(segment: string): string {
  const alias = SEGMENT_ALIASES[segment];
  if (alias !== undefined) return alias;
  const bare = segment.replace(/^\.+/, '').replace(/\.json$/, '');
  return bare.replace(/[-_.]+([A-Za-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * The naming rule (docs/CLIENT.md): the path's literal segments, camelCased, are the namespace;
 * a POST-only path ending in a literal segment is an action named by that segment
 * (`POST /auth/login` → `auth.login`); any other operation is named by the operationId's verb
 * when it has one of {@link OPERATION_VERBS} (after a first word repeating the path's first
 * segment, `adminListApiKeys`), else by its HTTP method (GET → get, POST → create, …).
 */
export function clientName(
  operation: { operationId: string; method: string; path: string },
  methodsAtPath: readonly string[],
): string {
  const rawSegments = operation.path.split('/').filter((s) => s !== '');
  const literals = rawSegments.filter((s) => !s.startsWith(':')).map(segmentName);
  const last = rawSegments.at(-1) ?? '';
  const isAction =
    operation.method === 'POST' &&
    rawSegments.length > 0 &&
    !last.startsWith(':') &&
    methodsAtPath.every((m) => m === 'POST');
  if (isAction) return literals.join('.');
  const words = operation.operationId.split(/(?=[A-Z])/).map((w) => w.toLowerCase());
  if (words[0] === literals[0]?.toLowerCase()) words.shift();
  const verb = OPERATION_VERBS.has(words[0] ?? '') ? words[0] : METHOD_VERBS[operation.method];
  return [...literals, verb].join('.');
}

const pascal = (id: string): string => id.charAt(0).toUpperCase() + id.slice(1);

async function typeFor(schema: Json, name: string): Promise<string> {
  const text = await compile(schema as JSONSchema, name, {
    bannerComment: '',
    format: false,
    additionalProperties: false,
    strictIndexSignatures: true,
  });
  return text.trim();
}

function objectOf(properties: Json, required: string[]): Json {
  return { type: 'object', properties, required, additionalProperties: false };
}

function jsonSchemaOf(content: unknown): Json | undefined {
  const media = (content as Json | undefined)?.['application/json'] as Json | undefined;
  return media?.schema as Json | undefined;
}

function errorCodesOf(responses: Record<string, Json>): string[] {
  const codes: string[] = [];
  for (const [status, response] of Object.entries(responses)) {
    if (Number(status) < 400) continue;
    const problem = (response.content as Json)['application/problem+json'] as Json;
    const code = ((problem.schema as Json).properties as Json).code as { enum: string[] };
    for (const c of code.enum) if (!codes.includes(c)) codes.push(c);
  }
  return codes;
}

interface TreeNode {
  leaf?: string;
  children: Map<string, TreeNode>;
}

function treeType(node: TreeNode, indent: string): string {
  const members = [...node.children].map(([key, child]) => {
    const nested = child.children.size > 0 ? treeType(child, `${indent}  `) : undefined;
    const leaf = child.leaf === undefined ? undefined : `M['${child.leaf}']`;
    const value = leaf && nested ? `${leaf} & ${nested}` : (leaf ?? nested);
    return `${indent}  readonly ${key}: ${value};`;
  });
  return `{\n${members.join('\n')}\n${indent}}`;
}

/** The operations of a document, named by {@link clientName}; throws on a clash. */
export function clientOperations(document: Json): ClientOperation[] {
  const paths = document.paths as Record<string, Record<string, Json>>;
  const operations: ClientOperation[] = [];
  const names = new Set<string>();
  for (const [openApiPath, byMethod] of Object.entries(paths)) {
    const path = openApiPath.replace(/\{([^}]+)\}/g, ':$1');
    const methods = Object.keys(byMethod).map((m) => m.toUpperCase());
    for (const [method, op] of Object.entries(byMethod)) {
      const operation = { operationId: String(op.operationId), method: method.toUpperCase(), path };
      const name = clientName(operation, methods);
      if (names.has(name)) throw new Error(`Two operations map to client.${name}`);
      if (RESERVED_TOP_LEVEL.has(name.split('.')[0] ?? '')) {
        throw new Error(`client.${name} would hide a method of the client itself`);
      }
      names.add(name);
      operations.push({ ...operation, name });
    }
  }
  return operations;
}

/** The text of src/client/generated/routes.ts for an OpenAPI document (unformatted). */
export async function generateClientSource(document: Json): Promise<string> {
  const paths = document.paths as Record<string, Record<string, Json>>;
  const operations = clientOperations(document);
  const declarations: string[] = [];
  const entries: string[] = [];
  const manifest: string[] = [];
  const root: TreeNode = { children: new Map() };
  for (const operation of operations) {
    const op = paths[operation.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')]?.[
      operation.method.toLowerCase()
    ] as Json;
    const base = pascal(operation.operationId);
    const parameters = (op.parameters ?? []) as Json[];
    const inputParts: string[] = [];
    const pathParams = parameters.filter((p) => p.in === 'path').map((p) => String(p.name));
    if (pathParams.length > 0)
      inputParts.push(`{ ${pathParams.map((p) => `readonly ${p}: string;`).join(' ')} }`);
    const query = parameters.filter((p) => p.in === 'query');
    if (query.length > 0) {
      const properties = Object.fromEntries(query.map((p) => [p.name, p.schema]));
      const required = query.filter((p) => p.required).map((p) => String(p.name));
      declarations.push(await typeFor(objectOf(properties, required), `${base}Query`));
      inputParts.push(`${base}Query`);
    }
    const requestBody = op.requestBody as Json | undefined;
    const bodySchema = jsonSchemaOf(requestBody?.content);
    if (bodySchema !== undefined) {
      declarations.push(await typeFor(bodySchema, `${base}Body`));
      inputParts.push(requestBody?.required ? `${base}Body` : `Partial<${base}Body>`);
    }
    if (query.length > 0 && bodySchema !== undefined) {
      throw new Error(
        `${operation.operationId} reads both a query and a body; the client sends one or the other`,
      );
    }
    const inputRequired =
      pathParams.length > 0 || Boolean(requestBody?.required) || query.some((p) => p.required);
    const args =
      inputParts.length === 0 ? '[]' : `[input${inputRequired ? '' : '?'}: ${inputParts.join(' & ')}]`;
    const responses = op.responses as Record<string, Json>;
    const dataTypes: string[] = [];
    for (const [status, response] of Object.entries(responses)) {
      if (Number(status) >= 300) continue;
      const schema = jsonSchemaOf(response.content);
      if (schema === undefined) {
        dataTypes.push('null');
        continue;
      }
      declarations.push(await typeFor(schema, `${base}Response${status}`));
      dataTypes.push(`${base}Response${status}`);
    }
    if (dataTypes.length === 0) dataTypes.push('null');
    const codes = errorCodesOf(responses).map((c) => `'${c}'`);
    entries.push(
      `  readonly ${operation.operationId}: {\n` +
        `    readonly method: '${operation.method}';\n` +
        `    readonly path: '${operation.path}';\n` +
        `    readonly args: ${args};\n` +
        `    readonly data: ${[...new Set(dataTypes)].join(' | ')};\n` +
        `    readonly errorCode: ${codes.join(' | ')};\n` +
        '  };',
    );
    // 1: the route reads a JSON body; 2: it needs a credential (a non-empty `security`); 4: it reads a query.
    const flags =
      (bodySchema === undefined ? 0 : 1) |
      ((op.security as unknown[]).length > 0 ? 2 : 0) |
      (query.length > 0 ? 4 : 0);
    manifest.push(
      `  ['${operation.operationId}', '${operation.method}', '${operation.path}', '${operation.name}', ${flags}],`,
    );
    let node = root;
    for (const key of operation.name.split('.')) {
      let child = node.children.get(key);
      if (child === undefined) {
        child = { children: new Map() };
        node.children.set(key, child);
      }
      node = child;
    }
    node.leaf = operation.operationId;
  }
  return [
    '/**',
    ' * Generated by `npm run generate:client` from the route table (the document of an instance with',
    ' * every feature on). Do not edit: change the routes and regenerate; a test fails when this is stale.',
    ' *',
    ' * @module',
    ' */',
    '',
    ...declarations.map((d) => `${d}\n`),
    '/** Every operation: its input (path parameters, query and body in one object), success data and error codes. */',
    `export interface Operations {\n${entries.join('\n')}\n}`,
    '',
    '/** The id of an operation (its OpenAPI operationId). */',
    'export type OperationId = keyof Operations;',
    '',
    "/** The client's method tree: `M[id]` at the place the naming rule puts each operation. */",
    `export type RouteTree<M extends { readonly [K in OperationId]: unknown }> = ${treeType(root, '')};`,
    '',
    '/** [operationId, method, path, dotted client name, flags: 1 reads a JSON body, 2 needs a credential, 4 reads a query]. */',
    'export type RouteEntry = readonly [OperationId, string, string, string, number];',
    '',
    '/** The run-time manifest the client builds its methods from. */',
    `export const ROUTES: readonly RouteEntry[] = [\n${manifest.join('\n')}\n];`,
    '',
  ].join('\n');
}

/** Formats TypeScript source the way the tree's biome configuration does. */
function format(source: string): string {
  return execFileSync(
    resolve(import.meta.dirname, '../node_modules/.bin/biome'),
    ['format', `--stdin-file-path=${GENERATED_CLIENT_FILE}`],
    { input: source, encoding: 'utf8', cwd: resolve(import.meta.dirname, '..') },
  );
}

/** The exact text the generated module should have now. */
export async function generatedClientModule(): Promise<string> {
  const document = JSON.parse(await everyFeatureOpenApiText()) as Json;
  return format(await generateClientSource(document));
}

if (import.meta.main) {
  writeFileSync(GENERATED_CLIENT_FILE, await generatedClientModule());
  console.log(`wrote ${GENERATED_CLIENT_FILE}`);
}
