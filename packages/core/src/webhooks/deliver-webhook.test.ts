import { describe, expect, it } from 'vitest';
import type { ConcurrencyLeases } from '../concurrency-leases.js';
import type { Logger } from '../logger.js';
import type { Upload } from '../upload.js';
import { toUploadView } from '../upload-view.js';
import { deliverWebhook, WebhookSendError, type WebhookRequest, type WebhookSender } from './deliver-webhook.js';
import type { DeliveryWork, WebhookAttempt } from './webhook.js';
import type { WebhookRepository } from './webhook.repository.js';
import { verifyWebhookSignature } from './webhook-signature.js';

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

const upload = {
  id: '019ab1c2-5f0e-7a31-9c3e-2d4c1b0a9e77',
  tenantId: 'acme',
  status: 'succeeded',
  attempts: 1,
  filename: 'a.png',
  bytes: 10,
  contentType: 'image/png',
  sha256: 'a'.repeat(64),
  createdAt: new Date('2026-11-23T16:00:00Z'),
  updatedAt: new Date('2026-11-23T16:00:01Z'),
  completedAt: new Date('2026-11-23T16:00:01Z'),
  result: null,
  error: null,
} as unknown as Upload;

/** The slice of the repository a delivery uses, in memory. */
function fakeRepository(status: DeliveryWork['status'] = 'pending') {
  const state = { status, attempts: 0, recorded: [] as Array<{ attempt: WebhookAttempt; final: string | undefined }> };
  const work = (): DeliveryWork => ({
    deliveryId: 'd1',
    status: state.status,
    attempts: state.attempts,
    endpoint: { id: 'e1', url: 'https://hooks.example.com/in', secret: 'whsec_s' },
    event: { id: 'evt-1', tenantId: 'acme', type: 'upload.succeeded', uploadId: upload.id, upload, createdAt: new Date('2026-11-23T16:00:01Z') },
  });
  const repository = {
    findDeliveryWork: () => Promise.resolve(work()),
    startAttempt: () => Promise.resolve(state.status === 'pending' ? ++state.attempts : undefined),
    recordAttempt: (_id: string, attempt: WebhookAttempt, final?: 'succeeded' | 'failed') => {
      state.recorded.push({ attempt, final });
      if (final && state.status === 'pending') state.status = final;
      return Promise.resolve();
    },
  } as unknown as WebhookRepository;
  return { state, repository };
}

function sender(answer: () => Promise<{ statusCode: number }>) {
  const sent: WebhookRequest[] = [];
  const subject: WebhookSender = {
    send: (request) => {
      sent.push(request);
      return answer();
    },
  };
  return { sent, subject };
}

