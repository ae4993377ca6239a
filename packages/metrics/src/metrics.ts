import { timingSafeEqual } from 'node:crypto';
import type { AcceptObserver, ProcessObserver, WebhookObserver } from '@hoist/core';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** What the queue gauges read from one queue when Prometheus scrapes. */
export interface QueueGaugeSource {
  /** The `queue` label: `uploads`, `webhooks`. */
  name: string;
  /** Job counts by BullMQ state. */
  counts(): Promise<Record<string, number>>;
  /** Paused by an operator (`pnpm hoist queue pause`, the dashboard). */
  isPaused(): Promise<boolean>;
  /** What is left of a provider rate-limit pause, ms (0: none). */
  rateLimitedForMs(): Promise<number>;
}

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
  readonly providerCalls = new Counter({ name: 'hoist_provider_calls_total', help: 'Provider calls by provider and outcome.', labelNames: ['provider', 'outcome'], registers: [this.registry] });
  readonly providerDuration = new Histogram({
    name: 'hoist_provider_call_duration_seconds',
    help: 'Provider call latency by provider and outcome.',
    labelNames: ['provider', 'outcome'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly rateLimitPause = new Counter({
    name: 'hoist_provider_rate_limit_pause_seconds_total',
    help: 'Seconds of queue-wide pause this worker imposed because the provider rate limited (rate() is the fraction of time paused).',
    registers: [this.registry],
  });
  readonly jobsDeferred = new Counter({
    name: 'hoist_jobs_deferred_total',
    help: 'Jobs put back to wait for capacity without spending an attempt, by reason: fetch_slots_busy (URL uploads), endpoint_busy (webhook deliveries).',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly reconcilerActions = new Counter({ name: 'hoist_reconciler_actions_total', help: 'Reconciler repairs by action.', labelNames: ['action'], registers: [this.registry] });
  readonly webhookDeliveries = new Counter({
    name: 'hoist_webhook_deliveries_total',
    help: 'Webhook delivery attempts by outcome: delivered (2xx), retrying (another attempt to come), failed (given up).',
    labelNames: ['outcome'],
    registers: [this.registry],
  });
  readonly webhookDuration = new Histogram({
    name: 'hoist_webhook_delivery_duration_seconds',
    help: 'Webhook delivery attempt latency (request sent to answer, or to giving up) by outcome.',
    labelNames: ['outcome'],
    // WEBHOOK_TIMEOUT_MS is 10 s by default, at most 120 s.
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });

  constructor(options: { service: string; defaultMetrics?: boolean; queues?: readonly QueueGaugeSource[] }) {
    this.registry.setDefaultLabels({ service: options.service });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'hoist_' });
    const queues = options.queues ?? [];
    if (queues.length > 0) {
      // Each gauge has a `queue` label, so that a scrape while Redis is down can leave a queue's
      // samples out (reporting no number rather than failing the scrape, or a false 0).
      const readEach = <T>(read: (queue: QueueGaugeSource) => Promise<T>) =>
        Promise.all(queues.map(async (queue) => ({ queue: queue.name, value: await read(queue).catch(() => undefined) })));
      new Gauge({
        name: 'hoist_queue_jobs',
        help: 'Jobs by queue and BullMQ state, read at scrape time.',
        labelNames: ['queue', 'state'],
        registers: [this.registry],
        async collect() {
          const readings = await readEach((queue) => queue.counts());
          this.reset();
          for (const { queue, value } of readings) for (const [state, count] of Object.entries(value ?? {})) this.set({ queue, state }, count);
        },
      });
      new Gauge({
        name: 'hoist_queue_paused',
        help: '1 while an operator has paused the queue (no worker takes its jobs), read at scrape time.',
        labelNames: ['queue'],
        registers: [this.registry],
        async collect() {
          const readings = await readEach((queue) => queue.isPaused());
          this.reset();
          for (const { queue, value } of readings) if (value !== undefined) this.set({ queue }, value ? 1 : 0);
        },
      });
      new Gauge({
        name: 'hoist_queue_rate_limited',
        help: '1 while the queue is paused for a provider rate limit, read at scrape time.',
        labelNames: ['queue'],
        registers: [this.registry],
        async collect() {
          const readings = await readEach((queue) => queue.rateLimitedForMs());
          this.reset();
          for (const { queue, value } of readings) if (value !== undefined) this.set({ queue }, value > 0 ? 1 : 0);
        },
      });
    }
  }

  /** Accepted uploads and their bytes, counted here. */
  get acceptObserver(): AcceptObserver {
    return {
      accepted: (bytes) => {
        this.uploadsAccepted.inc();
        if (bytes > 0) this.bytesIngested.inc(bytes);
      },
    };
  }

  /** The use case's measurements, counted here. */
  get observer(): ProcessObserver {
    return {
      providerCall: (outcome, seconds, provider) => {
        this.providerCalls.inc({ provider, outcome });
        this.providerDuration.observe({ provider, outcome }, seconds);
      },
      rateLimitPause: (seconds) => this.rateLimitPause.inc(seconds),
      fetchDeferred: () => this.jobsDeferred.inc({ reason: 'fetch_slots_busy' }),
    };
  }

  /** Webhook delivery attempts, counted here. */
  get webhookObserver(): WebhookObserver {
    return {
      deliveryAttempt: (outcome, seconds) => {
        this.webhookDeliveries.inc({ outcome });
        this.webhookDuration.observe({ outcome }, seconds);
      },
      deliveryDeferred: () => this.jobsDeferred.inc({ reason: 'endpoint_busy' }),
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
