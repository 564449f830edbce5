import { coreError } from '../core/errors/index.ts';
import type { Principal } from '../core/principal.ts';

/**
 * One kind of credential a request may present (an API key, a bearer access token, the session
 * cookie, …), contributed by the feature that issues it. The pipeline asks the authenticators
 * in order whether the request presents their kind of credential; the first that does decides.
 *
 * `Credential` is what `read` found (a header value, a parsed cookie), handed to `authenticate`
 * so the request is read once.
 */
export interface Authenticator<Credential = unknown> {
  /** Names the credential kind; unique in a chain. */
  readonly id: string;
  /**
   * The credential of this kind the request presents, or `null` when it presents none. Cheap
   * (headers only) and never throws: it says whose credential this is, not whether it is valid.
   */
  read(request: Request): Credential | null;
  /**
   * Checks the credential `read` found: the principal, or a thrown `AuthError` (a 401 code; a
   * `StoreError` when the check could not be made). Never `null`: a credential that was
   * presented is never taken for no credential (a `null` is refused as `INVALID_TOKEN`).
   */
  authenticate(credential: Credential, request: Request): Promise<Principal>;
  /**
   * Told when this authenticator refused a credential from `clientIp`: a number of seconds
   * turns the 401 into a 429 (too many refused credentials from that address), `null` keeps it.
   */
  onRefused?(error: unknown, clientIp: string): Promise<number | null>;
}

/** An ordered list of authenticators, checked once when the pipeline is built. */
export interface AuthenticatorChain {
  /**
   * The principal of the request's credential, `null` when it presents none any authenticator
   * recognises. A recognised credential that is invalid throws, whatever the authenticators
   * after it would say. With `clientIp`, the refusing authenticator counts the refusal first.
   */
  authenticate(request: Request, clientIp?: string): Promise<Principal | null>;
  /** Whether some authenticator counts refused credentials (a route may then answer 429). */
  readonly countsRefusals: boolean;
}

/**
 * Chains `authenticators` in the order given: the first that reads a credential of its kind in
 * the request decides, and a presented but invalid credential is a 401 (or a 429), never a
 * fall-through to the next authenticator or to anonymous.
 *
 * @throws {TypeError} when two authenticators share an id.
 */
export function createAuthenticatorChain(authenticators: readonly Authenticator[]): AuthenticatorChain {
  const ids = new Set<string>();
  for (const authenticator of authenticators) {
    if (authenticator.id === '' || ids.has(authenticator.id)) {
      throw new TypeError(`authenticator ids must be non-empty and unique (${authenticator.id})`);
    }
    ids.add(authenticator.id);
  }
  const chain = Object.freeze([...authenticators]);
  return {
    countsRefusals: chain.some((authenticator) => authenticator.onRefused !== undefined),
    async authenticate(request, clientIp) {
      let authenticator: Authenticator | undefined;
      let credential: unknown = null;
      for (const candidate of chain) {
        credential = candidate.read(request);
        if (credential !== null && credential !== undefined) {
          authenticator = candidate;
          break;
        }
      }
      if (authenticator === undefined) return null;
      try {
        const principal = await authenticator.authenticate(credential, request);
        if (!principal) throw coreError('INVALID_TOKEN');
        return principal;
      } catch (error) {
        const retryAfterSeconds =
          authenticator.onRefused && clientIp !== undefined
            ? await authenticator.onRefused(error, clientIp)
            : null;
        if (retryAfterSeconds !== null) throw coreError('RATE_LIMITED', { retryAfterSeconds });
        throw error;
      }
    },
  };
}
