import type { DeliveryWork, WebhookAttempt, WebhookDelivery, WebhookEndpoint } from './webhook.js';

/** Webhook endpoints, events and deliveries in the source of truth. Every read the API makes is scoped by tenant. */
export interface WebhookRepository {
  /**
   * Registers an endpoint. One per tenant and URL; with `maxPerTenant` (> 0), at most that many per
   * tenant. Both are checked and the row inserted atomically with respect to every other
   * registration of the tenant, so concurrent requests can never get past them.
   * @throws WebhookUrlTakenError when the tenant already has an endpoint for `url` (nothing is written).
   * @throws TooManyWebhookEndpointsError when the tenant already has `maxPerTenant` endpoints (nothing is written).
   */
  createEndpoint(endpoint: Omit<WebhookEndpoint, 'createdAt'>, options?: { maxPerTenant?: number | undefined }): Promise<WebhookEndpoint>;

  /** The tenant's endpoints, newest first. */
  listEndpoints(tenantId: string): Promise<WebhookEndpoint[]>;

  countEndpoints(tenantId: string): Promise<number>;

  /** The endpoint, only if it belongs to `tenantId`. */
  findEndpoint(id: string, scope: { tenantId: string }): Promise<WebhookEndpoint | undefined>;

  /**
   * Deletes the endpoint with its deliveries; pending deliveries to it are dropped.
   * @returns false when it does not exist or belongs to another tenant.
   */
  deleteEndpoint(id: string, scope: { tenantId: string }): Promise<boolean>;

  /** The endpoint's deliveries, newest first, keyset-paginated on the time-ordered id. */
  listDeliveries(endpointId: string, page: { limit: number; beforeId?: string | undefined }): Promise<WebhookDelivery[]>;

  /**
   * Fans up to `limit` unrelayed events out to the deliveries they need (one per endpoint of the
   * event's tenant that subscribes to its type and existed when it happened) and marks them relayed,
   * in one transaction. Only a tenant's `maxEndpointsPerTenant` oldest endpoints (> 0; default: all)
   * get deliveries, which bounds what one event can fan out to. Events locked by another relay are skipped (`FOR UPDATE SKIP LOCKED`), so
   * relays in several processes share the work and never double it.
   */
  relayEvents(options: { limit: number; newId: () => string; maxEndpointsPerTenant?: number | undefined }): Promise<{ events: number; deliveries: number }>;

  /** Pending deliveries not yet handed to the queue (the outbox), oldest first. */
  listUnenqueuedDeliveries(limit: number): Promise<string[]>;

  /**
   * For each given delivery: its tenant, and how many pending deliveries that tenant has in all
   * (the fair-share backlog). Deliveries that no longer exist are left out.
   */
  deliveryBacklogs(ids: readonly string[]): Promise<Array<{ id: string; tenantId: string; backlog: number }>>;

  /** The delivery's job is in the queue. Idempotent. */
  markDeliveryEnqueued(id: string): Promise<void>;

  /** Pending deliveries untouched since `before`, by id, for checking that their job still exists. */
  listStalePendingDeliveries(options: { before: Date; limit: number; afterId?: string | undefined }): Promise<string[]>;

  /** Everything a delivery job needs, or undefined when the delivery (or its endpoint) is gone. */
  findDeliveryWork(id: string): Promise<DeliveryWork | undefined>;

  /**
   * Starts an attempt: a pending delivery's attempt count + 1.
   * @returns the new attempt's number, or undefined when the delivery is no longer pending.
   */
  startAttempt(id: string): Promise<number | undefined>;

  /**
   * Records a finished attempt and, when `final` is given, ends a pending delivery with it (guarded:
   * a finished delivery stays as it is). Idempotent per attempt number.
   */
  recordAttempt(id: string, attempt: WebhookAttempt, final?: 'succeeded' | 'failed'): Promise<void>;

  /** pending → failed, for a job the queue gave up on. @returns false when it was already finished. */
  markDeliveryFailed(id: string): Promise<boolean>;
  /**
   * One bounded step of retention: deletes up to `limit` attempts, then up to `limit` deliveries that
   * have no attempts left, then up to `limit` events that have no deliveries left — each a statement
   * of its own, so no step holds many row locks — of events created before `before` that were relayed
   * and have no pending delivery. An event with a pending delivery, or not yet relayed, is never
   * touched. Call again until every count is below `limit`. Safe to run concurrently.
   * @returns how many rows of each kind were deleted.
   */
  pruneFinished(options: { before: Date; limit: number }): Promise<{ events: number; deliveries: number; attempts: number }>;
}
