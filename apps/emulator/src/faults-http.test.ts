import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadSdk, rawUpload, startEmulator, uploadBuffer } from './test-support/harness.js';
import type { RunningEmulator, Sdk } from './test-support/harness.js';
import { makePng } from '../../../test/support/fixtures.js';

let sdk: Sdk;
let emulator: RunningEmulator;
const png = makePng(4, 4);
const RATE_LIMIT_MESSAGE = /^Rate Limit Exceeded\. Try again on (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC$/;

beforeAll(async () => {
  sdk = await loadSdk();
  emulator = await startEmulator();
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(async () => {
  await fetch(`${emulator.url}/__emulator/faults`, { method: 'DELETE' });
  await fetch(`${emulator.url}/__emulator/stats`, { method: 'DELETE' });
});

const upload = (extra: Record<string, unknown> = {}) => uploadBuffer(sdk, png, emulator.options(extra));

describe('scripted rate limits', () => {
  it('reach the SDK as http_code 420 with the reset date in the message', async () => {
    await emulator.setFaults({ script: [{ kind: 'rate_limit', count: 1, resetInSeconds: 60 }] });
    const before = Date.now();
    const error = await upload().then(
      () => undefined,
      (reason: unknown) => reason as { http_code: number; message: string },
    );
    expect(error?.http_code).toBe(420);
    const [, date] = RATE_LIMIT_MESSAGE.exec(error?.message ?? '') ?? [];
    const reset = Date.parse(`${date?.replace(' ', 'T')}Z`);
    expect(reset - before).toBeGreaterThanOrEqual(59_000);
    expect(reset - before).toBeLessThanOrEqual(62_000);
    // The script is used up: the next upload goes through.
    await expect(upload()).resolves.toMatchObject({ format: 'png' });
  });

  it('puts the reset time in headers, the message, both or neither as hinted', async () => {
    await emulator.setFaults({
      script: [
        { kind: 'rate_limit', count: 1, hint: 'both', resetInSeconds: 30, limit: 5000 },
        { kind: 'rate_limit', count: 1, hint: 'headers', status: 429 },
        { kind: 'rate_limit', count: 1, hint: 'message' },
        { kind: 'rate_limit', count: 1, hint: 'none' },
      ],
    });
    const both = await rawUpload(emulator, sdk.utils.sign_request, png);
    expect(both.status).toBe(420);
    const body = (await both.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(RATE_LIMIT_MESSAGE);
    expect(both.headers.get('x-featureratelimit-limit')).toBe('5000');
    expect(both.headers.get('x-featureratelimit-remaining')).toBe('0');
    expect(Number(both.headers.get('retry-after'))).toBeGreaterThanOrEqual(29);
    const resetHeader = both.headers.get('x-featureratelimit-reset') ?? '';
    expect(new Date(resetHeader).toUTCString()).toBe(resetHeader);
    // Header and message name the same instant.
    const [, date] = RATE_LIMIT_MESSAGE.exec(body.error.message) ?? [];
    expect(Date.parse(`${date?.replace(' ', 'T')}Z`)).toBe(Date.parse(resetHeader));

    const headersOnly = await rawUpload(emulator, sdk.utils.sign_request, png);
    expect(headersOnly.status).toBe(429);
    expect(await headersOnly.json()).toEqual({ error: { message: 'Rate Limit Exceeded' } });
    expect(headersOnly.headers.get('retry-after')).toBe('1');

    const messageOnly = await rawUpload(emulator, sdk.utils.sign_request, png);
    expect(((await messageOnly.json()) as { error: { message: string } }).error.message).toMatch(RATE_LIMIT_MESSAGE);
    expect(messageOnly.headers.get('retry-after')).toBeNull();

    const neither = await rawUpload(emulator, sdk.utils.sign_request, png);
    expect(await neither.json()).toEqual({ error: { message: 'Rate Limit Exceeded' } });
    expect(neither.headers.get('x-featureratelimit-reset')).toBeNull();

    const stats = (await (await fetch(`${emulator.url}/__emulator/stats`)).json()) as { byStatus: Record<string, number> };
    expect(stats.byStatus).toEqual({ '420': 3, '429': 1 });
  });

  it('429 also reaches the SDK with its message', async () => {
    await emulator.setFaults({ script: [{ kind: 'rate_limit', status: 429 }] });
    await expect(upload()).rejects.toMatchObject({ http_code: 429, message: expect.stringMatching(RATE_LIMIT_MESSAGE) as unknown });
  });
});

describe('scripted failures', () => {
  it('serves errors in order, counting each request once', async () => {
    await emulator.setFaults({
      script: [
        { kind: 'error', status: 503, count: 2 },
        { kind: 'error', status: 500, message: 'General Error' },
      ],
    });
    expect(((await (await fetch(`${emulator.url}/__emulator/faults`)).json()) as { script: unknown[] }).script).toHaveLength(2);
    // The SDK parses 500's body but not 503's.
    await expect(upload()).rejects.toMatchObject({ http_code: 503, message: 'Server returned unexpected status code - 503' });
    await expect(upload()).rejects.toMatchObject({ http_code: 503 });
    await expect(upload()).rejects.toMatchObject({ http_code: 500, message: 'General Error' });
    await expect(upload()).resolves.toMatchObject({ format: 'png' });
    const stats = (await (await fetch(`${emulator.url}/__emulator/stats`)).json()) as Record<string, unknown>;
    expect(stats).toEqual({ requests: 4, uploads: 4, byStatus: { '503': 2, '500': 1, '200': 1 } });
  });

  it('hangs on a timeout fault until the SDK gives up with http_code 499', async () => {
    await emulator.setFaults({ script: [{ kind: 'timeout', hangMs: 5_000 }] });
    const started = Date.now();
    await expect(upload({ timeout: 300 })).rejects.toMatchObject({ http_code: 499, message: 'Request Timeout' });
    expect(Date.now() - started).toBeLessThan(3_000);
    await expect(upload()).resolves.toMatchObject({ format: 'png' });
  });

  it('drops the connection on a reset fault', async () => {
    await emulator.setFaults({ script: [{ kind: 'reset' }] });
    const error = await upload().then(
      () => undefined,
      (reason: unknown) => reason as { http_code?: number; message: string },
    );
    expect(error?.http_code).toBeUndefined();
    expect(error?.message).toMatch(/socket hang up|ECONNRESET|EPIPE/);
    const stats = (await (await fetch(`${emulator.url}/__emulator/stats`)).json()) as { byStatus: Record<string, number> };
    expect(stats.byStatus).toEqual({ reset: 1 });
  });

  it('adds latency', async () => {
    await emulator.setFaults({ latencyMs: 250 });
    const started = Date.now();
    await upload();
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('refuses an invalid fault configuration', async () => {
    for (const body of [{ script: [{ kind: 'explode' }] }, { latencyMs: -1 }, { rateLimitPerSecond: '5' }, { script: [{ kind: 'error', count: 1 }] }, { surprise: true }]) {
      const response = await fetch(`${emulator.url}/__emulator/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(await response.json()).toEqual({ error: { message: expect.any(String) as unknown } });
    }
  });
});

describe('rate limiter', () => {
  const CLOUDINARY_MESSAGE = /^Rate Limit Exceeded\. Limit of (\d+) api operations reached\. Try again on (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC$/;

  it('answers 420 beyond the configured rate, one window of a second at a time', async () => {
    await emulator.setFaults({ rateLimitPerSecond: 2 });
    const started = Date.now();
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => upload()));
    const windows = Math.floor(Date.now() / 1000) - Math.floor(started / 1000) + 1;
    const passed = outcomes.filter((outcome) => outcome.status === 'fulfilled').length;
    const limited = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as { http_code: number; message: string }] : []));
    // Two per window the requests touched.
    expect(passed).toBeGreaterThanOrEqual(2);
    expect(passed).toBeLessThanOrEqual(2 * windows);
    expect(limited.length).toBe(6 - passed);
    for (const error of limited) {
      expect(error.http_code).toBe(420);
      expect(error.message).toMatch(CLOUDINARY_MESSAGE);
    }
  });

  it("speaks Cloudinary's headers on every answer, and a 420 without Retry-After whose message names the same reset", async () => {
    await emulator.setFaults({ rateLimitPerSecond: 3 });
    const answers = [];
    // Sequential, so the answers come in order; tried again when the four did not all fall in one
    // fresh window (a boundary split them, or an earlier try had used the window up) — after that
    // window's reset, so the next try starts on a new one.
    for (let tries = 0; tries < 5; tries++) {
      answers.length = 0;
      for (let i = 0; i < 4; i++) answers.push(await rawUpload(emulator, sdk.utils.sign_request, png));
      const resets = new Set(answers.map((answer) => answer.headers.get('x-featureratelimit-reset')));
      if (resets.size === 1 && answers[0]?.headers.get('x-featureratelimit-remaining') === '2') break;
      const lastReset = Date.parse(answers.at(-1)?.headers.get('x-featureratelimit-reset') ?? '');
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, (Number.isNaN(lastReset) ? 1_000 : lastReset - Date.now()) + 50)));
    }
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 420]);
    expect(answers.map((answer) => answer.headers.get('x-featureratelimit-limit'))).toEqual(Array(4).fill('10800'));
    expect(answers.map((answer) => answer.headers.get('x-featureratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
    const reset = answers[3]?.headers.get('x-featureratelimit-reset') ?? '';
    expect(new Date(reset).toUTCString()).toBe(reset);
    expect(Date.parse(reset) - Date.now()).toBeLessThanOrEqual(1_000);
    const limited = answers[3];
    expect(limited?.headers.get('retry-after')).toBeNull();
    const [, limit, date] = CLOUDINARY_MESSAGE.exec(((await limited?.json()) as { error: { message: string } }).error.message) ?? [];
    expect(limit).toBe('10800');
    expect(Date.parse(`${date?.replace(' ', 'T')}Z`)).toBe(Date.parse(reset));
  });

  it('can answer with Retry-After only, or with no hint at all', async () => {
    await emulator.setFaults({ rateLimitPerSecond: 1, rateLimitStyle: 'retry-after' });
    const answers: Response[] = [];
    // Sequential; the first 420 comes on the second request at the latest.
    while (!answers.some((answer) => answer.status === 420) && answers.length < 6) answers.push(await rawUpload(emulator, sdk.utils.sign_request, png));
    const limited = answers.at(-1);
    expect(limited?.status).toBe(420);
    expect(answers[0]?.headers.get('x-featureratelimit-limit')).toBeNull();
    expect(limited?.headers.get('retry-after')).toBe('1');
    expect(limited?.headers.get('x-featureratelimit-reset')).toBeNull();
    expect(await limited?.json()).toEqual({ error: { message: 'Rate Limit Exceeded' } });

    await emulator.setFaults({ rateLimitPerSecond: 1, rateLimitStyle: 'bare' });
    const concurrent = await Promise.all(Array.from({ length: 3 }, () => rawUpload(emulator, sdk.utils.sign_request, png)));
    const bare = concurrent.find((answer) => answer.status === 420);
    expect(bare).toBeDefined();
    expect(bare?.headers.get('retry-after')).toBeNull();
    expect(bare?.headers.get('x-featureratelimit-limit')).toBeNull();
    expect(await bare?.json()).toEqual({ error: { message: 'Rate Limit Exceeded' } });
  });
});

describe('closing', () => {
  it('does not wait for connections held by a timeout fault', async () => {
    const own = await startEmulator();
    await own.setFaults({ script: [{ kind: 'timeout', hangMs: 60_000 }] });
    const pending = rawUpload(own, sdk.utils.sign_request, png).then(
      () => 'answered',
      () => 'dropped',
    );
    await expect.poll(async () => ((await (await fetch(`${own.url}/__emulator/stats`)).json()) as { byStatus: Record<string, number> }).byStatus['timeout']).toBe(1);
    const started = Date.now();
    await own.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await pending).toBe('dropped');
  });
});
