/**
 * The API-key capability's options, `createAuth({ apiKeys: {…} })`: their defaults, the schema
 * that validates them with the rest of the configuration, and the check between two of them.
 */
import { z } from 'zod';

/** The defaults of the `apiKeys` options (part of the `DEFAULTS` Gatehouse exports). */
export const API_KEY_DEFAULTS = Object.freeze({
  apiKeyEnv: 'live',
  apiKeyMaxActivePerUser: 20,
  apiKeyDefaultTtlDays: 365,
  apiKeyMaxTtlDays: 365,
  /** `lastUsedAt` of a key is written at most this often (per key, per process). */
  apiKeyLastUsedIntervalSeconds: 60,
  /** Signed requests: how far the timestamp may be from the server's clock, either way. */
  signatureWindowSeconds: 300,
});

/** The top-level option this feature owns. */
export const API_KEY_CONFIG_KEY = 'apiKeys';

export const apiKeyOptionsSchema = z
  .strictObject({
    /** The `<env>` of `gh_<env>_…` keys this deployment issues and accepts, e.g. `live` or `test`. */
    env: z
      .string()
      .regex(/^[a-z0-9]{1,16}$/, 'must be 1-16 of a-z and 0-9')
      .default(API_KEY_DEFAULTS.apiKeyEnv),
    /** Scopes any user may put on a key, besides their own roles. */
    scopes: z
      .array(z.string().regex(/^[A-Za-z0-9:._-]{1,64}$/))
      .max(100)
      .default([]),
    maxActivePerUser: z.int().min(1).max(1000).default(API_KEY_DEFAULTS.apiKeyMaxActivePerUser),
    defaultTtlDays: z.int().min(1).max(3650).default(API_KEY_DEFAULTS.apiKeyDefaultTtlDays),
    maxTtlDays: z.int().min(1).max(3650).default(API_KEY_DEFAULTS.apiKeyMaxTtlDays),
    lastUsedIntervalSeconds: z.int().min(1).max(3600).default(API_KEY_DEFAULTS.apiKeyLastUsedIntervalSeconds),
    signatureWindowSeconds: z.int().min(30).max(900).default(API_KEY_DEFAULTS.signatureWindowSeconds),
  })
  // Judged only once every field is valid, as core's cross-field checks run after its schema passed.
  .refine((options) => options.defaultTtlDays <= options.maxTtlDays, {
    path: ['defaultTtlDays'],
    message: 'must not exceed apiKeys.maxTtlDays',
    when: (payload) => (payload.issues ?? []).length === 0,
  })
  .prefault({});

/** The parsed options, as `build` reads them from `context.options`. */
export type ApiKeyOptions = z.output<typeof apiKeyOptionsSchema>;
