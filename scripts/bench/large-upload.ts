// A large multipart upload generated on the fly: the client never holds the file in memory or on
// disk. Used by `pnpm bench ingest-large` and `pnpm bench:memory`.
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import { pngHead } from '../../test/support/fixtures.js';

const KiB = 1024;
/** Size of each write to the socket. */
export const WRITE_CHUNK = 64 * KiB;
const FILLER_SIZE = 1024 * KiB;

function filler(): Buffer {
  const bytes = randomBytes(FILLER_SIZE);
  // No CR: the filler can never contain the multipart delimiter.
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0d) bytes[i] = 0x0e;
  return bytes;
}

let FILLER: Buffer | undefined;

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export interface UploadResponse {
  status: number | undefined;
  body: unknown;
  at: number;
}

export interface StreamUploadResult {
  response: UploadResponse;
  sent: number;
  complete: boolean;
  /** sha256 of the file bytes sent. */
  sha256: string;
  started: number;
  sentAt: number;
}

/**
 * Streams a multipart/form-data POST with a generated PNG-headed file of `size` bytes to
 * `http://127.0.0.1:<port><path>`, one 64 KiB write at a time, waiting for 'drain' whenever the
 * socket buffer is full. With `raw`, the body is the file alone (no multipart envelope), for a bare sink.
 */
export async function streamUpload(
  port: number,
  size: number,
  { path = '/v1/uploads', headers = {}, raw = false, signal, onProgress }: { path?: string; headers?: Record<string, string>; raw?: boolean; signal?: AbortSignal; onProgress?: (sent: number) => void } = {},
): Promise<StreamUploadResult> {
  FILLER ??= filler();
  const boundary = `hoist-bench-${randomBytes(16).toString('hex')}`;
  const preamble = raw ? Buffer.alloc(0) : Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench-${size}.png"\r\nContent-Type: image/png\r\n\r\n`, 'latin1');
  const epilogue = raw ? Buffer.alloc(0) : Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  const hash = createHash('sha256');
  const started = performance.now();

  const req = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path,
    agent: false,
    signal,
    headers: {
      ...headers,
      'content-type': raw ? 'application/octet-stream' : `multipart/form-data; boundary=${boundary}`,
      'content-length': String(preamble.length + size + epilogue.length),
    },
  });
  // The server may answer (and close) before the body is all sent, e.g. 413: stop writing then.
  let answered = false;
  const response = new Promise<UploadResponse>((resolve, reject) => {
    req.on('response', (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: parseBody(Buffer.concat(chunks).toString('utf8')), at: performance.now() }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  response.catch(() => undefined); // observed below; keeps an early failure from being "unhandled"

  const write = async (buffer: Buffer) => {
    if (!req.write(buffer)) await Promise.race([once(req, 'drain'), response]);
  };

  let sent = 0;
  try {
    if (preamble.length) await write(preamble);
    const head = pngHead(size).subarray(0, size);
    hash.update(head);
    await write(head);
    sent = head.length;
    let offset = 0;
    while (sent < size && !answered) {
      const length = Math.min(WRITE_CHUNK, size - sent, FILLER.length - offset);
      const chunk = FILLER.subarray(offset, offset + length);
      offset = (offset + length) % FILLER.length;
      hash.update(chunk);
      await write(chunk);
      sent += length;
      onProgress?.(sent);
    }
    if (!answered) req.end(epilogue);
  } catch (error) {
    // A write failed because the server closed early: its answer (if any) explains more than EPIPE.
    if (!answered) throw error;
  }
  const sentAt = performance.now();
  const res = await response;
  return { response: res, sent, complete: sent === size, sha256: hash.digest('hex'), started, sentAt };
}
