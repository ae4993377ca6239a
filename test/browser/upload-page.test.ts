import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, PNG_SIGNATURE, pngChunk, rgbHeader } from '../support/fixtures.js';
import { repoRoot } from '../support/processes.js';
import { Stack } from '../support/stack.js';
import { TcpForwarder } from '../support/tcp-forwarder.js';
import { waitFor } from '../support/wait.js';

// The browser upload page (UPLOAD_PAGE=on) in Chromium against a real stack: files dropped on Uppy's
// Dashboard go through tus to /v1/tus, a worker stores them on the emulator, and the page shows each
// one's thumbnail from result.secureUrl. The network drops in the middle of the large file: the
// upload resumes from what the server has, instead of starting again.

/** Debian's chromium; scripts/ensure-chromium.sh installs it (CI runs that). */
const CHROMIUM = '/usr/bin/chromium';
const run = promisify(execFile);

const haveChromium = existsSync(CHROMIUM);
const title = haveChromium
  ? 'upload page in Chromium'
  : `upload page in Chromium — SKIPPED: ${CHROMIUM} does not exist (install it with \`bash scripts/ensure-chromium.sh\`)`;
if (!haveChromium) process.stderr.write(`test/browser/upload-page.test.ts skipped: ${CHROMIUM} does not exist; run \`bash scripts/ensure-chromium.sh\` (apt-get install chromium) to run it.\n`);

/** How long the page may take to show what a user did (long on a loaded 2-core machine). */
const UI = { timeout: 20_000, interval: 100 };
/** The upload rate Chromium is held to while the large file goes up, bytes/s: slow enough to cut it off in the middle. */
const THROTTLED_BYTES_PER_SECOND = 6 * 1024 * 1024;

let browser: Browser;
let workDir: string;

