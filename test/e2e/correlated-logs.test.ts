import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntilSettled, uploadFile } from '../support/api-client.js';
import { fixturePath } from '../support/fixtures.js';
import type { TestProcess } from '../support/processes.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// "One grep follows an upload": every JSON line the API or a worker writes that mentions an upload
// id carries uploadId, tenantId and (in the worker, where a job runs) jobId and attempt.

interface LogLine {
  msg?: string;
  uploadId?: string;
  tenantId?: string;
  jobId?: string;
  attempt?: number;
  req?: { method?: string; url?: string };
  raw: string;
}

/** `grep <id>` over a process's output, each line parsed as the JSON pino writes. */
function grep(process: TestProcess, id: string): LogLine[] {
  return process.output
    .filter((line) => line.includes(id))
    .map((raw) => {
      expect(() => JSON.parse(raw) as unknown, `not a JSON log line: ${raw}`).not.toThrow();
      return { ...(JSON.parse(raw) as Omit<LogLine, 'raw'>), raw };
    });
}

/**
 * Waits until `process` has logged `msg` about upload `id`: a status read as final can come before
 * the worker's line about it has crossed the pipe to this process.
 */
async function logged(process: TestProcess, id: string, msg: string, where: (line: LogLine) => boolean = () => true): Promise<void> {
  await waitFor(() => Promise.resolve(grep(process, id).some((line) => line.msg === msg && where(line)) ? true : undefined), { timeoutMs: 10_000, what: `"${msg}" logged for ${id}` });
}

/** Every field once: pino writes a key twice when a child logger binds it again, which strict JSON readers refuse. */
function expectEachFieldOnce(line: LogLine, fields: readonly string[]): void {
  for (const field of fields) expect(line.raw.split(`"${field}":`).length - 1, `${field} in ${line.raw}`).toBe(1);
}

function expectApiLines(lines: LogLine[], id: string): void {
  for (const line of lines) {
    expect(line, line.raw).toMatchObject({ uploadId: id, tenantId: 'default' });
    expectEachFieldOnce(line, ['uploadId', 'tenantId']);
  }
}

function expectWorkerLines(lines: LogLine[], id: string): void {
  for (const line of lines) {
    expect(line, line.raw).toMatchObject({ uploadId: id, tenantId: 'default', jobId: id, attempt: expect.any(Number) as number });
    expectEachFieldOnce(line, ['uploadId', 'tenantId', 'jobId', 'attempt']);
  }
}

describe('correlated logs', () => {
  let stack: Stack;
  let api: TestProcess;
  let worker: TestProcess;
  beforeAll(async () => {
    stack = await Stack.start();
    const found = stack.processes.find((p) => p.name === 'api');
    if (!found || !stack.workers[0]) throw new Error('stack without an API or a worker');
    api = found;
    worker = stack.workers[0];
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('one grep of the upload id finds the API accepting it and the worker uploading it, every line with its ids', async () => {
    const accepted = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'));
    expect(accepted.status).toBe(202);
    const id = accepted.body.id;
    expect((await pollUntilSettled(stack.apiUrl, id)).status).toBe('succeeded');

    // A poll's "request completed" is written as its answer goes out: it may still be on its way.
    await logged(api, id, 'request completed', (line) => line.req?.url === `/v1/uploads/${id}`);
    const apiLines = grep(api, id);
    expectApiLines(apiLines, id);
    expect(apiLines.find((line) => line.msg === 'upload accepted')).toMatchObject({ jobId: id });
    // The requests about it: the POST that created it (whose URL does not name it) and the polls.
    expect(apiLines.find((line) => line.msg === 'request completed' && line.req?.method === 'POST')).toMatchObject({ req: { url: '/v1/uploads' } });
    expect(apiLines.some((line) => line.msg === 'request completed' && line.req?.url === `/v1/uploads/${id}`)).toBe(true);

    await logged(worker, id, 'upload succeeded');
    const workerLines = grep(worker, id);
    expectWorkerLines(workerLines, id);
    expect(workerLines.find((line) => line.msg === 'upload succeeded')).toMatchObject({ attempt: 1 });
  });

  it('after a transient provider error, the retry is attempt 2 of the same job', async () => {
    await stack.setFaults({ script: [{ kind: 'error', status: 503, count: 1 }] });
    const accepted = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'));
    const id = accepted.body.id;
    expect(await pollUntilSettled(stack.apiUrl, id)).toMatchObject({ status: 'succeeded', attempts: 2 });

    expectApiLines(grep(api, id), id);
    await logged(worker, id, 'upload succeeded');
    const workerLines = grep(worker, id);
    expectWorkerLines(workerLines, id);
    expect(workerLines.find((line) => line.msg === 'provider call failed; will retry')).toMatchObject({ attempt: 1 });
    expect(workerLines.find((line) => line.msg === 'upload succeeded')).toMatchObject({ attempt: 2 });
  });

  it('a retry through the API (POST /v1/uploads/:id/retry) logs the same ids, once each', async () => {
    // MAX_ATTEMPTS is 4 in the stack: four 503s exhaust them.
    await stack.setFaults({ script: [{ kind: 'error', status: 503, count: 4 }] });
    const accepted = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'));
    const id = accepted.body.id;
    expect(await pollUntilSettled(stack.apiUrl, id)).toMatchObject({ status: 'failed', error: { code: 'attempts_exhausted' } });
    const retried = await fetch(`${stack.apiUrl}/v1/uploads/${id}/retry`, { method: 'POST' });
    expect(retried.status).toBe(202);
    expect((await pollUntilSettled(stack.apiUrl, id)).status).toBe('succeeded');

    await logged(api, id, 'request completed', (line) => line.req?.url === `/v1/uploads/${id}/retry`);
    const apiLines = grep(api, id);
    expectApiLines(apiLines, id);
    const sentBack = apiLines.find((line) => line.msg === 'failed upload sent back to the queue');
    expect(sentBack).toMatchObject({ jobId: id });
    expectEachFieldOnce(sentBack!, ['jobId']);
    expect(apiLines.some((line) => line.msg === 'request completed' && line.req?.url === `/v1/uploads/${id}/retry`)).toBe(true);

    await logged(worker, id, 'upload succeeded');
    const workerLines = grep(worker, id);
    expectWorkerLines(workerLines, id);
    expect(workerLines.filter((line) => line.msg === 'upload failed')).toHaveLength(1);
    expect(workerLines.find((line) => line.msg === 'upload succeeded')).toMatchObject({ attempt: 1 });
  });
});
