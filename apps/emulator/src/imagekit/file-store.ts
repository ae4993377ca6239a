import { randomBytes } from 'node:crypto';
import { mkdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { discard } from '../files.js';
import type { WrittenFile } from '../files.js';

/** What ImageKit calls a file's kind: `image` for images it can transform, else `non-image`. */
export type FileType = 'image' | 'non-image';

/** Custom metadata values as ImageKit keeps them (JSON scalars, or arrays for MultiSelect fields). */
export type MetadataValue = string | number | boolean | readonly (string | number | boolean)[];

/** One file of the media library: its current version and where its bytes are. */
export interface StoredFile {
  /** 24 hex digits, like ImageKit's; stable across versions of the same path. */
  readonly fileId: string;
  /** New for every version; the first version's id is the file's id, as ImageKit answers. */
  readonly versionId: string;
  /** 1 for the first upload to the path, then one more for each overwrite. */
  readonly version: number;
  /** `/folder/name`. */
  readonly filePath: string;
  readonly name: string;
  readonly size: number;
  readonly fileType: FileType;
  readonly mime: string;
  readonly width: number | undefined;
  readonly height: number | undefined;
  readonly tags: readonly string[];
  readonly customMetadata: Readonly<Record<string, MetadataValue>>;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** File holding the bytes. */
  readonly path: string;
}

/** What an upload brings to {@link FileStore.save}. */
export type FileContent = Pick<StoredFile, 'filePath' | 'name' | 'fileType' | 'mime' | 'width' | 'height' | 'tags' | 'customMetadata'> & {
  readonly file: WrittenFile;
};

const objectId = (): string => randomBytes(12).toString('hex');

/** The emulated media library: files on disk under `root`, indexed by path and by id. */
export class FileStore {
  private readonly byPath = new Map<string, StoredFile>();
  private readonly pathById = new Map<string, string>();
  /** Files being received land here before they are checked and committed. */
  readonly tmpDir: string;
  private readonly filesDir: string;

  constructor(readonly root: string) {
    this.tmpDir = join(root, 'tmp');
    this.filesDir = join(root, 'files');
  }

  async init(): Promise<void> {
    await Promise.all([this.tmpDir, this.filesDir].map((dir) => mkdir(dir, { recursive: true })));
  }

  atPath(filePath: string): StoredFile | undefined {
    return this.byPath.get(filePath);
  }

  byId(fileId: string): StoredFile | undefined {
    const path = this.pathById.get(fileId);
    return path === undefined ? undefined : this.byPath.get(path);
  }

  list(): StoredFile[] {
    return [...this.byPath.values()];
  }

  /**
   * Commits an upload as the file at its path: a new file, or a new version of the one there (same
   * file id). Takes ownership of `content.file`.
   */
  async save(content: FileContent): Promise<StoredFile> {
    const versionId = objectId();
    const path = join(this.filesDir, versionId);
    await rename(content.file.path, path);
    // Read the index only now: a concurrent save of the same path may have landed meanwhile.
    const previous = this.byPath.get(content.filePath);
    const now = new Date().toISOString();
    const stored: StoredFile = {
      fileId: previous?.fileId ?? versionId,
      versionId,
      version: (previous?.version ?? 0) + 1,
      filePath: content.filePath,
      name: content.name,
      size: content.file.bytes,
      fileType: content.fileType,
      mime: content.mime,
      width: content.width,
      height: content.height,
      tags: content.tags,
      customMetadata: content.customMetadata,
      createdAt: previous?.createdAt ?? now,
      updatedAt: now,
      path,
    };
    this.byPath.set(stored.filePath, stored);
    this.pathById.set(stored.fileId, stored.filePath);
    // Readers streaming the old version keep their open descriptor, so unlinking is safe.
    await discard(previous?.path);
    return stored;
  }

  /** Deletes a file and its versions; false when there was none with that id. */
  async remove(fileId: string): Promise<boolean> {
    const stored = this.byId(fileId);
    if (stored === undefined) return false;
    this.byPath.delete(stored.filePath);
    this.pathById.delete(fileId);
    await discard(stored.path);
    return true;
  }

  /** Deletes every file and returns how many there were. */
  async clear(): Promise<number> {
    const all = this.list();
    this.byPath.clear();
    this.pathById.clear();
    await Promise.all(all.map((stored) => discard(stored.path)));
    return all.length;
  }
}
