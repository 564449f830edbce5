import { createHash } from 'node:crypto';
import { coreError } from '../../core/index.ts';
import { passwordPolicyError } from './password-policy.ts';

/**
 * The breached-password check (NIST SP 800-63B-4 §3.1.1.2: compare against passwords from
 * previous breaches) through a k-anonymity range API, as Have I Been Pwned's Pwned Passwords
 * serves it: `GET {url}/range/{first 5 hex of SHA-1}` answers `SUFFIX:COUNT` lines for every
 * breached hash with that prefix. Only the 5-character prefix leaves the process, never the
 * password or its full hash; `Add-Padding: true` asks for decoy lines (count 0) so the answer's
 * size says nothing about the prefix either.
 *
 * @see https://haveibeenpwned.com/API/v3#PwnedPasswords
 * @module
 */

export interface BreachedPasswordCheckOptions {
  /** Base URL of the range API, e.g. `https://api.pwnedpasswords.com` (no trailing `/range`). */
  readonly url: string;
  /** The whole exchange (connect, answer, body) gives up after this. */
  readonly timeoutMs: number;
  /** Replaces the global `fetch` (tests, proxies). */
  readonly fetch?: typeof fetch;
}

/** Why the range API could not answer; the caller decides between allowing and refusing. */
export class BreachCheckUnavailableError extends Error {
  override readonly name = 'BreachCheckUnavailableError';
}

export interface BreachedPasswordCheck {
  /**
   * Whether the password is in the breach corpus (a non-zero count for its hash).
   *
   * @throws BreachCheckUnavailableError on a timeout, a network failure, a non-2xx answer or
   *   an answer too large to be a range.
   */
  isBreached(password: string): Promise<boolean>;
}

/** A real range answer is about 40 KB with padding; anything far larger is not one. */
const MAX_RANGE_BYTES = 1024 * 1024;

export function createBreachedPasswordCheck(options: BreachedPasswordCheckOptions): BreachedPasswordCheck {
  const base = options.url.replace(/\/+$/, '');
  const fetchRange = options.fetch ?? fetch;
  return {
    async isBreached(password) {
      const hash = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
      const prefix = hash.slice(0, 5);
      const suffix = hash.slice(5);
      let body: string;
      try {
        const response = await fetchRange(`${base}/range/${prefix}`, {
          headers: { 'Add-Padding': 'true', Accept: 'text/plain' },
          // A redirect could take the prefix anywhere; the configured URL is the only target.
          redirect: 'error',
          signal: AbortSignal.timeout(options.timeoutMs),
        });
        if (!response.ok) {
          await response.body?.cancel();
          throw new BreachCheckUnavailableError(`the range API answered ${response.status}`);
        }
        body = await readBounded(response);
      } catch (error) {
        if (error instanceof BreachCheckUnavailableError) throw error;
        throw new BreachCheckUnavailableError('the range API could not be reached in time', { cause: error });
      }
      return rangeContains(body, suffix);
    },
  };
}

/** The answer's text, refused past {@link MAX_RANGE_BYTES} whatever its headers say. */
async function readBounded(response: Response): Promise<string> {
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > MAX_RANGE_BYTES) {
      await response.body.cancel().catch(() => {});
      throw new BreachCheckUnavailableError('the range answer is too large');
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Whether a range answer lists `suffix` with a count above 0 (padding lines carry 0). */
export function rangeContains(body: string, suffix: string): boolean {
  for (const line of body.split('\n')) {
    const colon = line.indexOf(':');
    if (colon !== 35) continue;
    if (line.slice(0, colon).toUpperCase() !== suffix) continue;
    const count = Number.parseInt(line.slice(colon + 1).trim(), 10);
    return Number.isSafeInteger(count) && count > 0;
  }
  return false;
}

/** What to do when the range API cannot answer: accept the password (and warn), or refuse with 503. */
export type BreachCheckFailureMode = 'allow' | 'refuse';

/** The step after the policy: throws 422 `PASSWORD_POLICY` (`breached`) or, per `onError`, 503. */
export type BreachGate = (password: string) => Promise<void>;

/**
 * Runs the check for a new password. A breached one is refused with the `breached` reason; when
 * the API cannot answer, `onError: 'allow'` lets the password through (the local common-password
 * list still applied) and calls `warn`, `'refuse'` answers 503 `SERVICE_UNAVAILABLE` with
 * nothing changed.
 */
export function createBreachGate(options: {
  readonly check: BreachedPasswordCheck;
  readonly onError: BreachCheckFailureMode;
  readonly warn: (error: BreachCheckUnavailableError) => void;
}): BreachGate {
  return async (password) => {
    let breached: boolean;
    try {
      breached = await options.check.isBreached(password);
    } catch (error) {
      if (!(error instanceof BreachCheckUnavailableError)) throw error;
      if (options.onError === 'refuse') {
        throw coreError('SERVICE_UNAVAILABLE', {
          retryAfterSeconds: 5,
          detail: 'The breached-password check is unavailable; nothing was changed.',
        });
      }
      options.warn(error);
      return;
    }
    if (breached) throw passwordPolicyError(['breached']);
  };
}
