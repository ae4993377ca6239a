export * from './deliver-webhook.js';
export * from './prune-webhooks.js';
export * from './relay-webhooks.js';
export * from './webhook.js';
export type * from './webhook.repository.js';
export * from './webhook-signature.js';
