import type { UrlStorage } from './platform.js';

/** One remembered unfinished upload, as tus-js-client stores it. */
type Entry = Awaited<ReturnType<UrlStorage['findAllUploads']>>[number];

/** Reading and writing a JSON file; Node gives the real one, tests a memory one. */
export interface JsonFile {
  read(): Promise<string | undefined>;
  /** Replaces the file whole (write a temporary file, then rename), so a reader never sees half of it. */
  write(text: string): Promise<void>;
}

/**
 * Unfinished tus uploads remembered in a JSON file (`resumeFile`), for a later process to resume:
 * tus-js-client's UrlStorage, made safe to share. Every read and write of one store runs in turn;
 * the file is replaced whole, never written in place; a file that cannot be read or parsed counts as
 * empty; and nothing here ever rejects — remembering is a convenience, and an upload must not fail
 * (or hang) because its note could not be written: it is then simply not resumable later.
 */
export class ResumeStore implements UrlStorage {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: JsonFile) {}

  findAllUploads(): Promise<Entry[]> {
    return this.inTurn(async () => Object.entries(await this.load()).map(([key, entry]) => ({ ...entry, urlStorageKey: key })), []);
  }

  findUploadsByFingerprint(fingerprint: string | null): Promise<Entry[]> {
    if (!fingerprint) return Promise.resolve([]);
    return this.inTurn(async () => {
      const prefix = `tus::${fingerprint}::`;
      return Object.entries(await this.load())
        .filter(([key]) => key.startsWith(prefix))
        .map(([key, entry]) => ({ ...entry, urlStorageKey: key }));
    }, []);
  }

  removeUpload(urlStorageKey: string): Promise<void> {
    return this.inTurn(async () => {
      const entries = await this.load();
      if (!(urlStorageKey in entries)) return;
      delete entries[urlStorageKey];
      await this.file.write(JSON.stringify(entries));
    }, undefined);
  }

  addUpload(fingerprint: string, upload: Entry): Promise<string> {
    const key = `tus::${fingerprint}::${Math.random().toString(36).slice(2)}`;
    return this.inTurn(async () => {
      const entries = await this.load();
      entries[key] = { ...upload, urlStorageKey: key };
      await this.file.write(JSON.stringify(entries));
      return key;
    }, key);
  }

  private async load(): Promise<Record<string, Entry>> {
    try {
      const parsed = JSON.parse((await this.file.read()) ?? '{}') as unknown;
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, Entry>) : {};
    } catch {
      return {};
    }
  }

  private inTurn<T>(work: () => Promise<T>, fallback: T): Promise<T> {
    const run = this.queue.then(work).catch(() => fallback);
    this.queue = run;
    return run;
  }
}
