import type { Logger, UploadEvents, UploadStatusEvent } from '@hoist/core';
import type { RedisConnection } from './redis.js';

type Listener = (event: UploadStatusEvent) => void;

/**
 * UploadEvents on Redis pub/sub, one channel per deployment (the queue prefix). Every API process
 * subscribes once and fans announcements out to its own waiters, so a client waiting on one API
 * process hears about an upload another host's worker finished.
 */
export class RedisUploadEvents implements UploadEvents {
  private readonly channel: string;
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly everyAnnouncement = new Set<Listener>();
  private subscriber: RedisConnection | undefined;

  constructor(private readonly options: { publisher: RedisConnection; prefix: string; logger: Logger }) {
    this.channel = `${options.prefix}:upload-events`;
  }

  async publish(event: UploadStatusEvent): Promise<void> {
    await this.options.publisher.publish(this.channel, JSON.stringify(event));
  }

  /** Starts receiving announcements on a connection of its own (a subscribed connection can do nothing else). */
  async subscribe(connection: RedisConnection): Promise<void> {
    this.subscriber = connection;
    connection.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      let event: UploadStatusEvent;
      try {
        event = JSON.parse(message) as UploadStatusEvent;
      } catch {
        this.options.logger.warn({ channel }, 'ignoring a malformed upload event');
        return;
      }
      if (typeof event?.uploadId !== 'string') {
        this.options.logger.warn({ channel }, 'ignoring a malformed upload event');
        return;
      }
      for (const listener of this.everyAnnouncement) listener(event);
      for (const listener of this.listeners.get(event.uploadId) ?? []) listener(event);
    });
    await connection.subscribe(this.channel);
  }

  /** Calls `listener` with every announcement received, whatever the upload (the API's view cache). */
  onAnnouncement(listener: (event: UploadStatusEvent) => void): void {
    this.everyAnnouncement.add(listener);
  }

  /**
   * Resolves with the next announcement for the upload, or undefined after `timeoutMs` or when
   * `signal` aborts (the client went away).
   */
  next(uploadId: string, timeoutMs: number, signal?: AbortSignal): Promise<UploadStatusEvent | undefined> {
    return new Promise((resolve) => {
      const listeners = this.listeners.get(uploadId) ?? new Set<Listener>();
      this.listeners.set(uploadId, listeners);
      const done = (event: UploadStatusEvent | undefined) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        listeners.delete(listener);
        if (listeners.size === 0) this.listeners.delete(uploadId);
        resolve(event);
      };
      const listener: Listener = (event) => done(event);
      const onAbort = () => done(undefined);
      const timer = setTimeout(() => done(undefined), timeoutMs);
      listeners.add(listener);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {
    await this.subscriber?.unsubscribe(this.channel).catch(() => undefined);
  }
}
