import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalTempStorage } from '@hoist/temp-storage';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { multipartBody } from '../../../test/support/multipart.js';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { buildApp } from './app.js';
import { testAppDeps } from './test-support/app-deps.js';

const MAX_BYTES = 64 * 1024;

const { db } = useTestDatabase();
let app: FastifyInstance;
let base: string;
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'hoist-multi-'));
  app = await buildApp(testAppDeps(db, { storage: await new LocalTempStorage({ directory }).init(), maxUploadBytes: MAX_BYTES }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app.close();
  await rm(directory, { recursive: true, force: true });
});

async function tempFiles(): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

/** POSTs `body` the way a client on a real network does: in 16 KiB writes, a little apart. */
function postSlowly(body: Buffer, headers: Record<string, string>): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/v1/uploads`, { method: 'POST', headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown }));
    });
    req.on('error', reject);
    void (async () => {
      for (let offset = 0; offset < body.length; offset += 16 * 1024) {
        if (!req.write(body.subarray(offset, offset + 16 * 1024))) await new Promise((drained) => req.once('drain', drained));
        await sleep(1);
      }
      req.end();
    })();
  });
}

type Entry = { id?: string; status?: string; filename?: string; error?: { status: number; type: string } };

describe('several files in "files", over real HTTP', () => {
  for (const size of [4 * 1024, 200 * 1024, 2 * 1024 * 1024]) {
    it(`answers one entry per file, in order, when refused parts are ${size / 1024} KiB`, async () => {
      const before = (await tempFiles()).length;
      const { payload, headers } = await multipartBody([
        { name: 'files', file: makePng(3, 3, 1), filename: 'one.png' },
        { name: 'files', file: Buffer.alloc(size, 'not an image '), filename: 'two.png' },
        { name: 'files', file: makePng(3, 3, 2), filename: 'three.png' },
        { name: 'files', file: Buffer.concat([makePng(2, 2), Buffer.alloc(Math.max(size, MAX_BYTES + 1))]), filename: 'four.png' },
        { name: 'files', file: makePng(3, 3, 3), filename: 'five.png' },
      ]);
      const response = await postSlowly(payload, headers);
      expect(response.status).toBe(202);
      const { uploads } = response.json as { uploads: Entry[] };
      expect(uploads.map((entry) => entry.filename ?? entry.status)).toEqual(['queued', 'two.png', 'queued', 'four.png', 'queued']);
      expect(uploads[1]?.error).toMatchObject({ status: 415, type: 'urn:hoist:problem:unsupported-file-type' });
      expect(uploads[3]?.error).toMatchObject({ status: 413, type: 'urn:hoist:problem:file-too-large' });
      // The refused parts leave nothing behind; the three accepted files are kept.
      expect((await tempFiles()).length - before).toBe(3);
    });
  }
});
