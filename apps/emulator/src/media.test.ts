import { describe, expect, it } from 'vitest';
import { PdfPageCounter, sniff } from './media.js';
import { makePng } from '../../../test/support/fixtures.js';

describe('sniff', () => {
  it('reads image dimensions and recognises PDF and video signatures', () => {
    expect(sniff(makePng(3, 2))).toEqual({ resourceType: 'image', format: 'png', width: 3, height: 2 });
    expect(sniff(Buffer.from('%PDF-1.7\n'))).toEqual({ resourceType: 'image', format: 'pdf' });
    expect(sniff(Buffer.from('\0\0\0\x18ftypisom\0\0\0\0', 'latin1'))).toEqual({ resourceType: 'video', format: 'mp4' });
    expect(sniff(Buffer.from('\0\0\0\x14ftypqt  \0\0\0\0', 'latin1'))).toEqual({ resourceType: 'video', format: 'mov' });
    expect(sniff(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, ...Buffer.from('....webm')]))).toEqual({ resourceType: 'video', format: 'webm' });
  });

  it('does not take random bytes with a weak signature for an image', () => {
    expect(sniff(Buffer.from('BM not really a bitmap'))).toBeUndefined();
    expect(sniff(Buffer.from('hello'))).toBeUndefined();
  });
});

describe('PdfPageCounter', () => {
  it('counts pages split across pieces and ignores /Pages', () => {
    const text = '<< /Type /Pages >> << /Type /Page >> << /Type/Page>> << /Type /Pages >>'.repeat(3);
    for (const size of [1, 5, 17, 64, 1000]) {
      const counter = new PdfPageCounter();
      for (let at = 0; at < text.length; at += size) counter.push(text.slice(at, at + size));
      expect(counter.total()).toBe(6);
    }
  });
});
