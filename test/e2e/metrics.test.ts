import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntilSettled, uploadFile } from '../support/api-client.js';
import { fixturePath } from '../support/fixtures.js';
import { repoRoot } from '../support/processes.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

/** The value of one sample line, e.g. `hoist_uploads_accepted_total{service="api"} 3`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('Prometheus metrics move as uploads flow', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start();
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('the API counts requests and accepted bytes; the worker counts provider calls and reports health', async () => {
    const scrapeApi = async () => (await fetch(`${stack.apiUrl}/metrics`)).text();
    const workerBase = `http://127.0.0.1:${stack.workerMetricsPorts[0]}`;
    const scrapeWorker = async () => (await fetch(`${workerBase}/metrics`)).text();
    const apiBefore = await scrapeApi();
    const workerBefore = await scrapeWorker();

    await stack.setFaults({ script: [{ kind: 'error', status: 503, count: 1 }] });
    const accepted = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'));
    await pollUntilSettled(stack.apiUrl, accepted.body.id);

    const api = await scrapeApi();
    expect(sample(api, 'hoist_uploads_accepted_total') - sample(apiBefore, 'hoist_uploads_accepted_total')).toBe(1);
    expect(sample(api, 'hoist_upload_bytes_ingested_total') - sample(apiBefore, 'hoist_upload_bytes_ingested_total')).toBe(858);
    expect(sample(api, 'hoist_http_requests_total', { method: 'POST', route: '/v1/uploads', status: '202' })).toBeGreaterThanOrEqual(1);
    expect(api).toMatch(/hoist_queue_jobs\{[^}]*state="completed"/);

    const worker = await scrapeWorker();
    const delta = (outcome: string) => sample(worker, 'hoist_provider_calls_total', { outcome }) - sample(workerBefore, 'hoist_provider_calls_total', { outcome });
    expect(delta('retryable')).toBe(1);
    expect(delta('success')).toBe(1);
    expect(worker).toMatch(/hoist_provider_call_duration_seconds_bucket/);

    expect((await fetch(`${workerBase}/healthz`)).status).toBe(200);
    const ready = await fetch(`${workerBase}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('the worker counts the seconds it paused the queue for a rate limit, and both services show the pause while it lasts', async () => {
    const scrapeApi = async () => (await fetch(`${stack.apiUrl}/metrics`)).text();
    const scrapeWorker = async () => (await fetch(`http://127.0.0.1:${stack.workerMetricsPorts[0]}/metrics`)).text();
    const PAUSE = 'hoist_provider_rate_limit_pause_seconds_total';
    const before = await scrapeWorker();
    expect(sample(before, 'hoist_queue_rate_limited', { queue: 'uploads' })).toBe(0);
    expect(before).toMatch(/hoist_queue_rate_limited\{[^}]*queue="uploads"[^}]*\} 0/);

    await stack.setFaults({ script: [{ kind: 'rate_limit', status: 420, resetInSeconds: 3, hint: 'headers' }] });
    const accepted = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'));
    const during = await waitFor(async () => {
      const text = await scrapeWorker();
      return sample(text, PAUSE) > sample(before, PAUSE) ? text : undefined;
    }, { what: 'the rate-limit pause to be counted' });
    expect(sample(during, 'hoist_queue_rate_limited', { queue: 'uploads' })).toBe(1);
    expect(sample(await scrapeApi(), 'hoist_queue_rate_limited', { queue: 'uploads' })).toBe(1);

    expect((await pollUntilSettled(stack.apiUrl, accepted.body.id)).status).toBe('succeeded');
    const after = await scrapeWorker();
    // Retry-After: 3, plus up to 10 % jitter.
    const paused = sample(after, PAUSE) - sample(before, PAUSE);
    expect(paused).toBeGreaterThan(2.5);
    expect(paused).toBeLessThan(3.5);
    expect(sample(after, 'hoist_queue_rate_limited', { queue: 'uploads' })).toBe(0);
  });

  it('both services show an operator pause of a queue (`pnpm hoist queue pause`) while it lasts, and the depth of every queue', async () => {
    const hoist = (...args: string[]) => promisify(execFile)(process.execPath, [join(repoRoot, 'apps/cli/dist/main.js'), ...args], { env: { PATH: process.env.PATH ?? '', ...stack.env } });
    const scrapes = async () => Promise.all([stack.apiUrl, `http://127.0.0.1:${stack.workerMetricsPorts[0]}`].map(async (base) => (await fetch(`${base}/metrics`)).text()));
    for (const text of await scrapes()) {
      expect(sample(text, 'hoist_queue_paused', { queue: 'uploads' })).toBe(0);
      expect(text).toMatch(/hoist_queue_paused\{[^}]*queue="uploads"[^}]*\} 0/);
      expect(text).toMatch(/hoist_queue_paused\{[^}]*queue="webhooks"[^}]*\} 0/);
      expect(text).toMatch(/hoist_queue_jobs\{[^}]*queue="webhooks"[^}]*state="waiting"/);
      expect(sample(text, 'hoist_queue_jobs', { queue: 'uploads', state: 'completed' })).toBeGreaterThanOrEqual(2);
    }

    await hoist('queue', 'pause');
    try {
      for (const text of await scrapes()) {
        expect(sample(text, 'hoist_queue_paused', { queue: 'uploads' })).toBe(1);
        expect(sample(text, 'hoist_queue_paused', { queue: 'webhooks' })).toBe(0);
      }
    } finally {
      await hoist('queue', 'resume');
    }
    for (const text of await scrapes()) expect(text).toMatch(/hoist_queue_paused\{[^}]*queue="uploads"[^}]*\} 0/);
    // Uploads move again.
    expect((await pollUntilSettled(stack.apiUrl, (await uploadFile(stack.apiUrl, fixturePath('photo.jpg'))).body.id)).status).toBe('succeeded');
  });
});
