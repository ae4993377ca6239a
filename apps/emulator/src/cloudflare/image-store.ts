import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { discard, uniquePath } from '../files.js';
import type { WrittenFile } from '../files.js';

/** One image as the Cloudflare side keeps it. */
export interface StoredImage {
  readonly id: string;
  readonly filename: string;
  /** The `metadata` it was uploaded with, parsed; Cloudflare answers it back as `meta`. */
  readonly meta: Readonly<Record<string, unknown>> | undefined;
  readonly requireSignedURLs: boolean;
  /** ISO time of the upload. */
  readonly uploaded: string;
  readonly bytes: number;
  readonly contentType: string;
  /** MD5 hex of the bytes, sent as the delivery ETag. */
  readonly etag: string;
  /** File holding the bytes. */
  readonly path: string;
}

/** What an upload brings to {@link ImageStore.create}. */
export type NewImage = Pick<StoredImage, 'id' | 'filename' | 'meta' | 'requireSignedURLs' | 'contentType'> & { readonly file: WrittenFile };

/**
 * Cloudflare Images' storage: an id names at most one image and is never overwritten (a create at a
 * taken id is refused; the image must be deleted first). Bytes live under `root`, the index in memory.
 */
export class ImageStore {
  private readonly images = new Map<string, StoredImage>();

  constructor(readonly root: string) {}

  /** Creates the directory; the store does no I/O before this. */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true });
  }

  get(id: string): StoredImage | undefined {
    return this.images.get(id);
  }

  list(): StoredImage[] {
    return [...this.images.values()];
  }

  /** Commits the file as image `id`, taking ownership of it; undefined (and the file dropped) when the id is taken. */
  async create(image: NewImage): Promise<StoredImage | undefined> {
    if (this.images.has(image.id)) {
      await discard(image.file.path);
      return undefined;
    }
    const path = uniquePath(this.root, 'image-');
    await rename(image.file.path, path);
    // Looked at again: another create of the same id may have landed while the rename was pending.
    if (this.images.has(image.id)) {
      await discard(path);
      return undefined;
    }
    const stored: StoredImage = {
      id: image.id,
      filename: image.filename,
      meta: image.meta,
      requireSignedURLs: image.requireSignedURLs,
      uploaded: new Date().toISOString(),
      bytes: image.file.bytes,
      contentType: image.contentType,
      etag: image.file.md5,
      path,
    };
    this.images.set(image.id, stored);
    return stored;
  }

  /** Deletes an image; false when there was none. */
  async remove(id: string): Promise<boolean> {
    const image = this.images.get(id);
    if (image === undefined) return false;
    this.images.delete(id);
    // Readers streaming it keep their open descriptor, so unlinking is safe.
    await discard(image.path);
    return true;
  }

  /** Deletes every image and returns how many there were. */
  async clear(): Promise<number> {
    const all = this.list();
    this.images.clear();
    await Promise.all(all.map((image) => discard(image.path)));
    return all.length;
  }
}

/** The Cloudflare side's directory under the emulator's storage root. */
export function imageStoreDir(root: string): string {
  return join(root, 'cloudflare-images');
}
