import { createHash } from 'node:crypto';
import type { ProviderError, ProviderUploadRequest, UploadProvider, UploadResult } from '@hoist/core';

/**
 * An in-memory UploadProvider for tests: answers each call with the next scripted error, or stores
 * the bytes under the public id (overwriting, as Cloudinary does with overwrite=true).
 */
export class ScriptedProvider implements UploadProvider {
  readonly name = 'scripted';
  readonly assets = new Map<string, Buffer>();
  calls = 0;
  /** When each call started (ms since epoch), for assertions about pauses. */
  readonly callTimes: number[] = [];
  private readonly script: ProviderError[] = [];

  failNext(...errors: ProviderError[]): this {
    this.script.push(...errors);
    return this;
  }

  /** Public ids destroyed, in order. */
  readonly destroyed: string[] = [];

  destroy(asset: { publicId: string }): Promise<void> {
    this.destroyed.push(asset.publicId);
    this.assets.delete(asset.publicId);
    return Promise.resolve();
  }

  async upload(request: ProviderUploadRequest): Promise<UploadResult> {
    this.calls += 1;
    this.callTimes.push(Date.now());
    const stream = await request.open();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
    const next = this.script.shift();
    if (next) throw next;
    const body = Buffer.concat(chunks);
    this.assets.set(request.publicId, body);
    return {
      provider: this.name,
      publicId: request.publicId,
      url: `http://scripted/${request.publicId}`,
      secureUrl: `https://scripted/${request.publicId}`,
      format: 'png',
      width: 1,
      height: 1,
      bytes: body.length,
      version: Number.parseInt(createHash('md5').update(body).digest('hex').slice(0, 6), 16),
    };
  }
}
