/**
 * Kysely on PostgreSQL through `pg`, a peer dependency loaded only when a PostgreSQL URL is
 * used (SQLite-only installs never need it).
 */
import { type Dialect, PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import type { Pool, PoolConfig } from 'pg';
import { integerOption, invalidArgument } from './arguments.ts';
import { isDatabaseUnreachable } from './errors.ts';

/** PostgreSQL's type id for `int8` / `bigint`. */
const INT8_OID = 20;

export interface PostgresPoolOptions {
  /**
   * Most connections the pool opens.
   * @default 10
   */
  readonly poolSize?: number;
  /**
   * How long to wait for a new connection (TCP, TLS and authentication) before failing.
   * @default 5000
   */
  readonly connectTimeoutMs?: number;
  /**
   * Server-side limit for one statement (`statement_timeout`); a stuck query fails instead of
   * holding a pooled connection forever. Migrations lift it for their own connection.
   * @default 10000
   */
  readonly statementTimeoutMs?: number;
  /**
   * Called when a pooled connection fails outside a query: idle in the pool, or checked out
   * between two statements of a transaction (e.g. the server restarted or was fast-stopped).
   * The pool drops that connection and opens a new one when needed; a query on it fails and
   * its transaction is rolled back by the server. Without a listener, `pg` would turn this into
   * an uncaught exception that ends the process.
   * @default ignore
   */
  readonly onIdleConnectionError?: (error: Error) => void;
}

type PgModule = typeof import('pg');

/**
 * Loads `pg` on demand.
 *
 * @param specifier Module to load (replaceable so tests can simulate a missing package).
 * @throws Error with code `ERR_GATEHOUSE_MISSING_PEER` when it is not installed.
 */
export async function loadPg(specifier = 'pg'): Promise<PgModule> {
  try {
    return (await import(specifier)) as PgModule;
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_MODULE_NOT_FOUND') {
      const missing = new Error(
        'PostgreSQL support needs the "pg" package, a peer dependency of gatehouse: npm install pg',
        { cause: error },
      );
      throw Object.assign(missing, { code: 'ERR_GATEHOUSE_MISSING_PEER' });
    }
    throw error;
  }
}

/**
 * `int8` → JS number, so epoch-millisecond columns (and `count(*)`) read the same as on
 * SQLite. A value beyond 2^53 would silently lose precision as a number, so it fails the query
 * instead (a `RangeError`; `node:sqlite` does the same).
 */
export function parseInt8(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) {
    throw new RangeError('A bigint column value is too large to be represented as a JavaScript number');
  }
  return value;
}

/**
 * Builds a `pg` pool for a connection URL. Nothing connects until the first query.
 *
 * Type parsing is set per pool (`types`), so `pg`'s global parsers, which the host application
 * may rely on, are left untouched.
 *
 * @param url `postgres://user:password@host:port/database?sslmode=require`
 * @example
 * const pool = await createPostgresPool(process.env.DATABASE_URL, { poolSize: 20 });
 */
export async function createPostgresPool(url: string, options: PostgresPoolOptions = {}): Promise<Pool> {
  const poolSize = integerOption('poolSize', options.poolSize, { fallback: 10, min: 1, max: 10_000 });
  const connectTimeoutMs = integerOption('connectTimeoutMs', options.connectTimeoutMs, {
    fallback: 5000,
    min: 1,
  });
  const statementTimeoutMs = integerOption('statementTimeoutMs', options.statementTimeoutMs, {
    fallback: 10_000,
    min: 0,
    max: 2_147_483_647,
  });
  const onIdleConnectionError = options.onIdleConnectionError ?? (() => {});
  if (typeof onIdleConnectionError !== 'function') {
    throw invalidArgument('onIdleConnectionError must be a function', 'ERR_INVALID_ARG_TYPE');
  }

  const pg = await loadPg();
  const config: PoolConfig = {
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: connectTimeoutMs,
    statement_timeout: statementTimeoutMs,
    // A transaction left open by a crashed request would hold its locks forever.
    idle_in_transaction_session_timeout: Math.max(statementTimeoutMs, 60_000),
    application_name: 'gatehouse',
    // Detects dead peers (a vanished server or a NAT that dropped the flow) on idle connections.
    keepAlive: true,
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID && format !== 'binary'
          ? parseInt8
          : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  };
  const pool = new pg.Pool(config);
  // Every connected client gets a listener for its whole life. The pool's own listener covers
  // idle clients only: it is removed while a client is lent out, so a termination between two
  // statements (`57P01 admin_shutdown` on a fast stop, a reset socket) would be emitted on a
  // client with no listener and end the process. The statement in flight, if any, still fails
  // with its own error, and the server rolls its transaction back.
  pool.on('connect', (client) => {
    client.on('error', onIdleConnectionError);
  });
  // An idle client's failure is re-emitted by the pool once it dropped the client; it was
  // already reported by the client's listener above.
  pool.on('error', () => {});
  return pool;
}

