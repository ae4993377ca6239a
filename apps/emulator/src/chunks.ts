import { createHash } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { HttpError } from './errors.js';
import { concatenate, discard, uniquePath, writeFileFrom } from './files.js';
import type { WrittenFile } from './files.js';

/** A parsed `Content-Range: bytes START-END/TOTAL`; END is inclusive, TOTAL null when sent as -1 or *. */
export interface ContentRange {
  readonly start: number;
  readonly end: number;
  readonly total: number | null;
}

/** Parses the header the SDK sends with every chunk, or returns undefined if it is malformed. */
export function parseContentRange(header: string): ContentRange | undefined {
  const match = /^bytes (\d+)-(\d+)\/(\d+|-1|\*)$/.exec(header.trim());
  if (match === null) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  const total = match[3] === '-1' || match[3] === '*' ? null : Number(match[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return undefined;
  if (total !== null && (!Number.isSafeInteger(total) || end >= total)) return undefined;
  return { start, end, total };
}

interface Session {
  readonly dir: string;
  /** Last time a chunk arrived; abandoned sessions are swept after {@link SESSION_TTL_MS}. */
  touchedAt: number;
  /** Chunk files by start offset; a retried range simply replaces its file. */
  readonly chunks: Map<number, { readonly end: number; readonly path: string }>;
  total: number | null;
}

/**
 * Cloudinary's smallest chunk ("each chunk must be larger than 5 MB except the last one"), read as
 * 5,000,000 bytes like the rest of Hoist: the SDK and the docs state it in MB, not MiB.
 */
export const MIN_CHUNK_BYTES = 5 * 1000 * 1000;

/** Cloudinary forgets unfinished uploads too; without this, abandoned chunks would pile up on disk. */
const SESSION_TTL_MS = 60 * 60 * 1000;

/** Final responses kept so a retried last chunk gets the same answer instead of a second write. */
const COMPLETED_KEPT = 1000;

/** Unfinished chunked uploads, keyed by their X-Unique-Upload-Id. */
export class ChunkSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly completed = new Map<string, Record<string, unknown>>();
  private readonly locks = new Map<string, Promise<unknown>>();

  constructor(
    private readonly chunksDir: string,
    private readonly tmpDir: string,
  ) {}

  /** Runs `task` after every earlier task for the same upload id has settled. */
  async run<T>(uploadId: string, task: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(uploadId) ?? Promise.resolve();
    const current = previous.then(task, task);
    const settled = current.catch(() => undefined);
    this.locks.set(uploadId, settled);
    try {
      return await current;
    } finally {
      if (this.locks.get(uploadId) === settled) this.locks.delete(uploadId);
    }
  }

  /** The response already given for a finished upload id, if any. */
  completedResponse(uploadId: string): Record<string, unknown> | undefined {
    return this.completed.get(uploadId);
  }

  /**
   * Stores one chunk (taking ownership of `file`) and says whether the upload is now complete.
   * Call inside {@link run} for the same id.
   */
  async put(uploadId: string, range: ContentRange, file: WrittenFile): Promise<{ complete: boolean; received: number }> {
    if (file.bytes !== range.end - range.start + 1) {
      await discard(file.path);
      throw new HttpError(400, `Chunk size ${file.bytes} does not match Content-Range bytes ${range.start}-${range.end}`);
    }
    const last = range.total !== null && range.end === range.total - 1;
    if (!last && file.bytes < MIN_CHUNK_BYTES) {
      await discard(file.path);
      throw new HttpError(400, `Chunk size too small. Got ${file.bytes}. Minimum is ${MIN_CHUNK_BYTES} for every chunk but the last.`);
    }
    const session = await this.session(uploadId);
    if (range.total !== null && session.total !== null && range.total !== session.total) {
      await discard(file.path);
      throw new HttpError(400, `Content-Range total ${range.total} differs from the ${session.total} sent earlier`);
    }
    session.total ??= range.total;
    const path = join(session.dir, `${range.start}-${range.end}`);
    await rename(file.path, path);
    const replaced = session.chunks.get(range.start);
    session.chunks.set(range.start, { end: range.end, path });
    if (replaced !== undefined && replaced.path !== path) await discard(replaced.path);

    let received = 0;
    for (const [start, chunk] of session.chunks) received += chunk.end - start + 1;
    return { complete: this.orderedPaths(session) !== undefined, received };
  }

  /** Joins the chunks of a complete upload into one new file and forgets the session. */
  async assemble(uploadId: string): Promise<WrittenFile> {
    const session = this.sessions.get(uploadId);
    const paths = session === undefined ? undefined : this.orderedPaths(session);
    if (session === undefined || paths === undefined) throw new HttpError(400, `Upload ${uploadId} is not complete`);
    try {
      return await writeFileFrom(concatenate(paths), uniquePath(this.tmpDir, 'assembled-'));
    } finally {
      await this.drop(uploadId);
    }
  }

  /** Remembers the final response of an upload id. */
  finish(uploadId: string, response: Record<string, unknown>): void {
    this.completed.set(uploadId, response);
    for (const oldest of this.completed.keys()) {
      if (this.completed.size <= COMPLETED_KEPT) break;
      this.completed.delete(oldest);
    }
  }

  /** Forgets a session and deletes its chunks. */
  async drop(uploadId: string): Promise<void> {
    const session = this.sessions.get(uploadId);
    this.sessions.delete(uploadId);
    if (session !== undefined) await rm(session.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  /** Forgets every session and finished upload. */
  async clear(): Promise<void> {
    this.completed.clear();
    await Promise.all([...this.sessions.keys()].map((id) => this.drop(id)));
  }

  private async session(uploadId: string): Promise<Session> {
    const now = Date.now();
    const existing = this.sessions.get(uploadId);
    if (existing !== undefined) {
      existing.touchedAt = now;
      return existing;
    }
    for (const [id, session] of this.sessions) {
      if (now - session.touchedAt > SESSION_TTL_MS && !this.locks.has(id)) await this.drop(id);
    }
    const dir = join(this.chunksDir, createHash('sha1').update(uploadId).digest('hex'));
    await mkdir(dir, { recursive: true });
    const session: Session = { dir, touchedAt: now, chunks: new Map(), total: null };
    this.sessions.set(uploadId, session);
    return session;
  }

  /** Chunk files covering exactly 0..total-1 in order, or undefined while bytes are missing. */
  private orderedPaths(session: Session): string[] | undefined {
    if (session.total === null) return undefined;
    const paths: string[] = [];
    let position = 0;
    while (position < session.total) {
      const chunk = session.chunks.get(position);
      if (chunk === undefined) return undefined;
      paths.push(chunk.path);
      position = chunk.end + 1;
    }
    return position === session.total ? paths : undefined;
  }
}
