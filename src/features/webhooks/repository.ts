/** What the webhooks service and worker ask of the outbox. */

/** A row to write beside its audit event. */
export interface NewOutboxRow {
  readonly eventId: string;
  readonly eventType: string;
  readonly endpoint: string;
  readonly userId: string | null;
  readonly payload: string;
  readonly createdAt: number;
}

/** A row claimed for one attempt. */
export interface ClaimedDelivery {
  readonly id: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly endpoint: string;
  readonly userId: string | null;
  readonly payload: string;
  /** Attempts including this one. */
  readonly attempts: number;
  readonly leaseToken: string;
}

/** How one attempt ended. */
export type AttemptOutcome =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly at: number; readonly error: string }
  | { readonly kind: 'dead'; readonly error: string };

export interface OutboxRepository {
  /**
   * Takes up to `limit` due pending rows for one attempt each, until `leaseUntil`: no other
   * worker (process) can take them meanwhile (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one
   * statement under its single writer). Counts the attempt.
   */
  claim(now: number, limit: number, leaseUntil: number, leaseToken: string): Promise<ClaimedDelivery[]>;
  /** Records the outcome, if the lease is still this worker's; `false` when it is not. */
  finish(id: string, leaseToken: string, outcome: AttemptOutcome, now: number): Promise<boolean>;
  /** Gives a claimed row back untried (shutdown): the attempt is not counted. */
  release(id: string, leaseToken: string): Promise<void>;
  /**
   * A hard delete: removes every row about the user, and replaces the user's id with `erased`
   * in the payloads of the rows that name them otherwise (an admin's `actorId`).
   */
  eraseUser(userId: string): Promise<void>;
  /** Removes at most `limit` delivered rows finished before `before`; answers how many. */
  pruneDelivered(before: number, limit: number): Promise<number>;
  /** Rows by status (the outbox depth gauge). */
  countByStatus(): Promise<Readonly<Record<string, number>>>;
}
