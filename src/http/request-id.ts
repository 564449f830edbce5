import { randomUUID } from 'node:crypto';

/** Header that carries the request id, in and out. */
export const REQUEST_ID_HEADER = 'X-Request-Id';

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The id of this request: the incoming `X-Request-Id` when it is sane (at most 128 characters
 * of `[A-Za-z0-9._:-]`, so it can go into logs and headers as is), otherwise a fresh UUID.
 */
export function requestIdFrom(incoming: string | null | undefined): string {
  return incoming != null && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}
