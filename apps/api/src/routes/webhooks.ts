import {
  generateWebhookSecret,
  isUploadId,
  MAX_WEBHOOK_ENDPOINTS_PER_TENANT,
  newUploadId,
  WEBHOOK_EVENT_TYPES,
  type WebhookDelivery,
  type WebhookEndpoint,
  type WebhookEventType,
  type WebhookRepository,
} from '@hoist/core';
import { RemoteFetchError, validateRemoteUrl } from '@hoist/remote-fetch';
import type { FastifyInstance } from 'fastify';
import { HttpProblem, problemResponses } from '../problem.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { jsonBodyAjv } from '../json-body.js';

export interface WebhookRoutesOptions {
  webhooks: WebhookRepository;
  /** `URL_FETCH_ALLOW`: host:port entries that may be used although the address policy refuses them. */
  urlFetchAllow?: readonly string[] | undefined;
}

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string' } } } as const;

const endpointProperties = {
  id: { type: 'string', format: 'uuid' },
  url: { type: 'string' },
  events: { type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] } },
  createdAt: { type: 'string', format: 'date-time' },
} as const;

const endpointSchema = { type: 'object', required: ['id', 'url', 'events', 'createdAt'], properties: endpointProperties } as const;

const createdSchema = {
  type: 'object',
  required: ['id', 'url', 'events', 'secret', 'createdAt'],
  properties: {
    ...endpointProperties,
    secret: { type: 'string', description: 'The signing secret. Shown only in this answer: store it now.' },
  },
} as const;

const createBodySchema = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', minLength: 1, maxLength: 2048, description: 'http(s) URL the events are POSTed to; must reach a public address' },
    events: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] },
      description: 'Event types to receive; default: all',
    },
  },
} as const;

const attemptSchema = {
  type: 'object',
  required: ['attempt', 'startedAt', 'durationMs', 'statusCode', 'error', 'succeeded'],
  properties: {
    attempt: { type: 'integer' },
    startedAt: { type: 'string', format: 'date-time' },
    durationMs: { type: 'integer' },
    statusCode: { type: ['integer', 'null'], description: "The receiver's HTTP status, when it answered" },
    error: { type: ['string', 'null'], description: 'Why there was no usable answer (timeout, connection failed, address refused…)' },
    succeeded: { type: 'boolean' },
  },
} as const;

const deliverySchema = {
  type: 'object',
  required: ['id', 'eventId', 'eventType', 'uploadId', 'status', 'createdAt', 'updatedAt', 'completedAt', 'attempts'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    eventId: { type: 'string', format: 'uuid' },
    eventType: { type: 'string', enum: [...WEBHOOK_EVENT_TYPES] },
    uploadId: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['pending', 'succeeded', 'failed'], description: '`pending` while attempts remain; then the final outcome' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    completedAt: { type: ['string', 'null'], format: 'date-time' },
    attempts: { type: 'array', items: attemptSchema, description: 'Every attempt so far, oldest first' },
  },
} as const;

const deliveriesQuerySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    cursor: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const;

function toEndpointView(endpoint: WebhookEndpoint) {
  return { id: endpoint.id, url: endpoint.url, events: endpoint.events, createdAt: endpoint.createdAt.toISOString() };
}

function toDeliveryView(delivery: WebhookDelivery) {
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    eventType: delivery.eventType,
    uploadId: delivery.uploadId,
    status: delivery.status,
    createdAt: delivery.createdAt.toISOString(),
    updatedAt: delivery.updatedAt.toISOString(),
    completedAt: delivery.completedAt?.toISOString() ?? null,
    attempts: delivery.attempts.map((attempt) => ({ ...attempt, startedAt: attempt.startedAt.toISOString() })),
  };
}

const notFound = (id: string) => new HttpProblem(404, 'webhook-not-found', 'Webhook not found', `No webhook with id "${id}".`);

/**
 * /v1/webhooks: a tenant's webhook endpoints and their deliveries. Tenant-scoped like uploads:
 * another tenant's endpoint answers 404, exactly like an unknown one.
 */
