// Distinct small PNG uploads, cheap enough to make one per request: Hoist dedupes identical content,
// so a benchmark that posted the same bytes twice would measure the dedupe answer, not the accept
// path. One noisy ~10 KB PNG is made once; each request gets a copy whose tEXt comment holds its own
// number (and the comment's CRC fixed up), wrapped in the same multipart envelope.
import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { makePng } from '../../test/support/fixtures.js';

const DIGITS = 16;

export interface SmallFiles {
  /** Bytes of every file (they all have the same size). */
  size: number;
  /** The n-th distinct PNG file. */
  file: (n: number) => Buffer;
  /** The n-th file as a multipart/form-data body (field `file`). */
  multipart: (n: number) => Buffer;
  /** Headers of every multipart body. */
  headers: Record<string, string>;
}

/** Files of about `approxBytes` (default 10 KB); `salt` makes this run's files differ from any earlier run's. */
export function smallFiles(approxBytes = 10_000, salt = randomBytes(4).toString('hex')): SmallFiles {
  const side = Math.max(8, Math.round(Math.sqrt(approxBytes / 3)));
  const template = makePng(side, side, 1, { noisy: true, text: `${salt}-${'0'.repeat(DIGITS)}` });
  // The tEXt chunk comes right after the signature (8) and IHDR (25): length(4) type(4) data crc(4).
  const textStart = 8 + 25;
  const dataLength = template.readUInt32BE(textStart);
  const dataStart = textStart + 8;
  const digitsAt = dataStart + dataLength - DIGITS;
  const crcAt = dataStart + dataLength;
  const file = (n: number): Buffer => {
    const copy = Buffer.from(template);
    copy.write(String(n).padStart(DIGITS, '0'), digitsAt, 'latin1');
    copy.writeUInt32BE(crc32(copy.subarray(textStart + 4, crcAt)), crcAt);
    return copy;
  };
  const boundary = `hoistbench${salt}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench.png"\r\nContent-Type: image/png\r\n\r\n`, 'latin1');
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  return {
    size: template.length,
    file,
    multipart: (n) => Buffer.concat([head, file(n), tail]),
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  };
}
