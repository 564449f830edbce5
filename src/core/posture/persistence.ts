import type { ConfigWarning } from '../config/warning.ts';

/** What the shared stores said about their own durability (structurally `StorePersistence`). */
export interface PersistenceFacts {
  readonly state: 'on' | 'off' | 'unknown';
  readonly detail: string;
}

/**
 * A Redis that forgets its data on restart loses single-use markers, lockout counters and
 * rate-limit budgets, and makes every worker rebuild the denylist from SQL (answering 503 until
 * it is rebuilt). Nothing is accepted that was revoked, but the operator should know.
 */
export function persistenceWarnings(facts: PersistenceFacts | undefined): ConfigWarning[] {
  if (facts === undefined || facts.state === 'on') return [];
  if (facts.state === 'off') {
    return [
      {
        code: 'REDIS_PERSISTENCE_OFF',
        message: `Redis keeps no data across its restart (${facts.detail}): one-time tokens, lockouts and rate limits reset, and revocations are rebuilt from the database; turn on appendonly`,
      },
    ];
  }
  return [
    {
      code: 'REDIS_PERSISTENCE_UNKNOWN',
      message: `Redis persistence could not be checked (${facts.detail}); make sure appendonly is on`,
    },
  ];
}
