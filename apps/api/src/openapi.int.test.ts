import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { multipartBody } from '../../../test/support/multipart.js';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { testAppDeps } from './test-support/app-deps.js';
import { useTestApp } from './test-support/use-test-app.js';

const { db } = useTestDatabase();
const app = useTestApp(() => testAppDeps(db));

type Operation = { responses: Record<string, { content?: Record<string, { schema: unknown }> }> };
type Spec = { openapi: string; paths: Record<string, Record<string, Operation>> };

async function spec(): Promise<Spec> {
  const response = await app.inject({ method: 'GET', url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  return response.json<Spec>();
}

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document, public, with browsable docs', async () => {
    const document = await spec();
    expect(document.openapi).toBe('3.1.0');
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const docs = await app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.headers['content-type']).toMatch(/text\/html/);
  });

  it('documents every public route', async () => {
    const document = await spec();
    expect(Object.keys(document.paths).sort()).toEqual(['/healthz', '/readyz', '/v1/uploads', '/v1/uploads/{id}', '/v1/uploads/{id}/cancel', '/v1/uploads/{id}/events', '/v1/uploads/{id}/retry', '/v1/webhooks', '/v1/webhooks/{id}', '/v1/webhooks/{id}/deliveries']);
    expect(Object.keys(document.paths['/v1/uploads']!).sort()).toEqual(['get', 'post']);
  });

  it('describes the responses the routes really give', async () => {
    const document = await spec();
    // Compile the documented schemas with the server's own validator and check live answers.
    const schemaFor = (path: string, method: string, status: number, type = 'application/json') =>
      document.paths[path]![method]!.responses[String(status)]!.content![type]!.schema;
    const { payload, headers } = await multipartBody([{ name: 'file', file: makePng(2, 2), filename: 'a.png' }]);
    const accepted = await app.inject({ method: 'POST', url: '/v1/uploads', payload, headers });
    const fetched = await app.inject({ method: 'GET', url: accepted.json<{ statusUrl: string }>().statusUrl });
    const listed = await app.inject({ method: 'GET', url: '/v1/uploads?limit=5' });
    const missing = await app.inject({ method: 'GET', url: '/v1/uploads/nope' });
    const id = accepted.json<{ id: string }>().id;
    const fromUrl = await app.inject({ method: 'POST', url: '/v1/uploads', payload: { url: 'https://example.com/a.png', tags: ['x'] } });
    const refusedUrl = await app.inject({ method: 'POST', url: '/v1/uploads', payload: { url: 'http://10.0.0.1/a.png' } });
    const notRetryable = await app.inject({ method: 'POST', url: `/v1/uploads/${id}/retry` });
    const notFinished = await app.inject({ method: 'DELETE', url: `/v1/uploads/${id}` });
    const cancelled = await app.inject({ method: 'POST', url: `/v1/uploads/${id}/cancel` });
    expect([fromUrl.statusCode, refusedUrl.statusCode, notRetryable.statusCode, notFinished.statusCode, cancelled.statusCode]).toEqual([202, 422, 409, 409, 200]);
    const checks: Array<[unknown, unknown]> = [
      [schemaFor('/v1/uploads', 'post', 202), fromUrl.json()],
      [schemaFor('/v1/uploads', 'post', 422, 'application/problem+json'), refusedUrl.json()],
      [schemaFor('/v1/uploads/{id}/retry', 'post', 409, 'application/problem+json'), notRetryable.json()],
      [schemaFor('/v1/uploads/{id}', 'delete', 409, 'application/problem+json'), notFinished.json()],
      [schemaFor('/v1/uploads/{id}/cancel', 'post', 200), cancelled.json()],
      [schemaFor('/v1/uploads', 'post', 202), accepted.json()],
      [schemaFor('/v1/uploads/{id}', 'get', 200), fetched.json()],
      [schemaFor('/v1/uploads', 'get', 200), listed.json()],
      [schemaFor('/v1/uploads/{id}', 'get', 404, 'application/problem+json'), missing.json()],
    ];
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    for (const [schema, body] of checks) {
      const validate = ajv.compile(schema as object);
      expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
    }
  });
});
