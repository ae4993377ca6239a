import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { PermanentProviderError } from '../errors.js';
import type { UploadResult } from '../upload.js';
import type { ProviderAsset, ProviderLimits, ProviderUploadRequest, UploadProvider } from '../upload-provider.js';

/** The limits a MemoryUploadProvider states unless told others: Cloudinary's words and id length, no size limit, no chunking. */
export const MEMORY_PROVIDER_LIMITS: ProviderLimits = Object.freeze({
  maxPublicIdLength: 255,
  resourceTypes: Object.freeze(['image', 'video', 'raw', 'auto']),
});

export interface MemoryUploadProviderOptions {
  /** Reported in results; default `memory`. */
  name?: string;
  /** Default {@link MEMORY_PROVIDER_LIMITS}; with `chunking`, larger files are read and acknowledged chunk by chunk. */
  limits?: ProviderLimits;
}

/**
 * UploadProvider in memory, for tests: passes the same conformance suite as CloudinaryProvider.
 * Stores the bytes under the public id (overwriting, as Cloudinary does with overwrite=true), or
 * answers a call with the next scripted error ({@link failNext}); keeps to its own limits (a public
 * id too long, an unknown resource type or a file too large is a PermanentProviderError); with
 * `limits.chunking`, reads a large file one chunk at a time, reporting each through `onProgress`
 * and resuming from `resume`, so tests see cancellation between chunks and resumption.
 */
export class MemoryUploadProvider implements UploadProvider {
  readonly name: string;
  readonly limits: ProviderLimits;
  /** Stored assets by public id. */
  readonly assets = new Map<string, Buffer>();
  /** Public ids destroyed, in order. */
  readonly destroyed: string[] = [];
  /** Upload calls so far, failed ones included. */
  calls = 0;
  /** When each upload call started (ms since epoch), for assertions about pauses. */
  readonly callTimes: number[] = [];
  private readonly script: Error[] = [];
  /** Bytes acknowledged per chunked session, so a later call can resume it. */
  private readonly sessions = new Map<string, Buffer>();

  constructor(options: MemoryUploadProviderOptions = {}) {
    this.name = options.name ?? 'memory';
    this.limits = options.limits ?? MEMORY_PROVIDER_LIMITS;
  }

  /** The next calls fail with these errors, in order (each after reading the bytes, as a provider answers after the request). */
  failNext(...errors: Error[]): this {
    this.script.push(...errors);
    return this;
  }

  async upload(request: ProviderUploadRequest): Promise<UploadResult> {
    this.calls += 1;
    this.callTimes.push(Date.now());
    const chunking = this.limits.chunking;
    const chunked = chunking && request.bytes > chunking.thresholdBytes ? await this.readInChunks(request, chunking.chunkBytes) : undefined;
    const body = chunked?.body ?? (await readAll(await request.open()));
    const next = this.script.shift();
    // A failed call leaves its chunked session, for the next attempt to resume.
    if (next) throw next;
    this.refuseBeyondLimits(request, body.length);
    if (chunked) this.sessions.delete(chunked.sessionId);
    this.assets.set(request.publicId, body);
    return {
      provider: this.name,
      publicId: request.publicId,
      url: `http://${this.name}/${request.publicId}`,
      secureUrl: `https://${this.name}/${request.publicId}`,
      format: 'png',
      width: 1,
      height: 1,
      bytes: body.length,
      version: Number.parseInt(createHash('md5').update(body).digest('hex').slice(0, 6), 16),
      resourceType: storedResourceType(request),
    };
  }

  /** Idempotent: an asset that is already gone is not an error. */
  destroy(asset: ProviderAsset): Promise<void> {
    this.destroyed.push(asset.publicId);
    this.assets.delete(asset.publicId);
    return Promise.resolve();
  }

  private refuseBeyondLimits(request: ProviderUploadRequest, bytes: number): void {
    if (request.publicId.length > this.limits.maxPublicIdLength) throw new PermanentProviderError(`public id longer than ${this.limits.maxPublicIdLength}`, { status: 400 });
    if (!this.limits.resourceTypes.includes(request.resourceType ?? 'auto')) throw new PermanentProviderError(`unknown resource type ${request.resourceType}`, { status: 400 });
    if (this.limits.maxFileBytes !== undefined && bytes > this.limits.maxFileBytes) throw new PermanentProviderError(`file larger than ${this.limits.maxFileBytes} bytes`, { status: 400 });
  }

  private async readInChunks(request: ProviderUploadRequest, chunkBytes: number): Promise<{ body: Buffer; sessionId: string }> {
    const resumable = request.resume && this.sessions.get(request.resume.sessionId)?.length === request.resume.offset ? request.resume : undefined;
    const sessionId = resumable?.sessionId ?? randomUUID();
    let received = resumable ? this.sessions.get(sessionId)! : Buffer.alloc(0);
    for (let start = received.length; start < request.bytes; start += chunkBytes) {
      const end = Math.min(start + chunkBytes, request.bytes) - 1;
      received = Buffer.concat([received, await readAll(await request.open({ start, end }))]);
      this.sessions.set(sessionId, received);
      // As Cloudinary's adapter: after each acknowledged chunk but the last.
      if (end + 1 < request.bytes) await request.onProgress?.({ sessionId, offset: end + 1 });
    }
    return { body: received, sessionId };
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** As a provider deciding `auto` from the bytes would: by the content type. */
function storedResourceType(request: ProviderUploadRequest): string {
  if (request.resourceType && request.resourceType !== 'auto') return request.resourceType;
  if (request.contentType.startsWith('video/')) return 'video';
  return request.contentType.startsWith('image/') ? 'image' : 'raw';
}
