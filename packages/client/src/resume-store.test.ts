import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NODE_PLATFORM } from './node-platform.js';
import type { RememberedUpload, UrlStorage } from './platform.js';

// The file that remembers unfinished tus uploads (`resumeFile`): shared by many uploads at once,
// kept whole whatever happens, and never the reason an upload fails.

const entry = (url: string): RememberedUpload => ({ size: 10, metadata: { filename: 'a.png' }, creationTime: new Date().toISOString(), urlStorageKey: '', uploadUrl: url, parallelUploadUrls: null });

let dir: string;
let file: string;
let store: UrlStorage;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoist-resume-'));
  file = join(dir, 'config', 'hoist', 'resume.json');
  store = NODE_PLATFORM.urlStorage(file)!;
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('resume file', () => {
  it('keeps every one of many uploads remembered at once, and finds each by its fingerprint', async () => {
    const keys = await Promise.all(Array.from({ length: 40 }, (_, i) => store.addUpload(`fp${i}`, entry(`http://api/v1/tus/${i}`))));
    expect(new Set(keys).size).toBe(40);
    expect(await store.findAllUploads()).toHaveLength(40);
    expect((await store.findUploadsByFingerprint('fp7')).map((e) => e.uploadUrl)).toEqual(['http://api/v1/tus/7']);
    expect(await store.findUploadsByFingerprint('fp')).toEqual([]);
    await Promise.all(keys.slice(0, 39).map((key) => store.removeUpload(key)));
    expect((await store.findAllUploads()).map((e) => e.uploadUrl)).toEqual(['http://api/v1/tus/39']);
    // Private: the directory and the file are the user's alone.
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'config', 'hoist'))).mode & 0o777).toBe(0o700);
  });

  it('reads a missing, truncated or foreign file as empty, and writes a whole one again', async () => {
    expect(await store.findAllUploads()).toEqual([]);
    await store.addUpload('fp', entry('http://api/v1/tus/1'));
    await writeFile(file, (await readFile(file, 'utf8')).slice(0, 20));
    expect(await store.findUploadsByFingerprint('fp')).toEqual([]);
    await writeFile(file, '[1,2,3]');
    expect(await store.findAllUploads()).toEqual([]);
    await store.addUpload('fp2', entry('http://api/v1/tus/2'));
    expect(Object.keys(JSON.parse(await readFile(file, 'utf8')) as object)).toHaveLength(1);
  });

  it('never rejects when the file cannot be written', async () => {
    // Its directory would be inside a regular file: every write fails (ENOTDIR), even for root.
    await writeFile(join(dir, 'a-file'), 'x');
    const blocked = NODE_PLATFORM.urlStorage(join(dir, 'a-file', 'hoist', 'resume.json'))!;
    await expect(blocked.addUpload('fp', entry('http://api/v1/tus/1'))).resolves.toMatch(/^tus::fp::/);
    await expect(blocked.findAllUploads()).resolves.toEqual([]);
    await expect(blocked.removeUpload('tus::fp::x')).resolves.toBeUndefined();
  });
});
