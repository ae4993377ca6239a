import type { EnqueueOptions, JobQueue, JobState } from '../job-queue.js';

interface Job {
  uploadId: string;
  state: 'waiting' | 'active' | 'completed' | 'failed';
  priority: number;
  /** Arrival order, which breaks ties of priority. */
  seq: number;
  tenantId: string | undefined;
}

/**
 * JobQueue in memory, for tests of the use cases: passes the same conformance suite as BullJobQueue.
 * Nothing runs by itself: a test plays the worker with {@link take} and {@link finish}, and plays
 * Redis losing its data with {@link lose}. Priorities are unbounded ranks (lower first, ties in
 * arrival order), as the port states them.
 */
export class MemoryJobQueue implements JobQueue {
  private readonly jobs = new Map<string, Job>();
  private seq = 0;

  enqueueUpload(uploadId: string, options: EnqueueOptions = {}): Promise<void> {
    if (!this.jobs.has(uploadId)) {
      this.jobs.set(uploadId, { uploadId, state: 'waiting', priority: Math.max(options.priority ?? 1, 1), seq: this.seq++, tenantId: options.tenantId });
    }
    return Promise.resolve();
  }

  removeJob(uploadId: string): Promise<boolean> {
    if (this.jobs.get(uploadId)?.state === 'active') return Promise.resolve(false);
    this.jobs.delete(uploadId);
    return Promise.resolve(true);
  }

  removeFinishedJob(uploadId: string): Promise<void> {
    const state = this.jobs.get(uploadId)?.state;
    if (state === 'completed' || state === 'failed') this.jobs.delete(uploadId);
    return Promise.resolve();
  }

  jobState(uploadId: string): Promise<JobState> {
    const state = this.jobs.get(uploadId)?.state;
    if (state === undefined) return Promise.resolve('missing');
    return Promise.resolve(state === 'waiting' || state === 'active' ? 'live' : state);
  }

  /**
   * Plays a worker: the upload id of the job the queue hands out next (now running), or undefined
   * when none waits. With `uploadId`, that upload's job if it waits (a worker elsewhere took the others).
   */
  take(uploadId?: string): string | undefined {
    let next: Job | undefined;
    for (const job of this.jobs.values()) {
      if (job.state !== 'waiting' || (uploadId !== undefined && job.uploadId !== uploadId)) continue;
      if (!next || job.priority < next.priority || (job.priority === next.priority && job.seq < next.seq)) next = job;
    }
    if (next) next.state = 'active';
    return next?.uploadId;
  }

  /** Ends a running job: `completed` (the processor returned) or `failed` (the queue gave up on it). */
  finish(uploadId: string, outcome: 'completed' | 'failed'): void {
    const job = this.jobs.get(uploadId);
    if (job?.state !== 'active') throw new Error(`No running job for upload ${uploadId}.`);
    job.state = outcome;
  }

  /** Upload ids of the jobs waiting to run, in the order they would be taken. */
  waiting(): string[] {
    return [...this.jobs.values()]
      .filter((job) => job.state === 'waiting')
      .sort((a, b) => a.priority - b.priority || a.seq - b.seq)
      .map((job) => job.uploadId);
  }

  /** Forgets every job, as Redis does when it is flushed or fails over to an empty replica. */
  lose(): void {
    this.jobs.clear();
  }
}
