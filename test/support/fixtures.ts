import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));

/** A real file from test/fixtures. */
export function fixture(name: string): Buffer {
  return readFileSync(join(here, '..', 'fixtures', name));
}

/** Absolute path of a file in test/fixtures. */
export function fixturePath(name: string): string {
  return join(here, '..', 'fixtures', name);
}

/** The eight bytes every PNG starts with. */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One PNG chunk: length, type, data and the CRC of type and data. */
export function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** The 13 bytes of an IHDR chunk for an 8-bit RGB image (deflate, no filter, no interlace). */
export function rgbHeader(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return header;
}

/**
 * The start of a PNG file of `size` bytes: the signature, a valid IHDR and the header of an IDAT
 * chunk that claims the rest, for large files whose body is filler. The API's sniffer (file-type)
 * walks PNG chunk headers until it meets IDAT; without that header it would read the filler as a
 * chunk length and give up.
 */
export function pngHead(size: number): Buffer {
  const ihdr = pngChunk('IHDR', rgbHeader(4096, 4096));
  const idat = Buffer.alloc(8);
  idat.writeUInt32BE(Math.min(2 ** 31 - 1, Math.max(0, size - PNG_SIGNATURE.length - ihdr.length - idat.length)), 0);
  idat.write('IDAT', 4, 'latin1');
  return Buffer.concat([PNG_SIGNATURE, ihdr, idat]);
}

/** A `size`-byte file the API accepts as a PNG: {@link pngHead}, then random filler without CR (never a multipart delimiter). */
export function largePng(size: number): Buffer {
  const head = pngHead(size);
  const filler = randomBytes(size - head.length);
  for (let i = 0; i < filler.length; i++) if (filler[i] === 0x0d) filler[i] = 0x0e;
  return Buffer.concat([head, filler]);
}

/**
 * A valid RGB PNG of the given size; `seed` varies the pixels so files differ. `noisy` makes the
 * pixel data incompressible, for files big enough to need several chunks; `text` adds a tEXt comment,
 * which makes any number of files distinct (the drills post hundreds, each with its own MD5).
 */
export function makePng(width: number, height: number, seed = 0, options: { noisy?: boolean; text?: string } = {}): Buffer {
  const rows: Buffer[] = [];
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width * 3; x++) {
      if (options.noisy) {
        // xorshift32: cheap bytes deflate cannot shrink
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        state >>>= 0;
      }
      row[1 + x] = options.noisy ? state & 0xff : (x * 7 + y * 13 + seed) & 0xff;
    }
    rows.push(row);
  }
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', rgbHeader(width, height)),
    ...(options.text === undefined ? [] : [pngChunk('tEXt', Buffer.from(`Comment\0${options.text}`, 'latin1'))]),
    pngChunk('IDAT', deflateSync(Buffer.concat(rows))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
