import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { TempObjectChangedError, TempObjectMissingError, TempStorageUnavailableError } from './errors.js';
import { sizeChecked } from './size-checked.js';

describe('sizeChecked', () => {
  it('passes a stream of the expected size through unchanged', async () => {
    expect(await text(sizeChecked(Readable.from([Buffer.from('abc'), Buffer.from('def')]), 6, 'k'))).toBe('abcdef');
  });

  it.each([
    ['shorter', ['abc'], 3],
    ['longer', ['abcdef', 'g'], 7],
  ])('fails a %s stream with TempObjectChangedError, saying how many bytes it saw', async (_how, chunks, seen) => {
    const error = await text(sizeChecked(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), 6, 'k')).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TempObjectChangedError);
    expect(error).toMatchObject({ key: 'k', expectedBytes: 6, storedBytes: seen });
  });

  it('fails as temp storage unavailable (to retry, never taken for the provider’s failure) when reading breaks', async () => {
    const broken = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    const source = new Readable({ read: () => undefined });
    const checked = sizeChecked(source, 6, 'k');
    source.destroy(broken);
    const error = await text(checked).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TempStorageUnavailableError);
    expect((error as Error).cause).toBe(broken);
  });

  it('passes a temp-storage error of the source through as it is', async () => {
    const missing = new TempObjectMissingError('k');
    const source = new Readable({ read: () => undefined });
    const checked = sizeChecked(source, 6, 'k');
    source.destroy(missing);
    await expect(text(checked)).rejects.toBe(missing);
  });
});
