import type { ConfigWarning, ResolvedConfig } from '../core/index.ts';
import type { MailTransport } from '../mail/index.ts';
import type { StoreCapabilities } from '../stores/contract.ts';
import type { Database } from '../stores/sql/index.ts';

/** What is running, as `gatehouse doctor` prints it and the server logs it on start. */
export interface Posture {
  readonly mode: ResolvedConfig['mode'];
  readonly baseUrl: string;
  /** e.g. `sqlite (./data/gatehouse.db)`; never holds credentials. */
  readonly database: string;
  /** Backend of each shared store, e.g. `{ once: 'redis (shared)' }`. */
  readonly stores: Readonly<Record<string, string>>;
  readonly mail: string;
  readonly workers: number;
  readonly trustedProxyHops: number;
  /** Ids of the master secrets, active first, and where they came from (never their values). */
  readonly secrets: { readonly ids: readonly string[]; readonly source: ResolvedConfig['secretSource'] };
  readonly warnings: readonly ConfigWarning[];
}

export function describePosture(input: {
  config: ResolvedConfig;
  database: Database;
  stores: Readonly<Record<string, StoreCapabilities>>;
  mail: MailTransport;
  warnings: readonly ConfigWarning[];
}): Posture {
  const { config } = input;
  return Object.freeze({
    mode: config.mode,
    baseUrl: config.baseUrl,
    database: input.database.describe(),
    stores: Object.freeze(
      Object.fromEntries(
        Object.entries(input.stores).map(([name, c]) => [
          name,
          `${c.backend} (${c.shared ? 'shared' : 'this process only'})`,
        ]),
      ),
    ),
    mail: input.mail.kind,
    workers: config.workers,
    trustedProxyHops: config.http.trustedProxyHops,
    secrets: Object.freeze({
      ids: Object.freeze(config.secrets.map((s) => s.id)),
      source: config.secretSource,
    }),
    warnings: Object.freeze([...input.warnings]),
  });
}