describe('deliverWebhook', () => {
  it('sends the event signed with the endpoint secret, with the upload resource as data', async () => {
    const { state, repository } = fakeRepository();
    const { sent, subject } = sender(() => Promise.resolve({ statusCode: 200 }));
    expect(await deliverWebhook({ webhooks: repository, sender: subject, logger: silent }, { deliveryId: 'd1', isFinalAttempt: false })).toEqual({ kind: 'succeeded' });
    const [request] = sent;
    expect(request!.url).toBe('https://hooks.example.com/in');
    expect(JSON.parse(request!.body)).toEqual({ id: 'evt-1', type: 'upload.succeeded', createdAt: '2026-11-23T16:00:01.000Z', data: { upload: toUploadView(upload) } });
    expect(request!.headers).toMatchObject({ 'content-type': 'application/json', 'hoist-event-id': 'evt-1', 'hoist-event-type': 'upload.succeeded' });
    expect(verifyWebhookSignature(request!.headers['hoist-signature'], request!.body, 'whsec_s')).toBeUndefined();
    expect(state.recorded).toEqual([{ attempt: expect.objectContaining({ attempt: 1, statusCode: 200, error: null, succeeded: true }), final: 'succeeded' }]);
    // Done: a duplicate job sends nothing.
    expect(await deliverWebhook({ webhooks: repository, sender: subject, logger: silent }, { deliveryId: 'd1', isFinalAttempt: false })).toEqual({ kind: 'skipped' });
    expect(sent).toHaveLength(1);
  });

  it('asks for a retry on a non-2xx answer or no answer, with the same event id and body each time, and fails on the last attempt', async () => {
    const { state, repository } = fakeRepository();
    const answers = [() => Promise.resolve({ statusCode: 503 }), () => Promise.reject(new WebhookSendError('Connection failed (ECONNREFUSED).', false)), () => Promise.resolve({ statusCode: 500 })];
    const { sent, subject } = sender(() => answers.shift()!());
    const deps = { webhooks: repository, sender: subject, logger: silent };
    expect(await deliverWebhook(deps, { deliveryId: 'd1', isFinalAttempt: false })).toEqual({ kind: 'retry', reason: 'The receiver answered 503.' });
    expect(await deliverWebhook(deps, { deliveryId: 'd1', isFinalAttempt: false })).toEqual({ kind: 'retry', reason: 'Connection failed (ECONNREFUSED).' });
    expect(await deliverWebhook(deps, { deliveryId: 'd1', isFinalAttempt: true })).toEqual({ kind: 'failed', reason: 'The receiver answered 500.' });
    expect(new Set(sent.map((r) => r.headers['hoist-event-id']))).toEqual(new Set(['evt-1']));
    expect(new Set(sent.map((r) => r.body)).size).toBe(1);
    expect(state.recorded.map((r) => [r.attempt.attempt, r.attempt.statusCode, r.attempt.error, r.final])).toEqual([
      [1, 503, null, undefined],
      [2, null, 'Connection failed (ECONNREFUSED).', undefined],
      [3, 500, null, 'failed'],
    ]);
    expect(state.status).toBe('failed');
  });

  it("logs each attempt with the upload's ids and deliveryAttempt, and tells the observer how it ended", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const recording = (bindings: Record<string, unknown>): Logger => {
      const write = (obj: object, msg?: string) => lines.push({ ...bindings, ...obj, msg });
      return { debug: write, info: write, warn: write, error: write, child: (more) => recording({ ...bindings, ...more }) };
    };
    const outcomes: Array<[string, number]> = [];
    const observer = { deliveryAttempt: (outcome: string, seconds: number) => outcomes.push([outcome, seconds]) };
    const { repository } = fakeRepository();
    const answers = [503, 200];
    const { subject } = sender(() => Promise.resolve({ statusCode: answers.shift()! }));
    let clock = 1_000;
    const deps = { webhooks: repository, sender: subject, logger: recording({}), observer, now: () => (clock += 250) };
    await deliverWebhook(deps, { deliveryId: 'd1', isFinalAttempt: false });
    await deliverWebhook(deps, { deliveryId: 'd1', isFinalAttempt: false });
    expect(outcomes).toEqual([
      ['retrying', 0.25],
      ['delivered', 0.25],
    ]);
    expect(lines.map((line) => [line.msg, line.deliveryAttempt])).toEqual([
      ['webhook delivery failed; will retry', 1],
      ['webhook delivered', 2],
    ]);
    for (const line of lines) {
      expect(line).toMatchObject({ uploadId: upload.id, tenantId: 'acme', deliveryId: 'd1', eventId: 'evt-1', endpointId: 'e1' });
      expect(line).not.toHaveProperty('attempt');
    }

    const failing = fakeRepository();
    const refused = sender(() => Promise.reject(new WebhookSendError('Host resolves to a non-public address.', true)));
    await deliverWebhook({ ...deps, webhooks: failing.repository, sender: refused.subject }, { deliveryId: 'd1', isFinalAttempt: false });
    expect(outcomes.at(-1)).toEqual(['failed', 0.25]);
  });

  it('fails at once when the URL is refused by policy', async () => {
    const { state, repository } = fakeRepository();
    const { subject } = sender(() => Promise.reject(new WebhookSendError('Host resolves to a non-public address.', true)));
    expect(await deliverWebhook({ webhooks: repository, sender: subject, logger: silent }, { deliveryId: 'd1', isFinalAttempt: false })).toMatchObject({ kind: 'failed' });
    expect(state.status).toBe('failed');
  });

  it('skips a finished delivery without sending', async () => {
    const { repository } = fakeRepository('failed');
    const { sent, subject } = sender(() => Promise.resolve({ statusCode: 200 }));
    expect(await deliverWebhook({ webhooks: repository, sender: subject, logger: silent }, { deliveryId: 'd1', isFinalAttempt: false })).toEqual({ kind: 'skipped' });
    expect(sent).toEqual([]);
  });
});

describe('deliverWebhook: per-endpoint and per-tenant concurrency', () => {
  /** Leases in memory: a set of holders per key. */
  function memoryLeases() {
    const held = new Map<string, Set<string>>();
    const leases: ConcurrencyLeases = {
      acquire: (key, holder, { limit }) => {
        const holders = held.get(key) ?? new Set<string>();
        held.set(key, holders);
        if (!holders.has(holder) && holders.size >= limit) return Promise.resolve(false);
        holders.add(holder);
        return Promise.resolve(true);
      },
      renew: () => Promise.resolve(),
      release: (key, holder) => Promise.resolve(void held.get(key)?.delete(holder)),
    };
    return { held, leases };
  }

  it('sends nothing and spends no attempt while the endpoint or the tenant is at its limit, and gives the leases back after sending', async () => {
    const { held, leases } = memoryLeases();
    const { state, repository } = fakeRepository();
    const { sent, subject } = sender(() => Promise.resolve({ statusCode: 204 }));
    const deps = { webhooks: repository, sender: subject, logger: silent, concurrency: { leases, perEndpoint: 1, perTenant: 2, ttlMs: 60_000 } };

    held.set('webhook-endpoint:e1', new Set(['another-delivery']));
    expect(await deliverWebhook(deps, { deliveryId: 'd1', isFinalAttempt: false })).toEqual({ kind: 'busy' });
    expect(sent).toHaveLength(0);
    expect(state.attempts).toBe(0);

    // The tenant's lease it took before finding the endpoint busy was given back.
    expect(held.get('webhook-tenant:acme')?.size).toBe(0);

    held.get('webhook-endpoint:e1')?.clear();
    held.set('webhook-tenant:acme', new Set(['x', 'y']));
    expect(await deliverWebhook(deps, { deliveryId: 'd1', isFinalAttempt: false })).toEqual({ kind: 'busy' });
    expect(held.get('webhook-endpoint:e1')?.size).toBe(0);

    held.get('webhook-tenant:acme')?.clear();
    expect(await deliverWebhook(deps, { deliveryId: 'd1', isFinalAttempt: false })).toEqual({ kind: 'succeeded' });
    expect(sent).toHaveLength(1);
    expect(held.get('webhook-endpoint:e1')?.size).toBe(0);
    expect(held.get('webhook-tenant:acme')?.size).toBe(0);
  });
});
