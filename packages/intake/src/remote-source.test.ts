import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SourceFetchError } from '@hoist/core';
import { MemoryTempStorage } from '@hoist/core/memory';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { RemoteSourceFetcher } from './remote-source.js';

// URL sources against a real HTTP server on loopback (allowlisted, as URL_FETCH_ALLOW would).

const png = makePng(4, 4);
const plainSvg = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"><rect width="4" height="4" fill="teal"/></svg>';
// The script sits past the sniffed head, so only a scan of the whole stream finds it.
const activeSvg = `<svg xmlns="http://www.w3.org/2000/svg">${'<rect width="1" height="1"/>'.repeat(500)}<script>alert(document.domain)</script></svg>`;
let server: Server;
let base: string;
let allow: string[];

beforeAll(async () => {
  server = createServer((request, response) => {
    if (request.url === '/a.png') return void response.writeHead(200, { 'content-type': 'image/png' }).end(png);
    if (request.url === '/busy') return void response.writeHead(503).end('try later');
    if (request.url === '/big') return void response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.concat([png, Buffer.alloc(10_000)]));
    if (request.url === '/empty') return void response.writeHead(200).end();
    if (request.url === '/plain.svg') return void response.writeHead(200, { 'content-type': 'image/svg+xml' }).end(plainSvg);
    if (request.url === '/active.svg') return void response.writeHead(200, { 'content-type': 'image/svg+xml' }).end(activeSvg);
    response.writeHead(404).end('no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  allow = [`127.0.0.1:${port}`];
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function fetcher(storage: MemoryTempStorage, maxBytes = 5_000) {
  return new RemoteSourceFetcher({ storage, maxBytes, allowedContentTypes: ['image/png'], policy: { allow }, timeoutMs: 5_000 });
}

async function failure(promise: Promise<unknown>): Promise<SourceFetchError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SourceFetchError);
  return error as SourceFetchError;
}

async function stored(storage: MemoryTempStorage): Promise<number> {
  let count = 0;
  for await (const _ of storage.list({ olderThan: new Date(Date.now() + 60_000) })) count += 1;
  return count;
}

describe('RemoteSourceFetcher', () => {
  it('stores the bytes with their size, sniffed type and sha256', async () => {
    const storage = new MemoryTempStorage();
    const fetched = await fetcher(storage).fetch(`${base}/a.png`);
    expect(fetched).toMatchObject({ bytes: png.length, contentType: 'image/png' });
    expect(fetched.sha256).toMatch(/^[0-9a-f]{64}$/);
    const chunks: Buffer[] = [];
    for await (const chunk of await storage.openRead(fetched.storageKey)) chunks.push(Buffer.from(chunk as Uint8Array));
    expect(Buffer.concat(chunks).equals(png)).toBe(true);
  });

  it('tells failures worth retrying (5xx) from final ones (4xx, too large, empty, not allowed), leaving nothing stored', async () => {
    const storage = new MemoryTempStorage();
    expect(await failure(fetcher(storage).fetch(`${base}/busy`))).toMatchObject({ code: 'url_fetch_failed', retryable: true });
    expect(await failure(fetcher(storage).fetch(`${base}/missing`))).toMatchObject({ code: 'url_fetch_failed', retryable: false });
    expect(await failure(fetcher(storage).fetch(`${base}/big`))).toMatchObject({ code: 'file_too_large', retryable: false });
    expect(await failure(fetcher(storage).fetch(`${base}/empty`))).toMatchObject({ code: 'empty_file', retryable: false });
    // Not in the allowlist: another port on loopback.
    const other = `http://127.0.0.1:${Number(new URL(base).port) + 1}/a.png`;
    expect(await failure(fetcher(storage).fetch(other))).toMatchObject({ code: 'url_not_allowed', retryable: false });
    expect(await stored(storage)).toBe(0);
  });

  it('refuses an SVG with script (active_svg, final), keeps plain SVGs, and accepts both with allowActiveSvg', async () => {
    const storage = new MemoryTempStorage();
    const svgFetcher = (allowActiveSvg?: boolean) =>
      new RemoteSourceFetcher({ storage, maxBytes: 100_000, allowedContentTypes: ['image/svg+xml'], allowActiveSvg, policy: { allow }, timeoutMs: 5_000 });
    const refused = await failure(svgFetcher().fetch(`${base}/active.svg`));
    expect(refused).toMatchObject({ code: 'active_svg', retryable: false });
    expect(refused.message).toMatch(/<script>/);
    expect(await stored(storage)).toBe(0);
    expect(await svgFetcher().fetch(`${base}/plain.svg`)).toMatchObject({ contentType: 'image/svg+xml', bytes: plainSvg.length });
    expect(await svgFetcher(true).fetch(`${base}/active.svg`)).toMatchObject({ contentType: 'image/svg+xml', bytes: activeSvg.length });
  });
});
