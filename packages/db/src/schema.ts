import type { ColumnType, Generated } from 'kysely';

/** Row shapes as Kysely sees them (camelCase via CamelCasePlugin). */
export interface UploadTable {
  id: string;
  status: 'receiving' | 'queued' | 'processing' | 'succeeded' | 'failed' | 'cancelled' | 'deleted';
  attempts: Generated<number>;
  filename: string;
  /** bigint: node-pg returns it as a string, the repository converts. */
  bytes: ColumnType<string | null, number | null, number | null>;
  contentType: string | null;
  sha256: string | null;
  storageKey: string | null;
  sourceUrl: ColumnType<string | null, string | null | undefined, never>;
  deletedAt: ColumnType<Date | null, never, Date | null>;
  retryCount: ColumnType<number, never, number>;
  publicId: string;
  provider: ColumnType<string, string, never>;
  tags: ColumnType<string[], string[] | undefined, string[]>;
  result: ColumnType<unknown, string | null, string | null>;
  errorCode: string | null;
  errorMessage: string | null;
  createdAt: ColumnType<Date, never, never>;
  updatedAt: ColumnType<Date, never, Date>;
  completedAt: ColumnType<Date | null, never, Date | null>;
  enqueuedAt: ColumnType<Date | null, never, Date | null>;
  chunkSession: string | null;
  /** bigint, as a string from node-pg. */
  chunkOffset: ColumnType<string, never, number>;
  tenantId: ColumnType<string, string | undefined, never>;
  metadata: ColumnType<unknown, string | null | undefined, never>;
  resourceType: ColumnType<'image' | 'video' | 'raw' | 'auto', 'image' | 'video' | 'raw' | 'auto' | undefined, never>;
  eager: ColumnType<string[], string[] | undefined, never>;
  /** The fencing token of the current (or last) run; set by claim only. */
  claimToken: ColumnType<string | null, never, string | null>;
  reclaimCount: ColumnType<number, never, number>;
}

export interface TenantTable {
  id: string;
  defaultProvider: ColumnType<string | null, string | null | undefined, string | null>;
  createdAt: ColumnType<Date, never, never>;
}

export interface ApiKeyTable {
  id: string;
  tenantId: string;
  keyHash: string;
  keyPrefix: string;
  name: string | null;
  createdAt: ColumnType<Date, never, never>;
  revokedAt: ColumnType<Date | null, never, Date | null>;
}

export interface IdempotencyKeyTable {
  tenantId: string;
  key: string;
  fingerprint: string;
  uploadId: string;
  createdAt: ColumnType<Date, never, never>;
}

export interface WebhookEndpointTable {
  id: string;
  tenantId: string;
  url: string;
  events: string[];
  secret: string;
  createdAt: ColumnType<Date, never, never>;
}

export interface WebhookEventTable {
  id: Generated<string>;
  tenantId: string;
  type: string;
  uploadId: string;
  /** The upload row (snake_case keys, as to_jsonb wrote it) when the event happened. */
  upload: unknown;
  createdAt: ColumnType<Date, never, never>;
  relayedAt: ColumnType<Date | null, never, Date | null>;
}

export interface WebhookDeliveryTable {
  id: string;
  eventId: string;
  endpointId: string;
  status: ColumnType<'pending' | 'succeeded' | 'failed', never, 'pending' | 'succeeded' | 'failed'>;
  attempts: ColumnType<number, never, number>;
  createdAt: ColumnType<Date, never, never>;
  updatedAt: ColumnType<Date, never, Date>;
  completedAt: ColumnType<Date | null, never, Date | null>;
  enqueuedAt: ColumnType<Date | null, never, Date | null>;
}

export interface WebhookDeliveryAttemptTable {
  deliveryId: string;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  succeeded: boolean;
}

export interface Database {
  webhookEndpoint: WebhookEndpointTable;
  webhookEvent: WebhookEventTable;
  webhookDelivery: WebhookDeliveryTable;
  webhookDeliveryAttempt: WebhookDeliveryAttemptTable;
  upload: UploadTable;
  idempotencyKey: IdempotencyKeyTable;
  tenant: TenantTable;
  apiKey: ApiKeyTable;
}
