export {
  WEBHOOK_DEFAULTS,
  WEBHOOKS_CONFIG_KEY,
  type WebhookEndpoint,
  type WebhookOptions,
  webhookOptionsSchema,
} from './config.ts';
export { ALL_EVENT_TYPES, WEBHOOK_EVENT_TYPES } from './event-types.ts';
export { webhooksFeature } from './feature.ts';
