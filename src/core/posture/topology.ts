import type { Mode } from '../config/mode.ts';
import type { ConfigWarning } from '../config/warning.ts';
import type { ConfigProblem } from '../errors/index.ts';

/** What posture checks need to know of a store (structurally the store contract's flags). */
export interface StoreFacts {
  readonly backend: string;
  readonly shared: boolean;
}

export interface TopologyInput {
  readonly mode: Mode;
  readonly workers: number;
  /** Shared-state stores by name, e.g. `{ once: {...}, denylist: {...} }`. */
  readonly stores: Readonly<Record<string, StoreFacts>>;
  readonly databaseDialect: 'sqlite' | 'postgres';
}

/**
 * Checks that the declared process topology can keep its promises: with more than one worker,
 * a process-local store would let each worker keep its own lockouts, revocations and one-time
 * markers, so a token revoked on one worker would still pass on another.
 */
export function checkTopology(input: TopologyInput): {
  problems: ConfigProblem[];
  warnings: ConfigWarning[];
} {
  const problems: ConfigProblem[] = [];
  const warnings: ConfigWarning[] = [];
  const local = Object.entries(input.stores)
    .filter(([, facts]) => !facts.shared)
    .map(([name, facts]) => `${name} (${facts.backend})`);
  if (input.workers > 1 && local.length > 0) {
    const message = `${input.workers} workers declared but these stores are process-local: ${local.join(', ')}; use shared stores (Redis)`;
    if (input.mode === 'production') problems.push({ path: 'workers', message });
    else warnings.push({ code: 'PROCESS_LOCAL_STORES', message });
  }
  if (input.workers > 1 && input.databaseDialect === 'sqlite') {
    warnings.push({
      code: 'SQLITE_MANY_WORKERS',
      message: 'SQLite with several workers only works on one machine and serialises writes; use PostgreSQL',
    });
  }
  return { problems, warnings };
}
