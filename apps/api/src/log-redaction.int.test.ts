import { Writable } from 'node:stream';
import { pinoOptions } from '@hoist/logger';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { buildApp } from './app.js';
import { testAppDeps } from './test-support/app-deps.js';

// A client that sends its key in the query string is refused, and the key must not reach the logs
// through the request line the API writes for every request. A client's X-Request-Id becomes the
// `reqId` of every line about its request: only when it is short, visible ASCII.

const { db } = useTestDatabase();

function capturedLogger(level = 'debug') {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: pino(pinoOptions({ name: 'api-test', level, format: 'json' }), sink) };
}

describe('request logs', () => {
  it('never carry a credential sent in the query string, but still show the request', async () => {
    const { lines, logger } = capturedLogger();
    const app = await buildApp(testAppDeps(db, { logger, auth: { mode: 'on', apiKeys: testAppDeps(db).auth.apiKeys } }));
    const refused = await app.inject({ method: 'GET', url: '/v1/uploads?access_token=hoist_sk_LEAKED1&limit=5' });
    await app.inject({ method: 'GET', url: '/healthz?X-Amz-Signature=LEAKED2&api_key=LEAKED3' });
    await app.close();
    expect(refused.statusCode).toBe(401);
    const output = lines.join('');
    for (const secret of ['LEAKED1', 'LEAKED2', 'LEAKED3']) expect(output).not.toContain(secret);
    expect(output).toContain('/v1/uploads?access_token=***&limit=5');
  });
});

describe('X-Request-Id', () => {
  async function reqIdsFor(requestId: string): Promise<string[]> {
    const { lines, logger } = capturedLogger();
    const app = await buildApp(testAppDeps(db, { logger }));
    await app.inject({ method: 'GET', url: '/v1/uploads', headers: { 'x-request-id': requestId } });
    await app.close();
    return lines.map((line) => (JSON.parse(line) as { reqId?: string }).reqId).filter((id): id is string => id !== undefined);
  }

  it("is honoured when it is 1–128 visible ASCII characters", async () => {
    const ids = await reqIdsFor('trace-0af7651916cd43dd8448eb211c80319c');
    expect(ids.length).toBeGreaterThan(0);
    expect(new Set(ids)).toEqual(new Set(['trace-0af7651916cd43dd8448eb211c80319c']));
  });

  it('is replaced by a generated id when it is huge or holds control or non-ASCII characters', async () => {
    for (const hostile of ['x'.repeat(5_000), 'id\twith\ttabs', 'fake\u00e9id', 'a'.repeat(129)]) {
      const ids = await reqIdsFor(hostile);
      expect(ids.length).toBeGreaterThan(0);
      for (const id of ids) {
        expect(id).not.toBe(hostile);
        expect(id).toMatch(/^[\x21-\x7e]{1,128}$/);
      }
    }
  });
});
