import { RATE_LIMIT_STYLES } from './faults.js';

/** Fault counts: how many upload requests one scripted fault affects (1 when omitted). */
const count = { type: 'integer', minimum: 1, maximum: 1_000_000 } as const;

/** JSON schema of the `PUT /__emulator/faults` body. */
export const faultSettingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    latencyMs: { type: 'integer', minimum: 0, maximum: 600_000 },
    rateLimitPerSecond: { anyOf: [{ type: 'number', exclusiveMinimum: 0 }, { type: 'null' }] },
    rateLimitStyle: { enum: RATE_LIMIT_STYLES },
    script: {
      type: 'array',
      maxItems: 10_000,
      items: {
        oneOf: [
          {
            type: 'object',
            additionalProperties: false,
            required: ['kind'],
            properties: {
              kind: { const: 'rate_limit' },
              count,
              status: { enum: [420, 429] },
              resetInSeconds: { type: 'integer', minimum: 0, maximum: 86_400 },
              hint: { enum: ['headers', 'message', 'both', 'none'] },
              limit: { type: 'integer', minimum: 1 },
            },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['kind', 'status'],
            properties: {
              kind: { const: 'error' },
              count,
              status: { type: 'integer', minimum: 400, maximum: 599 },
              message: { type: 'string', maxLength: 1000 },
            },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['kind'],
            properties: { kind: { const: 'timeout' }, count, hangMs: { type: 'integer', minimum: 0, maximum: 600_000 } },
          },
          {
            type: 'object',
            additionalProperties: false,
            required: ['kind'],
            properties: { kind: { const: 'reset' }, count },
          },
        ],
      },
    },
  },
} as const;
