import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandInputs } from './inputs.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hoist-cli-inputs-'));
  await mkdir(join(dir, 'photos', 'raw'), { recursive: true });
  for (const name of ['b.png', 'a.png', 'notes.txt', 'raw/c.png']) await writeFile(join(dir, 'photos', name), name);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('expandInputs', () => {
  it('expands globs (sorted), keeps URLs, and sends a file named twice once', async () => {
    const inputs = await expandInputs(['photos/*.png', 'photos/a.png', 'https://example.com/x.jpg', 'photos/**/*.png', 'https://example.com/x.jpg'], dir);
    expect(inputs.map((input) => [input.kind, input.label])).toEqual([
      ['file', 'photos/a.png'],
      ['file', 'photos/b.png'],
      ['url', 'https://example.com/x.jpg'],
      ['file', 'photos/raw/c.png'],
    ]);
    expect(inputs[0]).toMatchObject({ path: join(dir, 'photos', 'a.png'), size: 'a.png'.length });
  });

  it('keeps what cannot be sent, with the reason: no such file, a directory, a glob that matches nothing', async () => {
    const inputs = await expandInputs(['missing.png', 'photos', 'photos/*.gif'], dir);
    expect(inputs).toEqual([
      { kind: 'unusable', label: 'missing.png', reason: 'no such file' },
      { kind: 'unusable', label: 'photos', reason: expect.stringContaining('is a directory') },
      { kind: 'unusable', label: 'photos/*.gif', reason: 'matches no file' },
    ]);
  });

  it('takes a name with glob characters literally when a file of exactly that name exists, and globs otherwise', async () => {
    await mkdir(join(dir, 'odd'), { recursive: true });
    // "[1]" as a glob is a class matching "photo 1.jpg"; the quoted name means the file called "photo [1].jpg".
    for (const name of ['photo [1].jpg', 'photo 1.jpg', 'what?.png', 'whatx.png', 'a (copy).png', 'star*.png', 'starry.png']) await writeFile(join(dir, 'odd', name), name);
    const inputs = await expandInputs(['odd/photo [1].jpg', 'odd/what?.png', 'odd/a (copy).png', 'odd/star*.png', 'odd/photo [2].jpg'], dir);
    expect(inputs.map((input) => [input.kind, input.label])).toEqual([
      ['file', 'odd/photo [1].jpg'],
      ['file', 'odd/what?.png'],
      ['file', 'odd/a (copy).png'],
      ['file', 'odd/star*.png'],
      // No such file: a glob, matching nothing.
      ['unusable', 'odd/photo [2].jpg'],
    ]);
    expect(inputs[0]).toMatchObject({ path: join(dir, 'odd', 'photo [1].jpg'), size: 'photo [1].jpg'.length });
    // Without a file of that name it still globs.
    expect((await expandInputs(['odd/star?y.png'], dir)).map((input) => input.label)).toEqual(['odd/starry.png']);
  });
});