export function webhookRoutes(app: FastifyInstance, options: WebhookRoutesOptions): void {
  const { webhooks } = options;
  const allow = options.urlFetchAllow ?? [];

  const findOwn = async (tenantId: string, id: string) => {
    const endpoint = isUploadId(id) ? await webhooks.findEndpoint(id, { tenantId }) : undefined;
    if (!endpoint) throw notFound(id);
    return endpoint;
  };

  app.post<{ Body: { url: string; events?: WebhookEventType[] } }>(
    '/webhooks',
    {
      schema: {
        summary: 'Register a webhook endpoint',
        description: `Events are POSTed to the URL, signed with the secret in this answer (shown only here). One endpoint per URL (409 \`webhook-url-taken\`), at most ${MAX_WEBHOOK_ENDPOINTS_PER_TENANT} per tenant (409 \`too-many-webhooks\`).`,
        tags: ['webhooks'],
        body: createBodySchema,
        response: { 201: createdSchema, ...problemResponses(400, 401, 409, 415, 422, 503) },
      },
      // Validated as sent: Fastify's default Ajv coerces types, which would turn `"events": "upload.failed"` into a list.
      validatorCompiler: ({ schema }) => jsonBodyAjv.compile(schema),
    },
    async (request, reply) => {
      let url: string;
      try {
        url = validateRemoteUrl(request.body.url, { allow }).url.href;
      } catch (error) {
        if (!(error instanceof RemoteFetchError)) throw error;
        if (error.code === 'invalid_url') throw new HttpProblem(400, 'invalid-field', 'Invalid field', `url: ${error.message}`, { field: 'url' });
        throw new HttpProblem(422, 'url-not-allowed', 'URL not allowed', error.message, { field: 'url', reason: error.code });
      }
      const tenantId = request.tenantId;
      // The cap and a duplicate URL are 409s (domain-problems.ts).
      const endpoint = await webhooks.createEndpoint(
        { id: newUploadId(), tenantId, url, events: request.body.events ?? [...WEBHOOK_EVENT_TYPES], secret: generateWebhookSecret() },
        { maxPerTenant: MAX_WEBHOOK_ENDPOINTS_PER_TENANT },
      );
      request.log.info({ webhookId: endpoint.id, tenantId }, 'webhook endpoint registered');
      return reply
        .code(201)
        .header('location', `/v1/webhooks/${endpoint.id}`)
        .send({ ...toEndpointView(endpoint), secret: endpoint.secret });
    },
  );

  app.get(
    '/webhooks',
    {
      schema: {
        summary: "List the tenant's webhook endpoints",
        tags: ['webhooks'],
        response: { 200: { type: 'object', required: ['webhooks'], properties: { webhooks: { type: 'array', items: endpointSchema } } }, ...problemResponses(401, 503) },
      },
    },
    async (request) => {
      const endpoints = await webhooks.listEndpoints(request.tenantId);
      return { webhooks: endpoints.map(toEndpointView) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/webhooks/:id',
    { schema: { summary: 'Get a webhook endpoint (without its secret)', tags: ['webhooks'], params: idParams, response: { 200: endpointSchema, ...problemResponses(401, 404, 503) } } },
    async (request) => toEndpointView(await findOwn(request.tenantId, request.params.id)),
  );

  app.delete<{ Params: { id: string } }>(
    '/webhooks/:id',
    {
      schema: {
        summary: 'Delete a webhook endpoint and its delivery history; pending deliveries to it are dropped',
        tags: ['webhooks'],
        params: idParams,
        response: { 204: { type: 'null', description: 'Deleted' }, ...problemResponses(401, 404, 503) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const deleted = isUploadId(id) && (await webhooks.deleteEndpoint(id, { tenantId: request.tenantId }));
      if (!deleted) throw notFound(id);
      request.log.info({ webhookId: id, tenantId: request.tenantId }, 'webhook endpoint deleted');
      return reply.code(204).send();
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit?: number; cursor?: string } }>(
    '/webhooks/:id/deliveries',
    {
      schema: {
        summary: "A webhook endpoint's deliveries, newest first, with every attempt",
        tags: ['webhooks'],
        params: idParams,
        querystring: deliveriesQuerySchema,
        response: {
          200: { type: 'object', required: ['deliveries', 'nextCursor'], properties: { deliveries: { type: 'array', items: deliverySchema }, nextCursor: { type: ['string', 'null'] } } },
          ...problemResponses(400, 401, 404, 503),
        },
      },
    },
    async (request) => {
      const endpoint = await findOwn(request.tenantId, request.params.id);
      const { limit = 20, cursor } = request.query;
      const page = await webhooks
        // One more than asked tells whether there is a next page without a count query.
        .listDeliveries(endpoint.id, { limit: limit + 1, beforeId: cursor ? decodeCursor(cursor) : undefined });
      const items = page.slice(0, limit);
      const last = items.at(-1);
      return { deliveries: items.map(toDeliveryView), nextCursor: page.length > limit && last ? encodeCursor(last.id) : null };
    },
  );
}
