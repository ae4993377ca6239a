import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  PermanentProviderError,
  RateLimitedError,
  RetryableProviderError,
  TempObjectMissingError,
  type ByteRange,
  type ChunkProgress,
  type ProviderUploadRequest,
} from '@hoist/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chunkRetryPolicy } from './chunk-retry.js';
import { uploadInChunks } from './chunked-upload.js';
import { CloudinaryProvider, type CloudinaryProviderOptions } from './cloudinary.provider.js';
import { startEmulator, type TestEmulator } from './test-support/emulator.js';

// Chunked uploads with the real SDK against the project's emulator, which implements Cloudinary's
// protocol: X-Unique-Upload-Id sessions, Content-Range chunks, idempotent repeats.

const MB = 1_000_000;
/** Four chunks of 5 MB (Cloudinary's minimum): 5 + 5 + 5 + 1. */
const BYTES = 16 * MB;
const CHUNK = 5 * MB;

let emulator: TestEmulator;
let base: string;
let provider: CloudinaryProvider;
let body: Buffer;

function providerOptions(secret = 'hoist-local-secret'): CloudinaryProviderOptions {
  return {
    url: `cloudinary://hoist-local-key:${secret}@hoist-local?upload_prefix=${base}`,
    timeoutMs: 5_000,
    chunkThresholdBytes: 6 * MB,
    chunkSizeBytes: CHUNK,
    // Same three tries as production, with tiny delays to keep the tests fast.
    chunkRetry: { baseDelayMs: 5, maxDelayMs: 20 },
  };
}

