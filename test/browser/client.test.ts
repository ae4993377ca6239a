import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type * as Sdk from '@hoist/client';
import type * as Webhooks from '@hoist/client/webhooks';
import { generateWebhookSecret, signWebhook } from '@hoist/core';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng, pngHead } from '../support/fixtures.js';
import { repoRoot } from '../support/processes.js';
import { Stack } from '../support/stack.js';

// The client SDK's browser build in Chromium, as a web app would ship it: bundled by esbuild from the
// built package with the `browser` condition, served from an origin of its own, calling the API on
// another (CORS_ORIGINS) with an API key (AUTH=on).

/** What the test page puts on `window` (its code runs in the page: only types cross over). */
interface PageGlobals {
  hoist: typeof Sdk;
  webhooks: typeof Webhooks;
  ready?: boolean;
  Image: new () => { src: string; naturalWidth: number; decode(): Promise<void> };
}

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const title = haveChromium ? '@hoist/client in Chromium' : `@hoist/client in Chromium — SKIPPED: ${CHROMIUM} does not exist (install it with \`bash scripts/ensure-chromium.sh\`)`;
const MB = 1024 * 1024;
const run = promisify(execFile);

/** The SDK bundled for browsers from its built entry points; fails if anything reaches for Node. */
async function bundle(entry: string): Promise<{ code: string; inputs: string[] }> {
  const result = await build({
    entryPoints: [join(repoRoot, 'packages/client/dist', entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) };
}

describe.skipIf(!haveChromium)(title, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let site: Server;
  let origin: string;
  let apiKey: string;
  let inputs: string[];

  beforeAll(async () => {
    const client = await bundle('browser.js');
    const webhooks = await bundle('webhooks.js');
    inputs = [...client.inputs, ...webhooks.inputs];
    const html = '<!doctype html><title>SDK</title><script type="module">import * as hoist from "/hoist-client.js"; import * as webhooks from "/hoist-webhooks.js"; Object.assign(window, { hoist, webhooks, ready: true });</script>';
    site = createServer((request, response) => {
      const files: Record<string, [string, string]> = { '/': ['text/html', html], '/hoist-client.js': ['text/javascript', client.code], '/hoist-webhooks.js': ['text/javascript', webhooks.code] };
      const file = files[request.url ?? ''];
      if (!file) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': file[0] }).end(file[1]);
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
    stack = await Stack.start({ workerEnv: { AUTH: 'on' }, apiEnv: { CORS_ORIGINS: origin } });
    const created = await run(process.execPath, [join(repoRoot, 'apps/cli/dist/main.js'), 'keys', 'create', '--tenant', 'webapp', '--json'], { env: { PATH: process.env.PATH ?? '', DATABASE_URL: stack.env.DATABASE_URL! } });
    apiKey = (JSON.parse(created.stdout) as { key: string }).key;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    page = await browser.newPage();
    await page.goto(`${origin}/`);
    await page.waitForFunction(() => (globalThis as unknown as PageGlobals).ready === true);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await new Promise((resolve) => site?.close(resolve));
  });

  it('builds for browsers without anything of Node', () => {
    expect(inputs.filter((input) => input.startsWith('node:'))).toEqual([]);
    expect(inputs.some((input) => input.includes('tus-js-client/lib.esm/browser/'))).toBe(true);
    expect(inputs.some((input) => input.includes('tus-js-client/lib.esm/node/'))).toBe(false);
  });

  it('uploads a File from another origin with an API key, waits for it, and shows it', async () => {
    const png = makePng(40, 30, 11).toString('base64');
    const outcome = await page.evaluate(
      async ({ apiUrl, key, png }) => {
        const { HoistClient } = (globalThis as unknown as PageGlobals).hoist;
        const client = new HoistClient({ baseUrl: apiUrl, apiKey: key });
        const file = new File([Uint8Array.from(atob(png), (c) => c.charCodeAt(0))], 'from-browser.png', { type: 'image/png' });
        const progress: number[] = [];
        const accepted = await client.upload(file, { folder: 'web', tags: ['browser'], onProgress: ({ sent }) => progress.push(sent) });
        const upload = await client.waitFor(accepted.id, { timeout: 30_000 });
        const image = new (globalThis as unknown as PageGlobals).Image();
        image.src = upload.result!.secureUrl;
        await image.decode();
        return { accepted, upload, progress, width: image.naturalWidth };
      },
      { apiUrl: stack.apiUrl, key: apiKey, png },
    );
    expect(outcome.accepted).toMatchObject({ status: 'queued', transport: 'multipart' });
    expect(outcome.upload).toMatchObject({ status: 'succeeded', filename: 'from-browser.png', result: { publicId: `webapp/web/${outcome.accepted.id}` } });
    expect(outcome.progress.at(-1)).toBe(outcome.upload.bytes);
    expect(outcome.width).toBe(40);
  });

  it('sends a large Blob through tus with progress, and follows an upload over SSE', async () => {
    const head = pngHead(20 * MB).toString('base64');
    const outcome = await page.evaluate(
      async ({ apiUrl, key, head, size }) => {
        const { HoistClient } = (globalThis as unknown as PageGlobals).hoist;
        const client = new HoistClient({ baseUrl: apiUrl, apiKey: key, tusChunkBytes: 4 * 1024 * 1024 });
        const bytes = new Uint8Array(size);
        bytes.set(Uint8Array.from(atob(head), (c) => c.charCodeAt(0)));
        for (let at = 4096; at < size; at += 65536) crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)));
        const progress: number[] = [];
        const accepted = await client.upload(new Blob([bytes]), { filename: 'big.png', onProgress: ({ sent }) => progress.push(sent) });
        const statuses: string[] = [];
        for await (const upload of client.watch(accepted.id)) statuses.push(upload.status);
        const upload = await client.get(accepted.id);
        return { accepted, statuses, bytes: upload.bytes, resultBytes: upload.result?.bytes, progress: [progress.length, progress.at(-1)] };
      },
      { apiUrl: stack.apiUrl, key: apiKey, head, size: 20 * MB },
    );
    expect(outcome.accepted).toMatchObject({ transport: 'tus', status: 'queued' });
    expect(outcome.progress[0]).toBeGreaterThan(2);
    expect(outcome.progress[1]).toBe(20 * MB);
    expect(outcome.statuses.at(-1)).toBe('succeeded');
    expect(outcome.bytes).toBe(20 * MB);
    expect(outcome.resultBytes).toBe(20 * MB);
  });

  it('throws typed errors: a wrong key, a refused file, a file path', async () => {
    const outcome = await page.evaluate(
      async ({ apiUrl, key }) => {
        const { HoistClient, HoistApiError, HoistUsageError } = (globalThis as unknown as PageGlobals).hoist;
        const caught = async (promise: Promise<unknown>) =>
          promise.then(
            () => 'resolved',
            (error: Sdk.HoistApiError) => ({ name: error.name, status: error.status, code: error.code, api: error instanceof HoistApiError, usage: error instanceof HoistUsageError }),
          );
        const stranger = new HoistClient({ baseUrl: apiUrl, apiKey: 'hoist_sk_' + 'A'.repeat(43) });
        const client = new HoistClient({ baseUrl: apiUrl, apiKey: key });
        return {
          unauthorized: await caught(stranger.list()),
          unsupported: await caught(client.upload(new Blob(['plain text']), { filename: 'notes.txt' })),
          path: await caught(client.upload('/etc/passwd')),
        };
      },
      { apiUrl: stack.apiUrl, key: apiKey },
    );
    expect(outcome.unauthorized).toMatchObject({ name: 'HoistApiError', api: true, status: 401, code: 'unauthorized' });
    expect(outcome.unsupported).toMatchObject({ api: true, status: 415, code: 'unsupported-file-type' });
    expect(outcome.path).toMatchObject({ name: 'HoistUsageError', usage: true });
  });

  it('verifies webhook signatures with Web Crypto', async () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ id: 'e1', type: 'upload.succeeded', createdAt: new Date().toISOString(), data: { upload: { id: 'u1' } } });
    const header = signWebhook(secret, Math.floor(Date.now() / 1000), body);
    const verdicts = await page.evaluate(
      async ({ header, body, secret }) => {
        const { verifyWebhookSignature } = (globalThis as unknown as PageGlobals).webhooks;
        return [await verifyWebhookSignature(header, body, secret), await verifyWebhookSignature(header, body + ' ', secret)];
      },
      { header, body, secret },
    );
    expect(verdicts).toEqual([true, false]);
  });
});
