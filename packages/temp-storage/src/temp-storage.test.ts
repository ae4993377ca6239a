import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describeTempStorage } from '@hoist/core/conformance';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalTempStorage } from './local-temp-storage.js';

const dirs: string[] = [];
async function freshDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hoist-temp-storage-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describeTempStorage('LocalTempStorage', async () => new LocalTempStorage({ directory: await freshDir() }).init());

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

describe('LocalTempStorage on disk', () => {
  it('leaves no partial file behind when the source fails', async () => {
    const dir = await freshDir();
    const storage = await new LocalTempStorage({ directory: dir }).init();
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(4096));
        this.destroy(new Error('boom'));
      },
    });
    await expect(storage.write(failing)).rejects.toThrow('boom');
    expect(await listFiles(dir)).toEqual([]);
  });

  it('writes into a shard directory that was removed after this process made it', async () => {
    const dir = await freshDir();
    const storage = await new LocalTempStorage({ directory: dir }).init();
    // 64 writes make about 56 of the 256 shards known; 64 more after removing them all land in
    // known (and now missing) shards all but never by chance.
    for (let i = 0; i < 64; i += 1) await storage.write(Readable.from([Buffer.from('a')]));
    for (const shard of await readdir(dir)) await rm(join(dir, shard), { recursive: true });
    const keys = [];
    for (let i = 0; i < 64; i += 1) keys.push((await storage.write(Readable.from([Buffer.from('b')]))).key);
    for (const key of keys) expect(await storage.stat(key)).toEqual({ bytes: 1 });
  });

  it('lists and deletes a partial object left by a writer that died', async () => {
    const dir = await freshDir();
    const storage = await new LocalTempStorage({ directory: dir }).init();
    const key = '0a1b2c3d-0000-4000-8000-000000000000';
    await mkdir(join(dir, '0a'), { recursive: true });
    await writeFile(join(dir, '0a', `${key}.partial`), 'half');
    const listed = [];
    for await (const object of storage.list({ olderThan: new Date(Date.now() + 1_000) })) listed.push(object);
    expect(listed).toEqual([expect.objectContaining({ key, partial: true, bytes: 4 })]);
    await storage.delete(key);
    expect(await listFiles(dir)).toEqual([]);
  });

  it('leaves nothing after delete', async () => {
    const dir = await freshDir();
    const storage = await new LocalTempStorage({ directory: dir }).init();
    const { key } = await storage.write(Readable.from([Buffer.from('x')]));
    expect(await listFiles(dir)).toEqual([key]);
    await storage.delete(key);
    expect(await listFiles(dir)).toEqual([]);
  });

  it('keeps uploaded bytes readable by the service user only: directories 0700, files 0600', async () => {
    const dir = join(await freshDir(), 'objects');
    const storage = await new LocalTempStorage({ directory: dir }).init();
    const { key } = await storage.write(Readable.from([Buffer.from('private bytes')]));
    const mode = async (path: string) => (await stat(path)).mode & 0o777;
    expect((await mode(dir)).toString(8)).toBe('700');
    expect((await mode(join(dir, key.slice(0, 2)))).toString(8)).toBe('700');
    expect((await mode(join(dir, key.slice(0, 2), key))).toString(8)).toBe('600');
  });
});
