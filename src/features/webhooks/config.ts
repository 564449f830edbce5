/**
 * The webhooks' options, `createAuth({ webhooks: {…} })`: endpoints (URL, Standard Webhooks
 * secret, the audit event types they subscribe to) and how delivery retries. Problems name the
 * field and never echo a value (a secret must not reach a log through a config error).
 */
import { z } from 'zod';
import { isKnownEventType } from './event-types.ts';

/** The defaults of the `webhooks` options (part of the `DEFAULTS` Gatehouse exports). */
export const WEBHOOK_DEFAULTS = Object.freeze({
  /** Attempts per event and endpoint before the row is dead-lettered. */
  webhookMaxAttempts: 10,
  /** First retry after about this long; each further one waits twice as long (with jitter). */
  webhookRetryBaseMs: 10_000,
  /** No wait between attempts is longer than this. */
  webhookRetryMaxMs: 3_600_000,
  /** One delivery attempt (connect, send, answer) may take this long. */
  webhookTimeoutMs: 10_000,
  /** Attempts in flight at once per process. */
  webhookConcurrency: 4,
  /** How often a process looks for due deliveries (a new event also wakes it at once). */
  webhookPollIntervalMs: 1_000,
  /** Days a delivered row is kept before the pruner removes it (dead rows are kept). */
  webhookDeliveredRetentionDays: 7,
});

/** The top-level option this feature owns. */
export const WEBHOOKS_CONFIG_KEY = 'webhooks';

/** `whsec_` + base64 of 24 to 64 random bytes, as Standard Webhooks secrets are written. */
const SECRET = /^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/;

const endpointSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).refine(
    (url) => {
      const parsed = new URL(url);
      return parsed.username === '' && parsed.password === '' && parsed.hash === '';
    },
    { error: 'must not hold credentials or a fragment' },
  ),
  secret: z.string({ error: 'must be a string' }).regex(SECRET, {
    error: 'must be whsec_ followed by base64 of 24 to 64 random bytes',
  }),
  events: z
    .array(z.string().refine(isKnownEventType, { error: 'is not an audit event type (docs/AUDIT.md) or *' }))
    .min(1)
    .max(100),
  /** Adds the user's email address to each event (personal data: opt in per endpoint). */
  personalData: z.boolean().default(false),
});

export const webhookOptionsSchema = z
  .strictObject({
    endpoints: z.array(endpointSchema).max(20).default([]),
    maxAttempts: z.int().min(1).max(50).default(WEBHOOK_DEFAULTS.webhookMaxAttempts),
    retryBaseMs: z.int().min(10).max(86_400_000).default(WEBHOOK_DEFAULTS.webhookRetryBaseMs),
    retryMaxMs: z.int().min(10).max(604_800_000).default(WEBHOOK_DEFAULTS.webhookRetryMaxMs),
    timeoutMs: z.int().min(100).max(60_000).default(WEBHOOK_DEFAULTS.webhookTimeoutMs),
    concurrency: z.int().min(1).max(64).default(WEBHOOK_DEFAULTS.webhookConcurrency),
    pollIntervalMs: z.int().min(10).max(60_000).default(WEBHOOK_DEFAULTS.webhookPollIntervalMs),
    deliveredRetentionDays: z.int().min(0).max(3650).default(WEBHOOK_DEFAULTS.webhookDeliveredRetentionDays),
    /**
     * Production refuses endpoints on loopback, private, link-local and other non-public
     * addresses (checked on every connection, after DNS); `true` allows them (a receiver in
     * your own network). Development always allows them.
     */
    allowPrivateNetworks: z.boolean().default(false),
  })
  .refine((options) => options.retryBaseMs <= options.retryMaxMs, {
    path: ['retryBaseMs'],
    message: 'must not exceed webhooks.retryMaxMs',
    when: (payload) => (payload.issues ?? []).length === 0,
  })
  .refine(
    (options) => new Set(options.endpoints.map((endpoint) => endpoint.url)).size === options.endpoints.length,
    {
      path: ['endpoints'],
      message: 'must not list one URL twice',
      when: (payload) => (payload.issues ?? []).length === 0,
    },
  )
  .prefault({});

/** The parsed options, as `build` reads them from `context.options`. */
export type WebhookOptions = z.output<typeof webhookOptionsSchema>;
export type WebhookEndpoint = WebhookOptions['endpoints'][number];
