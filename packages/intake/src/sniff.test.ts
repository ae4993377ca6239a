import { describe, expect, it } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { sniffContentType } from './sniff.js';

const head = (text: string) => new TextEncoder().encode(text);

describe('sniffContentType', () => {
  it('tells formats by their bytes', async () => {
    expect(await sniffContentType(makePng(2, 2))).toBe('image/png');
    expect(await sniffContentType(head('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('image/svg+xml');
  });

  it('takes a file that starts with markup for markup, whatever magic bytes hide in it (an SVG posing as MP4 or HEIC)', async () => {
    expect(await sniffContentType(head('<!--ftypisom--><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'))).toBe('image/svg+xml');
    expect(await sniffContentType(head('\uFEFF <!--ftypheic--><svg xmlns="http://www.w3.org/2000/svg"/>'))).toBe('image/svg+xml');
    expect(await sniffContentType(head('<!--ftypisom--><html><script>alert(1)</script></html>'))).toBeUndefined();
  });
});
