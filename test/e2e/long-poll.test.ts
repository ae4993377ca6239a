import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadFile, type UploadView } from '../support/api-client.js';
import { fixturePath } from '../support/fixtures.js';
import { Stack } from '../support/stack.js';

describe('long-polling an upload (?wait=N)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start();
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  async function wait(id: string, seconds: number): Promise<{ took: number; status: number; body: UploadView }> {
    const startedAt = Date.now();
    const response = await fetch(`${stack.apiUrl}/v1/uploads/${id}?wait=${seconds}`);
    return { took: Date.now() - startedAt, status: response.status, body: (await response.json()) as UploadView };
  }

  it('answers as soon as the worker finishes, announced over Redis rather than found by re-reading', async () => {
    await stack.setFaults({ latencyMs: 1_500 });
    const accepted = await uploadFile(stack.apiUrl, fixturePath('logo.png'));
    const { took, status, body } = await wait(accepted.body.id, 20);
    expect(status).toBe(200);
    expect(body.status).toBe('succeeded');
    // The upload takes ~1.5 s; the API re-reads Postgres only every 3 s, so an answer well before
    // that can only have come from the worker's announcement.
    expect(took).toBeGreaterThan(1_000);
    expect(took).toBeLessThan(2_800);
  });

  it('answers with the current status when the wait runs out', async () => {
    await stack.setFaults({ latencyMs: 4_000 });
    const accepted = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'));
    const { took, body } = await wait(accepted.body.id, 1);
    expect(['queued', 'processing']).toContain(body.status);
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(3_000);
    await stack.setFaults({ latencyMs: 0 });
  });

  it('streams status events (SSE) until the upload is final, then ends the stream', async () => {
    await stack.setFaults({ latencyMs: 1_000 });
    const accepted = await uploadFile(stack.apiUrl, fixturePath('document.pdf'));
    const response = await fetch(`${stack.apiUrl}/v1/uploads/${accepted.body.id}/events`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await response.text();
    const statuses = [...text.matchAll(/^event: status\ndata: (.*)$/gm)].map((m) => (JSON.parse(m[1]!) as UploadView).status);
    expect(statuses.length).toBeGreaterThanOrEqual(2);
    expect(['queued', 'processing']).toContain(statuses[0]);
    expect(statuses.at(-1)).toBe('succeeded');
    await stack.setFaults({ latencyMs: 0 });
  });

  it('refuses a wait over 60 seconds with a 400 problem', async () => {
    const accepted = await uploadFile(stack.apiUrl, fixturePath('logo.png'));
    const response = await fetch(`${stack.apiUrl}/v1/uploads/${accepted.body.id}?wait=61`);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