beforeAll(async () => {
  emulator = await startEmulator();
  base = emulator.url;
  provider = await CloudinaryProvider.create(providerOptions());
  body = randomBytes(BYTES);
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(async () => {
  await emulator.setFaults(undefined);
});

const faults = (settings: unknown) => emulator.setFaults(settings);

/** Upload requests the emulator has seen, each chunk (and each retry of one) counting once. */
async function uploadRequests(): Promise<number> {
  return ((await (await fetch(`${base}/__emulator/stats`)).json()) as { uploads: number }).uploads;
}

async function writesOf(publicId: string): Promise<number[]> {
  const { assets } = (await (await fetch(`${base}/__emulator/assets`)).json()) as { assets: Array<{ public_id: string; writes: number }> };
  return assets.filter((asset) => asset.public_id === publicId).map((asset) => asset.writes);
}

async function served(url: string): Promise<Buffer> {
  return Buffer.from(await (await fetch(url)).arrayBuffer());
}

/** The bytes of `range` in 64 KiB pieces, as temp storage streams them. */
function streamOf(bytes: Buffer, range?: ByteRange): Readable {
  const slice = range ? bytes.subarray(range.start, range.end + 1) : bytes;
  return Readable.from(
    (function* pieces() {
      for (let at = 0; at < slice.length; at += 64 * 1024) yield slice.subarray(at, at + 64 * 1024);
    })(),
  );
}

interface Recorded {
  request: ProviderUploadRequest;
  opened: Array<ByteRange | undefined>;
  progress: ChunkProgress[];
}

/** A request for `body` that records every range opened and every progress report. */
function chunkedRequest(options: { resume?: ChunkProgress; onProgress?: (progress: ChunkProgress) => Promise<void>; open?: (range?: ByteRange) => Promise<Readable> } = {}): Recorded {
  const opened: Array<ByteRange | undefined> = [];
  const progress: ChunkProgress[] = [];
  const request: ProviderUploadRequest = {
    uploadId: 'u1',
    publicId: `chunked/${randomBytes(4).toString('hex')}`,
    filename: 'blob.bin',
    contentType: 'application/octet-stream',
    bytes: BYTES,
    tags: ['big'],
    open: (range) => {
      opened.push(range);
      return options.open ? options.open(range) : Promise.resolve(streamOf(body, range));
    },
    resume: options.resume,
    onProgress: async (saved) => {
      progress.push(saved);
      await options.onProgress?.(saved);
    },
  };
  return { request, opened, progress };
}

const chunk = (index: number): ByteRange => ({ start: index * CHUNK, end: Math.min((index + 1) * CHUNK, BYTES) - 1 });

describe('chunked uploads', () => {
  it('retries chunks that meet 503s and a reset in place, and stores the same bytes once', async () => {
    // The first chunk meets a 503 then a reset; the third meets two 503s (set once the second is acknowledged).
    await faults({ script: [{ kind: 'error', status: 503 }, { kind: 'reset' }] });
    const { request, opened, progress } = chunkedRequest({
      onProgress: async ({ offset }) => {
        if (offset === 2 * CHUNK) await faults({ script: [{ kind: 'error', status: 503, count: 2 }] });
      },
    });
    const before = await uploadRequests();

    const result = await provider.upload(request);

    expect(result).toMatchObject({ provider: 'cloudinary', publicId: request.publicId, bytes: BYTES });
    expect((await served(result.secureUrl)).equals(body)).toBe(true);
    expect(await writesOf(request.publicId)).toEqual([1]);
    expect((await uploadRequests()) - before).toBe(4 + 4);
    // Each try re-reads exactly its chunk from temp storage; nothing reads the whole file.
    expect(opened).toEqual([chunk(0), chunk(0), chunk(0), chunk(1), chunk(2), chunk(2), chunk(2), chunk(3)]);
    // Progress after every chunk but the last, chunk-aligned, all in one session.
    expect(progress.map((saved) => saved.offset)).toEqual([CHUNK, 2 * CHUNK, 3 * CHUNK]);
    expect(new Set(progress.map((saved) => saved.sessionId)).size).toBe(1);
  });

  it('resumes a session from saved progress, sending only the chunks after it', async () => {
    const crash = new Error('worker crashed');
    const first = chunkedRequest({
      onProgress: ({ offset }) => (offset === 2 * CHUNK ? Promise.reject(crash) : Promise.resolve()),
    });
    // Not a provider error, so it passes through as it is.
    await expect(provider.upload(first.request)).rejects.toBe(crash);
    const saved = first.progress.at(-1)!;
    expect(saved.offset).toBe(2 * CHUNK);

    const second = chunkedRequest({ resume: saved });
    second.request.publicId = first.request.publicId;
    const before = await uploadRequests();
    const result = await provider.upload(second.request);

    expect((await uploadRequests()) - before).toBe(2);
    expect(second.opened).toEqual([chunk(2), chunk(3)]);
    expect(second.progress).toEqual([{ sessionId: saved.sessionId, offset: 3 * CHUNK }]);
    expect((await served(result.secureUrl)).equals(body)).toBe(true);
    expect(await writesOf(first.request.publicId)).toEqual([1]);
  });

  it('starts over in a new session when the provider refuses a resumed one with a 4xx', async () => {
    const saved = { sessionId: 'expired-session', offset: 2 * CHUNK };
    await faults({ script: [{ kind: 'error', status: 400, message: 'Upload session not found' }] });
    const resumed = chunkedRequest({ resume: saved });
    const result = await provider.upload(resumed.request);
    expect(resumed.opened).toEqual([chunk(2), chunk(0), chunk(1), chunk(2), chunk(3)]);
    expect(resumed.progress.every((p) => p.sessionId !== saved.sessionId)).toBe(true);
    expect((await served(result.secureUrl)).equals(body)).toBe(true);
  });

  it('gets the finished asset back, without a second write, when resuming a session that already completed', async () => {
    const first = chunkedRequest();
    const original = await provider.upload(first.request);
    const sessionId = first.progress[0]!.sessionId;

    // Every byte acknowledged but the final answer lost: the final chunk is sent again.
    const lostAnswer = chunkedRequest({ resume: { sessionId, offset: BYTES } });
    lostAnswer.request.publicId = first.request.publicId;
    let before = await uploadRequests();
    expect(await provider.upload(lostAnswer.request)).toEqual(original);
    expect((await uploadRequests()) - before).toBe(1);
    expect(lostAnswer.opened).toEqual([chunk(3)]);

    // A duplicate run resuming from older progress: the first chunk it sends already answers with the asset.
    const duplicate = chunkedRequest({ resume: { sessionId, offset: CHUNK } });
    duplicate.request.publicId = first.request.publicId;
    before = await uploadRequests();
    expect(await provider.upload(duplicate.request)).toEqual(original);
    expect((await uploadRequests()) - before).toBe(1);

    expect(await writesOf(first.request.publicId)).toEqual([1]);
  });

  it('starts over in a new session when the provider no longer holds the earlier chunks', async () => {
    const { request, progress } = chunkedRequest({ resume: { sessionId: 'expired-session', offset: 2 * CHUNK } });
    const before = await uploadRequests();

    const result = await provider.upload(request);

    // Two chunks of the lost session (the final one is acknowledged without an asset), then all four again.
    expect((await uploadRequests()) - before).toBe(2 + 4);
    expect(progress[0]).toEqual({ sessionId: 'expired-session', offset: 3 * CHUNK });
    const restarted = progress.slice(1);
    expect(restarted.map((saved) => saved.offset)).toEqual([CHUNK, 2 * CHUNK, 3 * CHUNK]);
    expect(restarted.every((saved) => saved.sessionId !== 'expired-session')).toBe(true);
    expect((await served(result.secureUrl)).equals(body)).toBe(true);
    expect(await writesOf(request.publicId)).toEqual([1]);
  });

  it('throws RateLimitedError at once when rate limited mid-upload, with the chunks before it saved', async () => {
    const { request, progress } = chunkedRequest({
      onProgress: async ({ offset }) => {
        if (offset === 2 * CHUNK) await faults({ script: [{ kind: 'rate_limit', resetInSeconds: 30, hint: 'message' }] });
      },
    });
    const before = await uploadRequests();

    const error = await provider.upload(request).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).resetAt).toBeInstanceOf(Date);
    expect(progress.map((saved) => saved.offset)).toEqual([CHUNK, 2 * CHUNK]);
    // No retry of the rate-limited chunk: the job layer pauses the whole queue instead.
    expect((await uploadRequests()) - before).toBe(3);
    expect(await writesOf(request.publicId)).toEqual([]);
  });

  it('throws the last RetryableProviderError when a chunk fails on every try', async () => {
    await faults({ script: [{ kind: 'error', status: 503, count: 2 }, { kind: 'error', status: 502 }] });
    const { request, progress } = chunkedRequest();
    const before = await uploadRequests();

    const error = await provider.upload(request).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RetryableProviderError);
    expect((error as RetryableProviderError).status).toBe(502);
    expect((await uploadRequests()) - before).toBe(3);
    expect(progress).toEqual([]);
  });

  it('throws PermanentProviderError at once for a bad signature', async () => {
    const wrong = await CloudinaryProvider.create(providerOptions('not-the-secret'));
    const { request } = chunkedRequest();
    const before = await uploadRequests();

    const error = await wrong.upload(request).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(PermanentProviderError);
    expect((error as PermanentProviderError).status).toBe(401);
    expect((error as Error).message).toMatch(/Invalid Signature/);
    expect((await uploadRequests()) - before).toBe(1);
  });

  it('lets a temp file that vanished mid-upload through unchanged', async () => {
    const missing = new TempObjectMissingError('k');
    const { request } = chunkedRequest({
      open: (range) => (range !== undefined && range.start >= CHUNK ? Promise.reject(missing) : Promise.resolve(streamOf(body, range))),
    });
    await expect(provider.upload(request)).rejects.toBe(missing);
  });
});

describe('uploadInChunks against a provider that never completes', () => {
  it('starts over once in a new session, then gives up with a RetryableProviderError', async () => {
    const sent: string[] = [];
    const { request } = chunkedRequest();
    const error = await uploadInChunks(request, {
      chunkSizeBytes: CHUNK,
      retry: chunkRetryPolicy({ tries: 1 }),
      newSessionId: () => `s${sent.length}`,
      sendChunk: (source, headers) => {
        source.destroy();
        sent.push(`${headers.sessionId} ${headers.contentRange}`);
        return Promise.resolve({ done: false });
      },
    }).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(RetryableProviderError);
    expect(sent).toEqual([
      's0 bytes 0-4999999/-1',
      's0 bytes 5000000-9999999/-1',
      's0 bytes 10000000-14999999/-1',
      's0 bytes 15000000-15999999/16000000',
      's4 bytes 0-4999999/-1',
      's4 bytes 5000000-9999999/-1',
      's4 bytes 10000000-14999999/-1',
      's4 bytes 15000000-15999999/16000000',
    ]);
  });
});
