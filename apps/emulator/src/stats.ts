/** What `GET /__emulator/stats` answers. */
export interface StatsSnapshot {
  /** Upload API requests (`/v1_1/…`: uploads, chunks, destroys). */
  readonly requests: number;
  /** Their outcomes by HTTP status, plus `timeout` and `reset` for connections dropped on purpose. */
  readonly byStatus: Readonly<Record<string, number>>;
  /** Upload requests, each chunk of a chunked upload counting once. */
  readonly uploads: number;
}

/** Counters of the Upload API traffic, for tests and operators. */
export class Stats {
  private requests = 0;
  private uploads = 0;
  private byStatus = new Map<string, number>();

  countRequest(): void {
    this.requests += 1;
  }

  countUpload(): void {
    this.uploads += 1;
  }

  /** Records how a request ended: an HTTP status, or a connection dropped without an answer. */
  outcome(status: number | 'timeout' | 'reset'): void {
    const key = String(status);
    this.byStatus.set(key, (this.byStatus.get(key) ?? 0) + 1);
  }

  snapshot(): StatsSnapshot {
    return { requests: this.requests, byStatus: Object.fromEntries(this.byStatus), uploads: this.uploads };
  }

  reset(): void {
    this.requests = 0;
    this.uploads = 0;
    this.byStatus = new Map();
  }
}
