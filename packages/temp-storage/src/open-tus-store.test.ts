import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3TusStore } from '@hoist/temp-storage-s3';
import { FileStore } from '@tus/file-store';
import { afterAll, describe, expect, it } from 'vitest';
import { openTusStore } from './open-tus-store.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('openTusStore', () => {
  it('keeps tus parts in <dir>/tus beside directory temp storage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'hoist-tus-store-'));
    dirs.push(dir);
    const store = await openTusStore({ kind: 'file', directory: dir }, { expirationMs: 60_000 });
    expect(store).toBeInstanceOf(FileStore);
    expect(await readdir(dir)).toEqual(['tus']);
    expect(store.getExpiration()).toBe(60_000);
  });

  it('keeps tus parts in the temp-storage bucket under <prefix>tus/, touching no local directory', async () => {
    const store = await openTusStore({ kind: 's3', bucket: 'b', prefix: 'hoist/tmp', endpoint: 'http://127.0.0.1:1', region: undefined }, { expirationMs: 60_000 });
    expect(store).toBeInstanceOf(S3TusStore);
    expect((store as S3TusStore).objectKey('01a2')).toBe('hoist/tmp/tus/01a2');
    const rootPrefix = await openTusStore({ kind: 's3', bucket: 'b', prefix: '', endpoint: undefined, region: 'eu-west-1' }, { expirationMs: 1 });
    expect((rootPrefix as S3TusStore).objectKey('01a2')).toBe('tus/01a2');
  });
});
