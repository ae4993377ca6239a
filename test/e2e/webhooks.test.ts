import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getUpload, pollUntilSettled, uploadFile } from '../support/api-client.js';
import { fixturePath } from '../support/fixtures.js';
import { freePort } from '../support/processes.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// Webhooks across real processes: the API registers the endpoint, the worker uploads to the
// emulator, the upload's status change writes the event, the worker's relay and delivery worker
// POST it to a receiver on 127.0.0.1 (allowlisted through URL_FETCH_ALLOW), which checks the
// signature the way the README tells receivers to.

interface Delivered {
  id: string;
  type: string;
  createdAt: string;
  data: { upload: { id: string; status: string } };
}

interface DeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  uploadId: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: Array<{ attempt: number; statusCode: number | null; error: string | null; succeeded: boolean; durationMs: number; startedAt: string }>;
}

/** A webhook receiver: verifies every request, answers `mode`, and keeps what it accepted. */
class Receiver {
  mode: 'ok' | 'unavailable' = 'ok';
  secret = '';
  /** Events answered 2xx, each verified. */
  readonly accepted: Delivered[] = [];
  /** Every request that arrived, verified or not. */
  readonly requests: Array<{ verified: boolean; eventId: string | undefined }> = [];
  private server: Server | undefined;

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hoist-events`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.server = server;
  }

  /** Down: nothing listens on the port, so connections are refused. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const verified = verify(req.headers['hoist-signature'], body, this.secret);
      const eventId = req.headers['hoist-event-id'] as string | undefined;
      this.requests.push({ verified, eventId });
      if (!verified) {
        res.writeHead(400).end('bad signature');
        return;
      }
      if (this.mode === 'unavailable') {
        res.writeHead(503).end('maintenance');
        return;
      }
      const event = JSON.parse(body) as Delivered;
      expect(event.id).toBe(eventId);
      expect(event.type).toBe(req.headers['hoist-event-type']);
      this.accepted.push(event);
      res.writeHead(204).end();
    });
  }
}

/** The README's receiver check: HMAC-SHA256 of "<t>.<raw body>", constant-time compare, 5-minute window. */
function verify(header: string | string[] | undefined, body: string, secret: string): boolean {
  if (typeof header !== 'string') return false;
  const parts = Object.fromEntries(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(parts.t);
  if (!Number.isInteger(timestamp) || Math.abs(Date.now() / 1000 - timestamp) > 300) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${parts.t}.${body}`).digest('hex'));
  const given = Buffer.from(parts.v1 ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('webhooks, end to end', () => {
  let stack: Stack;
  let receiver: Receiver;
  let webhookId = '';

  beforeAll(async () => {
    receiver = new Receiver(await freePort());
    await receiver.start();
    stack = await Stack.start({
      workerEnv: {
        URL_FETCH_ALLOW: `127.0.0.1:${receiver.port}`,
        WEBHOOK_RELAY_INTERVAL_MS: '100',
        WEBHOOK_RETRY_BASE_DELAY_MS: '300',
        WEBHOOK_RETRY_MAX_DELAY_MS: '600',
        WEBHOOK_MAX_ATTEMPTS: '30',
        WEBHOOK_TIMEOUT_MS: '2000',
      },
    });
    const response = await fetch(`${stack.apiUrl}/v1/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: receiver.url }),
    });
    expect(response.status).toBe(201);
    const created = (await response.json()) as { id: string; secret: string };
    webhookId = created.id;
    receiver.secret = created.secret;
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await receiver?.stop();
  });

  async function deliveries(): Promise<DeliveryView[]> {
    const response = await fetch(`${stack.apiUrl}/v1/webhooks/${webhookId}/deliveries?limit=100`);
    expect(response.status).toBe(200);
    return ((await response.json()) as { deliveries: DeliveryView[] }).deliveries;
  }

  const failWithLogs = (error: unknown): never => {
    throw new Error(`${String(error)}\n${stack.logs()}`);
  };

  it('sends exactly one verified upload.succeeded event carrying the upload resource', async () => {
    const accepted = await uploadFile(stack.apiUrl, fixturePath('logo.png'));
    const upload = await pollUntilSettled(stack.apiUrl, accepted.body.id).catch(failWithLogs);
    expect(upload.status).toBe('succeeded');

    const event = await waitFor(async () => Promise.resolve(receiver.accepted.find((e) => e.data.upload.id === upload.id)), {
      timeoutMs: 15_000,
      what: 'the webhook event',
    }).catch(failWithLogs);
    expect(event.type).toBe('upload.succeeded');
    expect(event.data.upload).toEqual(await getUpload(stack.apiUrl, upload.id));

    // Time for any duplicate to show up: there must be none.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(receiver.accepted.filter((e) => e.data.upload.id === upload.id)).toHaveLength(1);
    expect(receiver.requests.every((r) => r.verified)).toBe(true);
    const [delivery] = (await deliveries()).filter((d) => d.uploadId === upload.id);
    expect(delivery).toMatchObject({ eventId: event.id, eventType: 'upload.succeeded', status: 'succeeded', attempts: [{ attempt: 1, statusCode: 204, error: null, succeeded: true }] });
  });

  it('sends upload.failed and upload.deleted as well', async () => {
    await stack.setFaults({ script: [{ kind: 'error', status: 400, count: 1 }] });
    const rejected = await uploadFile(stack.apiUrl, fixturePath('logo.png'));
    expect((await pollUntilSettled(stack.apiUrl, rejected.body.id).catch(failWithLogs)).status).toBe('failed');
    const kept = await uploadFile(stack.apiUrl, fixturePath('logo.png'));
    expect((await pollUntilSettled(stack.apiUrl, kept.body.id).catch(failWithLogs)).status).toBe('succeeded');
    const deleted = await fetch(`${stack.apiUrl}/v1/uploads/${kept.body.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);

    const typesFor = (uploadId: string) => receiver.accepted.filter((e) => e.data.upload.id === uploadId).map((e) => `${e.type}:${e.data.upload.status}`);
    await waitFor(async () => Promise.resolve(typesFor(kept.body.id).length === 2 && typesFor(rejected.body.id).length === 1 ? true : undefined), {
      timeoutMs: 15_000,
      what: 'the failed and deleted events',
    }).catch(failWithLogs);
    expect(typesFor(rejected.body.id)).toEqual(['upload.failed:failed']);
    // Each event shows the upload as it was then: succeeded in the first, deleted in the second.
    expect(typesFor(kept.body.id).sort()).toEqual(['upload.deleted:deleted', 'upload.succeeded:succeeded']);
  });

  it('survives a receiver outage (503s, then down): delivered once it is back, failed attempts visible', async () => {
    const scrape = async () => (await fetch(`http://127.0.0.1:${stack.workerMetricsPorts[0]}/metrics`)).text();
    const count = (text: string, outcome: string) => Number(text.split('\n').find((l) => l.startsWith('hoist_webhook_deliveries_total{') && l.includes(`outcome="${outcome}"`))?.split(' ').at(-1) ?? 0);
    const metricsBefore = await scrape();
    receiver.mode = 'unavailable';
    const accepted = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'));
    const upload = await pollUntilSettled(stack.apiUrl, accepted.body.id).catch(failWithLogs);
    const find = async () => (await deliveries()).find((d) => d.uploadId === upload.id);

    // 503s first…
    await waitFor(async () => ((await find())?.attempts.length ?? 0) >= 2 || undefined, { timeoutMs: 15_000, what: 'two answered attempts' }).catch(failWithLogs);
    // …then nothing listens at all for a while.
    await receiver.stop();
    await waitFor(async () => (await find())?.attempts.some((a) => a.statusCode === null) || undefined, { timeoutMs: 15_000, what: 'an attempt while down' }).catch(failWithLogs);
    expect((await find())?.status).toBe('pending');

    receiver.mode = 'ok';
    await receiver.start();
    const delivered = await waitFor(async () => {
      const delivery = await find();
      return delivery?.status === 'succeeded' ? delivery : undefined;
    }, { timeoutMs: 20_000, what: 'delivery after the outage' }).catch(failWithLogs);

    const failed = delivered.attempts.filter((a) => !a.succeeded);
    expect(failed.length).toBeGreaterThanOrEqual(3);
    expect(failed.some((a) => a.statusCode === 503)).toBe(true);
    expect(failed.some((a) => a.statusCode === null && a.error !== null)).toBe(true);
    expect(delivered.attempts.at(-1)).toMatchObject({ statusCode: 204, succeeded: true });
    expect(delivered.attempts.map((a) => a.attempt)).toEqual(delivered.attempts.map((_, i) => i + 1));

    // Every attempt carried the same event id, and the receiver accepted it exactly once.
    const events = receiver.accepted.filter((e) => e.data.upload.id === upload.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id: delivered.eventId, type: 'upload.succeeded' });
    expect(new Set(receiver.requests.filter((r) => r.eventId === delivered.eventId).map((r) => r.eventId)).size).toBe(1);
    expect(receiver.requests.every((r) => r.verified)).toBe(true);

    // The worker's metrics counted every attempt by outcome.
    const metricsAfter = await scrape();
    expect(count(metricsAfter, 'retrying') - count(metricsBefore, 'retrying')).toBe(failed.length);
    expect(count(metricsAfter, 'delivered') - count(metricsBefore, 'delivered')).toBe(1);
    // One grep of the upload id finds its deliveries in the worker's log, with the upload's tenant and the delivery's own attempt.
    // (Log lines are written asynchronously, up to LOG_FLUSH_INTERVAL_MS after the event: wait for the last one.)
    await stack.workers[0]!.waitForOutput(new RegExp(`"deliveryId":"${delivered.id}".*"msg":"webhook delivered"`), 5_000);
    const lines = stack.workers[0]!.output.filter((line) => line.includes(upload.id)).map((line) => JSON.parse(line) as Record<string, unknown>);
    const deliveryLines = lines.filter((line) => line.deliveryId === delivered.id);
    expect(deliveryLines.map((line) => line.msg)).toEqual([...failed.map(() => 'webhook delivery failed; will retry'), 'webhook delivered']);
    for (const [i, line] of deliveryLines.entries()) expect(line).toMatchObject({ uploadId: upload.id, tenantId: 'default', deliveryAttempt: i + 1, eventId: delivered.eventId });
    expect(deliveryLines.every((line) => !('attempt' in line))).toBe(true);
  });
});
