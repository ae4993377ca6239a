import { timingSafeEqual } from 'node:crypto';
import type { ProcessObserver } from '@hoist/core';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Queue job counts by BullMQ state, read when Prometheus scrapes. */
export type QueueCounts = () => Promise<Record<string, number>>;

/** What is left of the upload queue's provider rate-limit pause, ms (0: none); read when Prometheus scrapes. */
export type RateLimitedForMs = () => Promise<number>;

/**
 * Hoist's Prometheus metrics, on a registry of their own (so tests and several apps in one
 * process don't collide). Names follow Prometheus conventions: `_total` counters, `_seconds`
 * histograms, bounded label values only (route templates, never raw URLs or tenant ids).
 */
export class HoistMetrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({ name: 'hoist_http_requests_total', help: 'HTTP requests by route template, method and status.', labelNames: ['method', 'route', 'status'], registers: [this.registry] });
  readonly httpDuration = new Histogram({
    name: 'hoist_http_request_duration_seconds',
    help: 'HTTP request latency by route template and method.',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly uploadsAccepted = new Counter({ name: 'hoist_uploads_accepted_total', help: 'Uploads accepted (202).', registers: [this.registry] });
  readonly bytesIngested = new Counter({ name: 'hoist_upload_bytes_ingested_total', help: 'Bytes of accepted uploads.', registers: [this.registry] });
  readonly providerCalls = new Counter({ name: 'hoist_provider_calls_total', help: 'Provider calls by outcome.', labelNames: ['outcome'], registers: [this.registry] });
  readonly providerDuration = new Histogram({
    name: 'hoist_provider_call_duration_seconds',
    help: 'Provider call latency by outcome.',
    labelNames: ['outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly rateLimitPause = new Counter({
    name: 'hoist_provider_rate_limit_pause_seconds_total',
    help: 'Seconds of queue-wide pause this worker imposed because the provider rate limited (rate() is the fraction of time paused).',
    registers: [this.registry],
  });
  readonly reconcilerActions = new Counter({ name: 'hoist_reconciler_actions_total', help: 'Reconciler repairs by action.', labelNames: ['action'], registers: [this.registry] });

  constructor(options: { service: string; defaultMetrics?: boolean; queueCounts?: QueueCounts; rateLimitedForMs?: RateLimitedForMs }) {
    this.registry.setDefaultLabels({ service: options.service });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'hoist_' });
    const queueCounts = options.queueCounts;
    if (queueCounts) {
      new Gauge({
        name: 'hoist_queue_jobs',
        help: 'Upload jobs by BullMQ state, read at scrape time.',
        labelNames: ['state'],
        registers: [this.registry],
        async collect() {
          // A scrape while Redis is down reports no queue numbers rather than failing the scrape.
          const counts = await queueCounts().catch(() => ({}));
          this.reset();
          for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
        },
      });
    }
    const rateLimitedForMs = options.rateLimitedForMs;
    if (rateLimitedForMs) {
      new Gauge({
        name: 'hoist_queue_rate_limited',
        help: '1 while the upload queue is paused for a provider rate limit, read at scrape time.',
        // A label, so that a scrape while Redis is down can leave the sample out (an unlabelled gauge resets to 0).
        labelNames: ['queue'],
        registers: [this.registry],
        async collect() {
          // As for the queue depth: no number while Redis is down, rather than a failed scrape.
          const ms = await rateLimitedForMs().catch(() => undefined);
          this.reset();
          if (ms !== undefined) this.set({ queue: 'uploads' }, ms > 0 ? 1 : 0);
        },
      });
    }
  }

  /** The use case's measurements, counted here. */
  get observer(): ProcessObserver {
    return {
      providerCall: (outcome, seconds) => {
        this.providerCalls.inc({ outcome });
        this.providerDuration.observe({ outcome }, seconds);
      },
      rateLimitPause: (seconds) => this.rateLimitPause.inc(seconds),
    };
  }

  /** Text exposition format for a scrape. */
  async expose(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** True when `header` is `Bearer <token>` for exactly this token (compared in constant time). */
export function bearerTokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
