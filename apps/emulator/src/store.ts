import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { discard } from './files.js';
import type { WrittenFile } from './files.js';
import type { EagerRequest } from './eager.js';
import type { ResourceType } from './media.js';
import type { AccessMode, DeliveryType } from './upload-params.js';

/** One stored asset: its current version's metadata and where its bytes are. */
export interface StoredAsset {
  readonly publicId: string;
  readonly resourceType: ResourceType;
  /** Public ids are unique per resource type and delivery type, as on Cloudinary. */
  readonly type: DeliveryType;
  readonly accessMode: AccessMode;
  /** Folder the asset shows in (Cloudinary's dynamic folders); '' at the root. */
  readonly assetFolder: string;
  readonly displayName: string;
  /** Stable across versions, like Cloudinary's. */
  readonly assetId: string;
  /** New for every write. */
  readonly versionId: string;
  /** Unix seconds of the write, strictly increasing per asset. */
  readonly version: number;
  readonly bytes: number;
  /** Undefined for raw files whose name had no extension. */
  readonly format: string | undefined;
  readonly width: number | undefined;
  readonly height: number | undefined;
  readonly pages: number | undefined;
  /** Seconds, for video and audio whose container says. */
  readonly duration: number | undefined;
  /** Bits per second over the whole file, for video and audio with a duration. */
  readonly bitRate: number | undefined;
  /** MD5 hex of the bytes. */
  readonly etag: string;
  /** ISO time of the current version's write. */
  readonly createdAt: string;
  readonly contentType: string;
  /** How many times bytes were written under this public_id. */
  readonly writes: number;
  readonly tags: readonly string[];
  readonly context: Readonly<Record<string, string>> | undefined;
  /** Eager transformations asked for with this version. */
  readonly eager: readonly EagerRequest[];
  /** Undefined when the upload asked to discard it. */
  readonly originalFilename: string | undefined;
  /** File holding the bytes. */
  readonly path: string;
}

/** What an upload brings to {@link AssetStore.save}. */
export type AssetContent = Omit<StoredAsset, 'assetId' | 'versionId' | 'version' | 'bytes' | 'etag' | 'createdAt' | 'writes' | 'path'> & {
  readonly file: WrittenFile;
};

/** Result of {@link AssetStore.save}; `existing` means nothing was written. */
export interface SaveResult {
  readonly asset: StoredAsset;
  readonly existing: boolean;
}

const keyOf = (resourceType: ResourceType, publicId: string, type: DeliveryType): string => `${resourceType}\u0000${type}\u0000${publicId}`;
const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** Asset bytes on disk under `root`, indexed in memory by resource type and public_id. */
export class AssetStore {
  private readonly assets = new Map<string, StoredAsset>();
  /** Files being received: uploads land here before they are checked and committed. */
  readonly tmpDir: string;
  /** Chunks of unfinished chunked uploads, a directory per upload id. */
  readonly chunksDir: string;
  private readonly assetsDir: string;

  constructor(readonly root: string) {
    this.tmpDir = join(root, 'tmp');
    this.chunksDir = join(root, 'chunks');
    this.assetsDir = join(root, 'assets');
  }

  /** Creates the directories; the store does no I/O before this. */
  async init(): Promise<void> {
    await Promise.all([this.tmpDir, this.chunksDir, this.assetsDir].map((dir) => mkdir(dir, { recursive: true })));
  }

  get(resourceType: ResourceType, publicId: string, type: DeliveryType = 'upload'): StoredAsset | undefined {
    return this.assets.get(keyOf(resourceType, publicId, type));
  }

  list(): StoredAsset[] {
    return [...this.assets.values()];
  }

  /**
   * Commits an uploaded file as the asset's new version, taking ownership of `content.file`.
   * With `overwrite` false and the asset present, the file is dropped and the existing asset returned.
   */
  async save(content: AssetContent, overwrite: boolean): Promise<SaveResult> {
    const key = keyOf(content.resourceType, content.publicId, content.type);
    const found = this.assets.get(key);
    if (found !== undefined && !overwrite) {
      await discard(content.file.path);
      return { asset: found, existing: true };
    }
    const versionId = hex(16);
    const digest = createHash('sha1').update(key).digest('hex');
    const path = join(this.assetsDir, `${digest}-${versionId}`);
    await rename(content.file.path, path);

    // Read the index only now: a concurrent save may have landed while the rename was pending.
    const previous = this.assets.get(key);
    if (previous !== undefined && !overwrite) {
      await discard(path);
      return { asset: previous, existing: true };
    }
    const now = Date.now();
    const { file, ...described } = content;
    const asset: StoredAsset = {
      ...described,
      assetId: previous?.assetId ?? hex(16),
      versionId,
      version: Math.max(Math.floor(now / 1000), (previous?.version ?? 0) + 1),
      bytes: file.bytes,
      etag: file.md5,
      createdAt: new Date(now).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      writes: (previous?.writes ?? 0) + 1,
      path,
    };
    this.assets.set(key, asset);
    // Readers streaming the old version keep their open descriptor, so unlinking is safe.
    await discard(previous?.path);
    return { asset, existing: false };
  }

  /** Deletes an asset; false when there was none. */
  async remove(resourceType: ResourceType, publicId: string, type: DeliveryType = 'upload'): Promise<boolean> {
    const key = keyOf(resourceType, publicId, type);
    const asset = this.assets.get(key);
    if (asset === undefined) return false;
    this.assets.delete(key);
    await discard(asset.path);
    return true;
  }

  /** Deletes every asset and returns how many there were. */
  async clear(): Promise<number> {
    const all = this.list();
    this.assets.clear();
    await Promise.all(all.map((asset) => discard(asset.path)));
    return all.length;
  }
}
