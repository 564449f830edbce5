import { HTTP_METHODS, type HttpMethod, routeShape } from './route.ts';

/** One path of the route table, split into segments; `null` stands for a `:param` segment. */
interface PathEntry {
  /** The path with its parameters unnamed (`/users/:`), so `/a/:id` and `/a/:key` are one path. */
  readonly shape: string;
  readonly segments: readonly (string | null)[];
  readonly methods: Set<HttpMethod>;
}

/** Methods in the order `Allow` lists them. */
const ALLOW_ORDER: readonly string[] = ['GET', 'HEAD', ...HTTP_METHODS.slice(1)];

function segmentsOf(path: string): (string | null)[] {
  return path
    .split('/')
    .slice(1)
    .map((segment) => (segment.startsWith(':') ? null : segment));
}

/** True when `a` is more specific than `b`: at the first position they differ, `a` is literal. */
function moreSpecific(a: PathEntry, b: PathEntry): boolean {
  for (let i = 0; i < a.segments.length; i += 1) {
    const x = a.segments[i];
    const y = b.segments[i];
    if ((x === null) !== (y === null)) return x !== null;
  }
  return false;
}

/**
 * Which path of the route table a request path is, and the methods that path has, resolved
 * the way OpenAPI reads a document: a literal segment wins over a template at the same place,
 * so `/users/me/sessions/revoke-others` is that path (POST only), not `/users/me/sessions/{id}`
 * with `id = revoke-others`. The router matches both; the app uses this to answer 405 where
 * the router would have dispatched a method the documented path does not have, and to build
 * an `Allow` header that lists exactly the document's methods (with `HEAD` for `GET`).
 */
export class PathMethods {
  readonly #entries: PathEntry[] = [];

  /** Registers `method` on `path` (already joined to the base path; `:name` parameters). */
  add(path: string, method: HttpMethod): void {
    const shape = routeShape(path);
    const existing = this.#entries.find((e) => e.shape === shape);
    if (existing) existing.methods.add(method);
    else this.#entries.push({ shape, segments: segmentsOf(path), methods: new Set([method]) });
  }

  /** The registered path `requestPath` resolves to (its most specific match, parameters unnamed), or `undefined`. */
  resolve(requestPath: string): string | undefined {
    return this.#match(requestPath)?.shape;
  }

  /**
   * Whether a request for `requestPath` dispatched to the route on `path` is really that path:
   * false when a more specific path (a literal where `path` has a parameter) matches it too.
   */
  owns(path: string, requestPath: string): boolean {
    const match = this.#match(requestPath);
    return match === undefined || match.shape === routeShape(path);
  }

  /** The `Allow` list of the path `requestPath` resolves to; empty when it matches none. */
  allowed(requestPath: string): string[] {
    const methods = new Set<string>(this.#match(requestPath)?.methods ?? []);
    if (methods.has('GET')) methods.add('HEAD');
    return ALLOW_ORDER.filter((method) => methods.has(method));
  }

  /** Whether some registered path could shadow `path` (so `owns` needs to be asked at all). */
  mayBeShadowed(path: string): boolean {
    const shape = routeShape(path);
    const self = this.#entries.find((e) => e.shape === shape);
    if (!self) return false;
    return this.#entries.some(
      (other) =>
        other !== self &&
        other.segments.length === self.segments.length &&
        other.segments.every((s, i) => s === null || self.segments[i] === null || s === self.segments[i]) &&
        moreSpecific(other, self),
    );
  }

  #match(requestPath: string): PathEntry | undefined {
    const parts = requestPath.split('/').slice(1);
    let best: PathEntry | undefined;
    for (const entry of this.#entries) {
      if (entry.segments.length !== parts.length) continue;
      const matches = entry.segments.every((segment, i) =>
        segment === null ? (parts[i] ?? '') !== '' : segment === parts[i],
      );
      if (matches && (best === undefined || moreSpecific(entry, best))) best = entry;
    }
    return best;
  }
}
