/**
 * One delivery attempt: a POST of the stored payload, signed per Standard Webhooks
 * (`webhook-id`, `webhook-timestamp`, `webhook-signature` with the `standardwebhooks` package),
 * bounded by a timeout that covers connecting, sending and the answer. Redirects are not
 * followed (a 3xx is a failure). The answer's body is read and dropped, never stored.
 */
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Webhook } from 'standardwebhooks';
import { isNonPublicAddress, literalAddress, publicOnlyLookup, RefusedTargetError } from './target-guard.ts';

export interface SendOptions {
  readonly url: string;
  readonly secret: string;
  readonly messageId: string;
  readonly payload: string;
  readonly timeoutMs: number;
  /** Refuse loopback, private and other non-public addresses (production). */
  readonly publicOnly: boolean;
  /** Aborts the attempt (shutdown). */
  readonly signal?: AbortSignal;
}

/** `ok`, or why not: `HTTP <status>`, `timeout`, `refused address`, or the socket's error code. */
export type SendResult = { readonly ok: true } | { readonly ok: false; readonly error: string };

const MAX_ANSWER_BYTES = 64 * 1024;

/** The three Standard Webhooks headers for one attempt (the timestamp is the attempt's). */
export function signedHeaders(
  secret: string,
  messageId: string,
  payload: string,
  at: Date,
): Record<string, string> {
  return {
    'webhook-id': messageId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(messageId, at, payload),
  };
}

export function sendWebhook(options: SendOptions): Promise<SendResult> {
  const url = new URL(options.url);
  const literal = literalAddress(url.hostname);
  if (options.publicOnly && literal !== null && isNonPublicAddress(literal)) {
    return Promise.resolve({ ok: false, error: 'refused address' });
  }
  // The receiver checks the timestamp against its clock: the wall clock, not a test clock.
  const headers = {
    ...signedHeaders(options.secret, options.messageId, options.payload, new Date()),
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(options.payload)),
    'user-agent': 'Gatehouse-Webhooks/1',
  };
  const requestOptions: RequestOptions = {
    method: 'POST',
    headers,
    ...(options.publicOnly ? { lookup: publicOnlyLookup } : {}),
    // No keep-alive pool shared with anything else: each attempt is its own connection.
    agent: false,
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const done = (result: SendResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const request = send(url, requestOptions, (response) => {
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) response.destroy();
      });
      const status = response.statusCode ?? 0;
      const result: SendResult =
        status >= 200 && status < 300 ? { ok: true } : { ok: false, error: `HTTP ${status}` };
      response.on('end', () => done(result));
      response.on('close', () => done(result));
      response.on('error', () => done(result));
    });
    const timer = setTimeout(() => {
      done({ ok: false, error: 'timeout' });
      request.destroy();
    }, options.timeoutMs);
    const onAbort = (): void => {
      done({ ok: false, error: 'aborted' });
      request.destroy();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    request.on('error', (error: NodeJS.ErrnoException) => {
      done({
        ok: false,
        error:
          error instanceof RefusedTargetError ? 'refused address' : (error.code ?? error.name).slice(0, 64),
      });
    });
    request.end(options.payload);
  });
}
