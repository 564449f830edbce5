/** The webhook outbox as Kysely types (its own table; it reads no other). */
import type { ColumnType } from 'kysely';

/** `pending` (to be tried), `delivered` (a 2xx came back), `dead` (out of attempts). */
export type OutboxStatus = 'pending' | 'delivered' | 'dead';

type Int = ColumnType<number, number | undefined, number>;

export interface WebhookOutboxTable {
  id: string;
  /** The audit event's id: the stable `webhook-id` of every attempt. */
  event_id: string;
  event_type: string;
  /** The endpoint's URL (the configuration's key for it). */
  endpoint: string;
  /** Whom the event is about, so a hard delete can erase the rows. */
  user_id: string | null;
  /** The JSON body, fixed when the event was written (every attempt sends the same bytes). */
  payload: string;
  status: OutboxStatus;
  attempts: Int;
  next_attempt_at: Int;
  /** Who holds the row for an attempt, until when; a finish names its token (fencing). */
  lease_token: string | null;
  lease_until: number | null;
  /** `HTTP 500`, `timeout`, `refused address`…: never a response body. */
  last_error: string | null;
  created_at: Int;
  finished_at: number | null;
}

/** A type, not an interface, so Kysely accepts it as a schema. */
export type WebhookTables = { webhook_outbox: WebhookOutboxTable };