/** Kysely's PostgreSQL dialect over a pool from {@link createPostgresPool}. */
export function createPostgresDialect(pool: Pool): Dialect {
  return new PostgresDialect({ pool: droppingLostConnections(pool) });
}

/**
 * Lends the pool's clients to Kysely, and gives back one whose connection was lost (the server
 * terminated it, or its socket failed) with that error, so the pool drops it. Kysely releases
 * a client without an error; `pg` keeps it when the end of the socket has not been seen yet,
 * and the next request would then be handed a dead connection and answer 503 for nothing.
 */
function droppingLostConnections(pool: Pool): PostgresPool {
  return {
    async connect(): Promise<PostgresPoolClient> {
      const client = await pool.connect();
      let lost: Error | undefined;
      const query = (text: unknown, parameters?: unknown) => {
        const result = client.query(text as string, parameters as unknown[]) as unknown;
        // A cursor (streaming) is not a promise: its own errors reach its reader.
        if (!(result instanceof Promise)) return result;
        return result.catch((error: unknown) => {
          if (isDatabaseUnreachable(error)) lost = error as Error;
          throw error;
        });
      };
      return {
        query: query as PostgresPoolClient['query'],
        release: () => client.release(lost),
      };
    },
    end: () => pool.end(),
  };
}

/**
 * A loggable description of a PostgreSQL URL: `host:port/database`. It never includes the user
 * name, the password or the rest of the query string. Parsed the way `pg` parses it
 * (`host`/`port` query parameters win; `user:password@/db` means the default host).
 *
 * @throws TypeError (without echoing the URL) when the URL cannot be parsed.
 */
export function describePostgresUrl(url: string): string {
  const { parsed, hostless } = parsePostgresUrl(url);
  const host =
    parsed.searchParams.get('host') ||
    (hostless ? '' : safeDecode(parsed.hostname.replace(/^\[(.+)\]$/, '$1')));
  const port = parsed.searchParams.get('port') || parsed.port || '5432';
  const database = safeDecode(parsed.pathname.slice(1));
  const where = `${host || 'localhost'}:${port}`;
  return database ? `${where}/${database}` : where;
}

function parsePostgresUrl(url: string): { parsed: URL; hostless: boolean } {
  // Same normalisation as pg's connection-string parser: encode spaces and stray `%`.
  const text = / |%[^a-f0-9]|%[a-f0-9][^a-f0-9]/i.test(url)
    ? encodeURI(url).replace(/%25(\d\d)/g, '%$1')
    : url;
  try {
    return { parsed: new URL(text), hostless: false };
  } catch {
    // WHATWG URLs refuse credentials without a host; pg reads `user:pass@/db` as the default host.
  }
  try {
    return { parsed: new URL(text.replace('@/', '@hostless.invalid/')), hostless: true };
  } catch {
    // The original error is dropped on purpose: Node's URL errors carry the input, password included.
    throw invalidArgument('The PostgreSQL connection URL is not a valid URL', 'ERR_INVALID_ARG_VALUE');
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
