/**
 * What every client method answers: `{ data, error: null }` on success, `{ data: null, error }`
 * otherwise, so a caller branches on `error` and then on `error.code` (typed per route).
 */

/**
 * Codes the client produces itself, when no problem+json answer was read:
 * - `NETWORK_ERROR`: the request never got an HTTP answer (offline, DNS, CORS refusal);
 * - `ABORTED`: the caller's `signal` aborted it;
 * - `INVALID_RESPONSE`: an answer the client cannot read (not JSON, or an error without a code).
 */
export type ClientErrorCode = 'NETWORK_ERROR' | 'ABORTED' | 'INVALID_RESPONSE';

/**
 * Codes any route may answer besides its own: `NOT_FOUND` when the server does not serve the
 * route (a feature turned off there, a wrong `basePath`).
 */
export type AlwaysPossibleCode = ClientErrorCode | 'NOT_FOUND';

/** An RFC 9457 problem as Gatehouse sends it (docs/API.md, "Problem details"). */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly code: string;
  readonly detail?: string;
  readonly errors?: readonly { readonly path: string; readonly message: string }[];
  readonly [member: string]: unknown;
}

/** A failed call. `code` is the union of the route's codes, so `switch (error.code)` narrows. */
export interface ClientError<Code extends string = string> {
  readonly code: Code | AlwaysPossibleCode;
  /** The HTTP status; 0 when there was no HTTP answer. */
  readonly status: number;
  /** The problem's title, or a fixed sentence for the client's own codes; never secrets or input. */
  readonly message: string;
  /** The RFC 9457 body, when the server sent one. */
  readonly problem: Problem | null;
  /** Seconds to wait, from `Retry-After` (429, 503 and 502 answers carry it), else `null`. */
  readonly retryAfter: number | null;
  /** With a failed step-up retry: why the step-up itself failed. */
  readonly cause?: ClientError;
}

/** The outcome of one call. */
export type ApiResult<Data, Code extends string = string> =
  | { readonly data: Data; readonly error: null }
  | { readonly data: null; readonly error: ClientError<Code> };

const CLIENT_MESSAGES: Readonly<Record<ClientErrorCode, string>> = {
  NETWORK_ERROR: 'The server could not be reached.',
  ABORTED: 'The request was aborted.',
  INVALID_RESPONSE: 'The server sent an answer the client cannot read.',
};

/** A failure the client detected itself. */
export function clientError(code: ClientErrorCode, status = 0): ClientError<never> {
  return { code, status, message: CLIENT_MESSAGES[code], problem: null, retryAfter: null };
}

/** `Retry-After` in seconds: delta-seconds or an HTTP date; `null` when absent or unreadable. */
export function retryAfterSeconds(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - now) / 1000));
}

/** Reads an error answer into a {@link ClientError}. */
export async function errorFromResponse(response: Response): Promise<ClientError<never>> {
  const retryAfter = retryAfterSeconds(response.headers.get('retry-after'));
  let problem: unknown = null;
  try {
    problem = await response.json();
  } catch {
    problem = null;
  }
  if (!isProblem(problem)) return { ...clientError('INVALID_RESPONSE', response.status), retryAfter };
  return {
    code: problem.code as never,
    status: response.status,
    message: typeof problem.title === 'string' ? problem.title : CLIENT_MESSAGES.INVALID_RESPONSE,
    problem,
    retryAfter,
  };
}

function isProblem(value: unknown): value is Problem {
  return typeof value === 'object' && value !== null && typeof (value as Problem).code === 'string';
}
