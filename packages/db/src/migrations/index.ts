import type { Migration } from 'kysely/migration';
import * as createUpload from './0001-create-upload.js';
import * as outboxAndChunkProgress from './0002-outbox-and-chunk-progress.js';
import * as tenantsAndApiKeys from './0003-tenants-and-api-keys.js';
import * as idempotencyKeys from './0004-idempotency-keys.js';
import * as cancelledStatus from './0005-cancelled-status.js';
import * as dedupeIndex from './0006-dedupe-index.js';
import * as uploadOptions from './0007-upload-options.js';
import * as urlUploadsAndDeletion from './0008-url-uploads-and-deletion.js';
import * as webhooks from './0009-webhooks.js';
import * as tenantUnfinishedIndex from './0010-tenant-unfinished-index.js';
import * as webhookEventCreatedAtIndex from './0011-webhook-event-created-at-index.js';
import * as publicIdIndex from './0012-public-id-index.js';
import * as claimTokenAndReclaims from './0013-claim-token-and-reclaims.js';
import * as receivingStatus from './0014-receiving-status.js';
import * as createUploadUnderCap from './0015-create-upload-under-cap.js';
import * as providers from './0016-providers.js';

/** Every migration, in order. Append only: never edit or reorder one that has shipped. */
export const migrations: Record<string, Migration> = {
  '0001-create-upload': createUpload,
  '0002-outbox-and-chunk-progress': outboxAndChunkProgress,
  '0003-tenants-and-api-keys': tenantsAndApiKeys,
  '0004-idempotency-keys': idempotencyKeys,
  '0005-cancelled-status': cancelledStatus,
  '0006-dedupe-index': dedupeIndex,
  '0007-upload-options': uploadOptions,
  '0008-url-uploads-and-deletion': urlUploadsAndDeletion,
  '0009-webhooks': webhooks,
  '0010-tenant-unfinished-index': tenantUnfinishedIndex,
  '0011-webhook-event-created-at-index': webhookEventCreatedAtIndex,
  '0012-public-id-index': publicIdIndex,
  '0013-claim-token-and-reclaims': claimTokenAndReclaims,
  '0014-receiving-status': receivingStatus,
  '0015-create-upload-under-cap': createUploadUnderCap,
  '0016-providers': providers,
};