beforeAll(async () => {
  if (!haveChromium) return;
  workDir = await mkdtemp(join(tmpdir(), 'hoist-upload-page-'));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
});
afterAll(async () => {
  await browser?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** A new page that fails the test on any CSP violation or uncaught error (collected, asserted at the end). */
async function openPage(context: BrowserContext): Promise<{ page: Page; problems: string[] }> {
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  return { page, problems };
}

// Code that runs in the page is written as strings: the tests are type-checked without the DOM's types.

/**
 * Drops files on the Dashboard as a drag from the desktop does (one `drop` event carrying them all).
 * A file given by `url` is fetched by the page (a page.route serves it: 53 MB does not go through
 * evaluate as base64); the others' bytes go inline.
 */
async function dropFiles(page: Page, files: Array<{ name: string; type: string } & ({ bytes: Buffer } | { url: string })>): Promise<void> {
  const list = JSON.stringify(files.map((file) => ({ name: file.name, type: file.type, ...('bytes' in file ? { base64: file.bytes.toString('base64') } : { url: file.url }) })));
  const dataTransfer = await page.evaluateHandle(`(async () => {
    const transfer = new DataTransfer();
    for (const file of ${list}) {
      const bytes = file.url ? await (await fetch(file.url)).blob() : Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], file.name, { type: file.type }));
    }
    return transfer;
  })()`);
  const target = page.locator('.uppy-Dashboard-inner');
  await target.dispatchEvent('dragenter', { dataTransfer });
  await target.dispatchEvent('dragover', { dataTransfer });
  await target.dispatchEvent('drop', { dataTransfer });
}

/** The names of the result grid's thumbnails the browser has loaded and decoded (naturalWidth > 0). */
async function loadedThumbnails(page: Page): Promise<string[]> {
  return page.evaluate<string[]>("[...document.querySelectorAll('#results img')].filter((image) => image.complete && image.naturalWidth > 0).map((image) => image.alt)");
}

/**
 * A valid RGB PNG of a smooth gradient whose pixel data is stored, not compressed (deflate level 0):
 * width × height × 3 bytes and more, and a thumbnail that looks like something in the screenshot.
 */
function storedGradientPng(width: number, height: number): Buffer {
  const pixels = Buffer.alloc(height * (1 + width * 3));
  for (let y = 0; y < height; y++) {
    const row = y * (1 + width * 3);
    for (let x = 0; x < width; x++) pixels.set([Math.round((x / width) * 255), Math.round((y / height) * 200), 180], row + 1 + x * 3);
  }
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', rgbHeader(width, height)), pngChunk('IDAT', deflateSync(pixels, { level: 0 })), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A path in test/artifacts (kept out of git), for a file a person can look at after the run. */
async function artifact(name: string): Promise<string> {
  const directory = join(repoRoot, 'test', 'artifacts');
  await mkdir(directory, { recursive: true });
  return join(directory, name);
}

describe.skipIf(!haveChromium)(title, () => {
  describe('AUTH=off', () => {
    let stack: Stack;
    let forwarder: TcpForwarder;
    let bigPath: string;
    let bigSize: number;

    beforeAll(async () => {
      // A real 4200×4200 PNG, its pixels stored uncompressed: about 53 MB (over 50 MiB), which the
      // emulator stores and Chromium decodes for its thumbnail.
      const big = storedGradientPng(4200, 4200);
      bigSize = big.length;
      expect(bigSize).toBeGreaterThan(50 * 1024 * 1024);
      bigPath = join(workDir, 'large.png');
      await writeFile(bigPath, big);
      stack = await Stack.start({ apiEnv: { UPLOAD_PAGE: 'on' } });
      // The browser reaches the API through a forwarder that counts what it sends.
      const { hostname, port } = new URL(stack.apiUrl);
      forwarder = await TcpForwarder.start('127.0.0.1', { host: hostname, port: Number(port) });
    }, 120_000);
    afterAll(async () => {
      await forwarder?.stop();
      await stack?.stop();
    });

    it('uploads three files dropped at once (53 MB among them), pauses and resumes the large one, resumes it after the network drops, and shows three thumbnails', async () => {
      const api = stack.processes.find((p) => p.name === 'api');
      expect(api?.output.join('\n')).toContain('upload page enabled at /upload');

      const context = await browser.newContext({ viewport: { width: 960, height: 720 } });
      const { page, problems } = await openPage(context);
      try {
        // Where the big file's tus upload is, and the offsets its requests carry.
        let bigUploadId: string | undefined;
        const patchOffsets: number[] = [];
        const headOffsets: number[] = [];
        page.on('response', (response) => {
          const request = response.request();
          if (request.method() === 'POST' && request.url().endsWith('/v1/tus') && request.headers()['upload-length'] === String(bigSize)) {
            bigUploadId = response.headers().location?.split('/').pop();
          }
          if (bigUploadId && request.url().endsWith(`/v1/tus/${bigUploadId}`) && request.method() === 'HEAD') headOffsets.push(Number(response.headers()['upload-offset']));
        });
        page.on('request', (request) => {
          if (bigUploadId && request.url().endsWith(`/v1/tus/${bigUploadId}`) && request.method() === 'PATCH') patchOffsets.push(Number(request.headers()['upload-offset']));
        });

        // The large file's bytes, for the page to make a File of (served by the test, not the API).
        await page.route('**/__test/large.png', (route) => route.fulfill({ path: bigPath, contentType: 'image/png' }));
        const pageUrl = `http://127.0.0.1:${forwarder.port}/upload`;
        await page.goto(pageUrl);
        await expect.poll(() => page.locator('.uppy-Dashboard-inner').count(), UI).toBe(1);
        expect(await page.locator('#api-key').isVisible()).toBe(false);

        // All three dragged in at once, the large one among them.
        await dropFiles(page, [
          { name: 'large.png', type: 'image/png', url: '/__test/large.png' },
          { name: 'photo.jpg', type: 'image/jpeg', bytes: fixture('photo.jpg') },
          { name: 'logo.png', type: 'image/png', bytes: fixture('logo.png') },
        ]);
        await expect.poll(() => page.locator('.uppy-Dashboard-Item').count(), UI).toBe(3);

        // Routing off again: the uploads go over the network untouched.
        await page.unrouteAll();
        // Hold Chromium's uploads to a few MB/s, so the large file is still going when the network drops.
        const cdp = await context.newCDPSession(page);
        await cdp.send('Network.enable');
        await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: THROTTLED_BYTES_PER_SECOND });
        await page.getByRole('button', { name: /^Upload 3 files$/ }).click();

        // Server side: the tus store's partial file of the large upload grows; cut the network at 15 MB or more.
        const partial = () => join(stack.tmpDir, 'tus', bigUploadId ?? 'none');
        const sizeOf = async () => (await stat(partial()).catch(() => undefined))?.size;
        const MB = 1024 * 1024;
        await waitFor(async () => ((await sizeOf()) ?? 0) >= 12 * MB || undefined, { timeoutMs: 60_000, what: 'the first 12 MB of the large file on the server' });

        // Pause (the file's own button): once the server has written what reached it, nothing more comes.
        const bigItem = page.locator('.uppy-Dashboard-Item', { hasText: 'large.png' });
        await bigItem.getByRole('button', { name: 'Pause upload' }).click();
        let previous = -1;
        const paused = await waitFor(
          async () => {
            const size = (await sizeOf()) ?? 0;
            const settled = size === previous ? size : undefined;
            previous = size;
            return settled;
          },
          { timeoutMs: 20_000, intervalMs: 500, what: 'the large file to stop growing once paused' },
        );
        await page.waitForTimeout(2_000);
        expect(await sizeOf(), 'nothing arrives while paused').toBe(paused);
        expect(paused).toBeLessThan(bigSize);
        await bigItem.getByRole('button', { name: 'Resume upload' }).click();
        await waitFor(async () => ((await sizeOf()) ?? 0) >= paused + 8 * MB || undefined, { timeoutMs: 60_000, what: '8 MB more of the large file after resuming' });
        expect(headOffsets, 'resumed from where it paused').toContain(paused);

        // The network goes: the browser is offline, and the connections it had are broken (Chromium's
        // offline emulation only holds a request body in flight; a real outage breaks its connection).
        await context.setOffline(true);
        forwarder.dropConnections();
        await page.waitForTimeout(3_000);
        const heldWhileOffline = (await sizeOf()) ?? 0;
        expect(heldWhileOffline).toBeGreaterThanOrEqual(paused + 8 * MB);
        expect(heldWhileOffline, 'cut off in the middle').toBeLessThan(bigSize);
        const sentBeforeReconnect = forwarder.bytesFromClients;
        const headsBeforeReconnect = headOffsets.length;
        await context.setOffline(false);

        // Three thumbnails, each image decoded by the browser.
        await expect.poll(() => loadedThumbnails(page), { timeout: 90_000, interval: 500 }).toHaveLength(3);
        expect((await loadedThumbnails(page)).sort()).toEqual(['large.png', 'logo.png', 'photo.jpg']);
        expect(await page.locator('#results .card.succeeded').count()).toBe(3);

        // Resumed, not restarted: after the reconnect the server said how much it held (HEAD), the
        // client went on from there (PATCH at that offset, as after the pause), and the bytes sent
        // over the whole run come to the file once (plus the small files, HTTP and what was in
        // flight when a connection went), not again from the start.
        const resumedFrom = headOffsets.slice(headsBeforeReconnect);
        expect(resumedFrom.length, `HEAD offsets ${headOffsets.join(', ')}`).toBeGreaterThan(0);
        expect(resumedFrom[0]).toBe(heldWhileOffline);
        expect(patchOffsets[0]).toBe(0);
        expect(patchOffsets, 'PATCHes went on from where the server stood').toEqual(expect.arrayContaining([paused, heldWhileOffline]));
        const sentAfterReconnect = forwarder.bytesFromClients - sentBeforeReconnect;
        expect(sentAfterReconnect, 'bytes sent after the reconnect').toBeLessThan(bigSize - heldWhileOffline + 2 * 1024 * 1024);
        // A restart at either interruption would have sent at least `paused` bytes (12 MB or more)
        // again; a resume loses only what was in flight when the connection went.
        expect(forwarder.bytesFromClients, 'bytes sent in all').toBeLessThan(bigSize + paused);

        await page.screenshot({ path: await artifact('upload-page.png') });
        expect(problems).toEqual([]);
        // The docs' screenshot only when asked, and only from a run that passed every check.
        if (process.env.HOIST_UPDATE_DOCS_SCREENSHOTS === '1') await copyFile(await artifact('upload-page.png'), join(repoRoot, 'docs', 'clients', 'upload-page.png'));
      } finally {
        await context.close();
      }
    }, 180_000);

    it('with 10 files waiting for a worker, every tus upload still gets its bytes in promptly: one status loop, not a long-poll per card', async () => {
      // No worker: every upload stays queued, its card waiting. A long-poll per card held Chromium's
      // 6 connections to the host once 6 cards waited, and the other files' tus requests stalled 25 s.
      for (const worker of stack.liveWorkers) await worker.stop();
      const context = await browser.newContext({ viewport: { width: 960, height: 720 } });
      const { page, problems } = await openPage(context);
      try {
        // The status reads in flight at once, at most (2 for a moment: a long-poll cut short when a new
        // card joins is reported failed just after the next read starts).
        let statusReads = 0;
        let mostStatusReads = 0;
        const isStatusRead = (url: string) => /\/v1\/uploads\/[^/?]+\?wait=/.test(url);
        page.on('request', (request) => {
          if (!isStatusRead(request.url())) return;
          statusReads += 1;
          mostStatusReads = Math.max(mostStatusReads, statusReads);
        });
        const ended = (request: Request) => {
          if (isStatusRead(request.url())) statusReads -= 1;
        };
        page.on('requestfinished', ended).on('requestfailed', ended);

        await page.goto(`${stack.apiUrl}/upload`);
        await expect.poll(() => page.locator('.uppy-Dashboard-inner').count(), UI).toBe(1);
        const names = Array.from({ length: 10 }, (_, i) => `waiting-${i + 1}.jpg`);
        await dropFiles(page, names.map((name) => ({ name, type: 'image/jpeg', bytes: fixture('photo.jpg') })));
        await expect.poll(() => page.locator('.uppy-Dashboard-Item').count(), UI).toBe(10);
        await page.getByRole('button', { name: /^Upload 10 files$/ }).click();

        // Server side: all 10 uploads have their bytes (no longer `receiving`) within seconds, not after 25 s.
        const clicked = Date.now();
        const theirs = async () => {
          const response = await fetch(`${stack.apiUrl}/v1/uploads?limit=100`);
          const { uploads } = (await response.json()) as { uploads: Array<{ filename: string; status: string }> };
          return uploads.filter((upload) => names.includes(upload.filename));
        };
        await waitFor(async () => {
          const uploads = await theirs();
          return uploads.length === names.length && uploads.every((upload) => upload.status !== 'receiving') ? uploads : undefined;
        }, { timeoutMs: 15_000, intervalMs: 250, what: 'all 10 uploads past receiving (queued) within 15 s of the click' });
        expect(Date.now() - clicked, 'all bytes in').toBeLessThan(15_000);
        expect((await theirs()).map((upload) => upload.status)).toEqual(names.map(() => 'queued'));
        await expect.poll(() => page.locator('#results .card.pending').count(), UI).toBe(10);
        expect(mostStatusReads, 'status reads in flight at once').toBeLessThanOrEqual(2);

        // A worker again: the one loop brings every card its result (thumbnails load lazily, as scrolled to).
        await stack.addWorker();
        await expect.poll(() => page.locator('#results .card.succeeded').count(), { timeout: 60_000, interval: 500 }).toBe(10);
        expect((await page.evaluate<string[]>("[...document.querySelectorAll('#results .card.succeeded img')].map((image) => image.alt)")).sort()).toEqual([...names].sort());
        expect(mostStatusReads, 'status reads in flight at once').toBeLessThanOrEqual(2);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 120_000);

    it('puts a result URL into a link or image only when it is http(s): a javascript: secureUrl is shown as text', async () => {
      const context = await browser.newContext({ viewport: { width: 960, height: 720 } });
      const { page, problems } = await openPage(context);
      try {
        // The API answers as ever; the page is handed a hostile secureUrl in the final status.
        await page.route(/\/v1\/uploads\/[^/?]+\?wait=/, async (route) => {
          const response = await route.fetch();
          const upload = (await response.json()) as { status: string; result?: { secureUrl: string } };
          if (upload.result) upload.result.secureUrl = 'javascript:document.title="pwned"';
          await route.fulfill({ response, json: upload });
        });
        await page.goto(`${stack.apiUrl}/upload`);
        await expect.poll(() => page.locator('.uppy-Dashboard-inner').count(), UI).toBe(1);
        await dropFiles(page, [{ name: 'logo.png', type: 'image/png', bytes: fixture('logo.png') }]);
        await page.getByRole('button', { name: /^Upload 1 file$/ }).click();
        await expect.poll(() => page.locator('#results .card.succeeded').count(), { timeout: 60_000, interval: 500 }).toBe(1);
        expect(await page.locator('#results .card a, #results .card img').count(), 'no link or image').toBe(0);
        expect(await page.locator('#results .card .status').textContent()).toBe('stored, but its URL is not an http(s) URL');
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 90_000);
  });

  describe('AUTH=on', () => {
    let stack: Stack;

    beforeAll(async () => {
      stack = await Stack.start({ workerEnv: { AUTH: 'on' }, apiEnv: { UPLOAD_PAGE: 'on' } });
    }, 120_000);
    afterAll(async () => {
      await stack?.stop();
    });

    it('asks for an API key, shows the 401 detail for a wrong one, and uploads with the right one kept in memory only', async () => {
      const { stdout } = await run(process.execPath, [join(repoRoot, 'apps/cli/dist/main.js'), 'keys', 'create', '--tenant', 'acme', '--name', 'upload-page', '--json'], {
        env: { PATH: process.env.PATH ?? '', DATABASE_URL: stack.env.DATABASE_URL! },
      });
      const { key } = JSON.parse(stdout) as { key: string };

      const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
      const { page, problems } = await openPage(context);
      // No request of the page carries the key in its URL.
      const keyInUrls: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes(key)) keyInUrls.push(request.url());
      });
      try {
        await page.goto(`${stack.apiUrl}/upload`);
        expect(await page.locator('.uppy-Dashboard-inner').count()).toBe(0);
        await page.getByLabel('API key').fill('hoist_sk_not-a-key-at-all');
        await page.getByRole('button', { name: 'Use this key' }).click();
        await expect.poll(() => page.locator('#alert').textContent(), UI).toBe('The API key is invalid or has been revoked.');

        await page.getByLabel('API key').fill(key);
        await page.getByRole('button', { name: 'Use this key' }).click();
        await expect.poll(() => page.locator('.uppy-Dashboard-inner').count(), UI).toBe(1);
        expect(await page.locator('#alert').isVisible()).toBe(false);

        // While the upload is under way (its PATCH held), tus keeps nothing of it in localStorage: no
        // upload URL, filename or folder left behind once the key is gone.
        let releasePatch: () => void = () => undefined;
        const patchHeld = new Promise<void>((resolve) => {
          void page.route('**/v1/tus/*', async (route) => {
            if (route.request().method() !== 'PATCH') return route.fallback();
            resolve();
            await new Promise<void>((release) => (releasePatch = release));
            return route.fallback();
          });
        });
        await dropFiles(page, [{ name: 'logo.png', type: 'image/png', bytes: fixture('logo.png') }]);
        await page.getByRole('button', { name: /^Upload 1 file$/ }).click();
        await patchHeld;
        expect(await page.evaluate<string[]>('Object.keys(localStorage)')).toEqual([]);
        releasePatch();
        await expect.poll(() => loadedThumbnails(page), { timeout: 60_000, interval: 500 }).toEqual(['logo.png']);

        // The upload is the key's tenant's.
        const id = await page.locator('#results .card').getAttribute('data-upload-id');
        const upload = await fetch(`${stack.apiUrl}/v1/uploads/${id}`, { headers: { authorization: `Bearer ${key}` } });
        expect(upload.status).toBe(200);
        // Only the metadata the file has went with it: no folder or tags of "undefined".
        const view = (await upload.json()) as { filename: string; result: { publicId: string } };
        expect(view.filename).toBe('logo.png');
        expect(view.result.publicId).not.toContain('undefined');

        // The key is nowhere but in the page's memory: not the URL, storage or cookies.
        expect(page.url()).toBe(`${stack.apiUrl}/upload`);
        const stored = await page.evaluate<string>('JSON.stringify([{ ...localStorage }, { ...sessionStorage }, document.cookie])');
        expect(stored).not.toContain(key);
        expect(await context.cookies()).toEqual([]);
        expect(await page.evaluate<unknown[]>('indexedDB.databases()'), 'IndexedDB databases').toEqual([]);
        expect(await page.evaluate<string[]>('Object.keys(localStorage)'), 'localStorage keys').toEqual([]);
        expect(keyInUrls).toEqual([]);
        expect(await page.locator('#api-key').getAttribute('type'), 'not a password field a password manager saves').toBe('text');
        expect(await page.getByLabel('API key').inputValue()).toBe('');
        expect(stack.processes.flatMap((process) => process.output).join('\n')).not.toContain(key);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    }, 120_000);
  });
});
