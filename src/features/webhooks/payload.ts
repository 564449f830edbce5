/**
 * The body of a webhook: the Standard Webhooks shape `{ type, timestamp, data }`, built from
 * an audit event. It carries ids and the event's own data (which never holds a secret or a
 * typed identifier in clear, docs/AUDIT.md), never the address digest or the user agent.
 * Personal data is opt-in per endpoint (`personalData`): without it a changed name shows only
 * that it changed; with it the user's current email address is added at delivery.
 */
import type { AuditEvent } from '../../stores/repositories.ts';

/** Fields of `data.changes` that hold personal data rather than account state. */
const PERSONAL_FIELDS: ReadonlySet<string> = new Set(['name', 'email']);

function withoutPersonalChanges(data: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const changes = data.changes;
  if (!changes || typeof changes !== 'object' || Array.isArray(changes)) return { ...data };
  const kept: Record<string, unknown> = {};
  for (const [field, change] of Object.entries(changes)) {
    kept[field] = PERSONAL_FIELDS.has(field) ? { changed: true } : change;
  }
  return { ...data, changes: kept };
}

/** The JSON text sent for `event` to an endpoint (fixed once, so every attempt sends the same bytes). */
export function webhookPayload(event: AuditEvent, options: { readonly personalData: boolean }): string {
  const data = options.personalData ? { ...event.data } : withoutPersonalChanges(event.data);
  return JSON.stringify({
    type: event.type,
    timestamp: new Date(event.createdAt).toISOString(),
    // The ids last: an event's own data can never stand in for them.
    data: {
      ...data,
      eventId: event.id,
      userId: event.userId,
      sessionId: event.sessionId,
      requestId: event.requestId,
    },
  });
}

/** Adds the user's email address to a stored payload, for an endpoint that opted in. */
export function withEmail(payload: string, email: string | null): string {
  if (email === null) return payload;
  const body = JSON.parse(payload) as { data: Record<string, unknown> };
  return JSON.stringify({ ...body, data: { ...body.data, email } });
}
