import { KyselyUploadRepository } from '@hoist/db';
import type { LightMyRequestResponse } from 'fastify';
import { describe, expect, it } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { multipartBody } from '../../../test/support/multipart.js';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { testAppDeps } from './test-support/app-deps.js';
import { useTestApp } from './test-support/use-test-app.js';

// Text Postgres cannot store (U+0000, unpaired UTF-16 surrogates) and timestamps JavaScript cannot
// represent (a leap second) are the client's mistake: a 400 naming the field, never a 5xx, wherever
// they arrive — query string, JSON body, multipart field.

const { db } = useTestDatabase();
const app = useTestApp(() => testAppDeps(db, { uploads: new KyselyUploadRepository(db) }));

function expectFieldProblem(response: LightMyRequestResponse, field: string): void {
  expect(response.statusCode, response.body).toBe(400);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  const problem = response.json<{ status: number; detail: string; field?: string }>();
  expect(problem.status).toBe(400);
  expect(problem.field ?? problem.detail).toContain(field);
}

describe('text Postgres cannot store', () => {
  it('refuses NUL and a lone surrogate in a list filter', async () => {
    expectFieldProblem(await app.inject({ method: 'GET', url: '/v1/uploads?tag=%00' }), 'tag');
    expectFieldProblem(await app.inject({ method: 'GET', url: `/v1/uploads?tag=a${encodeURIComponent('\u0000')}b` }), 'tag');
  });

  it('refuses NUL and lone surrogates in a JSON upload body, naming the field', async () => {
    const post = (payload: string) => app.inject({ method: 'POST', url: '/v1/uploads', payload, headers: { 'content-type': 'application/json' } });
    expectFieldProblem(await post('{"url":"https://example.com/a.png","metadata":{"note":"a\\u0000b"}}'), 'metadata');
    expectFieldProblem(await post('{"url":"https://example.com/a.png","metadata":{"note":"\\ud800"}}'), 'metadata');
    expectFieldProblem(await post('{"url":"https://example.com/a.png","tags":["\\udfff"]}'), 'tags');
    expectFieldProblem(await post('{"url":"https://example.com/a.png","folder":"a\\u0000"}'), 'folder');
  });

  it('refuses a body nested deeper than any route takes with a 400, not a 500 from a blown stack', async () => {
    const nested = `${'['.repeat(5_000)}${']'.repeat(5_000)}`;
    const response = await app.inject({ method: 'POST', url: '/v1/uploads', payload: `{"url":"https://example.com/a.png","metadata":{"deep":${nested}}}`, headers: { 'content-type': 'application/json' } });
    expectFieldProblem(response, 'metadata');
    expect(response.json<{ detail: string }>().detail).toMatch(/more than 64 deep/);
  });

  it('refuses them in multipart fields too, and keeps no upload', async () => {
    const send = async (name: string, value: string) => {
      const { payload, headers } = await multipartBody([
        { name, value },
        { name: 'file', file: makePng(1, 1), filename: 'a.png' },
      ]);
      return app.inject({ method: 'POST', url: '/v1/uploads', payload, headers });
    };
    expectFieldProblem(await send('metadata', '{"note":"a\\u0000b"}'), 'metadata');
    expectFieldProblem(await send('metadata', '{"note":"\\ud800"}'), 'metadata');
    expectFieldProblem(await send('metadata', '{"note":"fine","other":"\\udc00x"}'), 'metadata');
    expect(await db.selectFrom('upload').select('id').execute()).toEqual([]);
  });
});

describe('filenames', () => {
  it('cuts a long filename between characters, never inside a surrogate pair', async () => {
    const filename = `${'a'.repeat(254)}\u{1F600}.png`;
    const { payload, headers } = await multipartBody([{ name: 'file', file: makePng(1, 1), filename }]);
    const response = await app.inject({ method: 'POST', url: '/v1/uploads', payload, headers });
    expect(response.statusCode, response.body).toBe(202);
    const row = await db.selectFrom('upload').select('filename').where('id', '=', response.json<{ id: string }>().id).executeTakeFirstOrThrow();
    expect(row.filename).toBe(`${'a'.repeat(254)}\u{1F600}`);
  });
});

describe('timestamps JavaScript cannot represent', () => {
  it('refuses a leap second in a date filter with a 400 naming it', async () => {
    expectFieldProblem(await app.inject({ method: 'GET', url: '/v1/uploads?createdAfter=2016-12-31T23:59:60Z' }), 'createdAfter');
    expectFieldProblem(await app.inject({ method: 'GET', url: '/v1/uploads?createdBefore=2016-12-31T23:59:60Z' }), 'createdBefore');
  });

  it('still accepts ordinary timestamps with offsets and fractions', async () => {
    const response = await app.inject({ method: 'GET', url: `/v1/uploads?createdAfter=${encodeURIComponent('2016-12-31T23:59:59.999+01:00')}` });
    expect(response.statusCode).toBe(200);
  });
});
