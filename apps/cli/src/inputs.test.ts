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
});
