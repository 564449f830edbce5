/**
 * Reading what a provider sent back, shared by every provider kind: the subject, the email
 * address and display name (kept only when well-formed, else treated as absent) and the tokens.
 * Values come from the network, so each reader checks the type and bounds before keeping one.
 */
import type * as oauth from 'oauth4webapi';
import { ProviderError } from './errors.ts';
import type { ProviderTokens } from './types.ts';

const MAX_SUBJECT_LENGTH = 255;

/** The account's stable id, or `invalid_response` when it is missing or implausibly long. */
export function checkSubject(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_SUBJECT_LENGTH) {
    throw new ProviderError('invalid_response', name, { check: 'sub' });
  }
  return value;
}

/** RFC 5321 caps an address at 254 octets; anything else from a provider is treated as absent. */
export function emailOf(value: unknown): string | null {
  return typeof value === 'string' && value.length > 0 && value.length <= 254 && value.includes('@')
    ? value
    : null;
}

/** A non-blank display name, cut to 256 characters, or `null`. */
export function nameOf(value: unknown): string | null {
  return typeof value === 'string' && value.trim().length > 0 ? value.slice(0, 256) : null;
}

/** The tokens of a token endpoint answer, with `expires_in` turned into an absolute time. */
export function tokensOf(result: oauth.TokenEndpointResponse): ProviderTokens {
  return Object.freeze({
    accessToken: result.access_token,
    refreshToken: result.refresh_token ?? null,
    expiresAt: typeof result.expires_in === 'number' ? Date.now() + result.expires_in * 1000 : null,
  });
}

/** Whether `value` is a plain JSON object (not `null`, not an array). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
