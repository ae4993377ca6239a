import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, loadSdk, startEmulator } from './test-support/harness.js';
import type { RunningEmulator, Sdk } from './test-support/harness.js';
import { makePng } from '../../../test/support/fixtures.js';

const cat = makePng(5, 4, 2);
let sdk: Sdk;
let origin: Server;
let originUrl: string;
let allowing: RunningEmulator;
let defaults: RunningEmulator;

/** A loopback "remote" host: a PNG, a 404, and redirects to it and to a host that is not allowed. */
function startOrigin(): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.url === '/cat.png') response.writeHead(200, { 'content-type': 'image/png' }).end(cat);
    else if (request.url === '/moved') response.writeHead(302, { location: '/cat.png' }).end();
    else if (request.url === '/elsewhere') response.writeHead(302, { location: 'http://127.0.0.1:9/cat.png' }).end();
    else response.writeHead(404).end('not here');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  sdk = await loadSdk();
  origin = await startOrigin();
  const port = (origin.address() as AddressInfo).port;
  originUrl = `http://127.0.0.1:${port}`;
  allowing = await startEmulator({ fetchAllow: [`127.0.0.1:${port}`] });
  defaults = await startEmulator();
});

afterAll(async () => {
  await Promise.all([allowing.close(), defaults.close()]);
  await new Promise((resolve) => origin.close(resolve));
});

describe('remote file URLs', () => {
  it('fetches an http source on EMULATOR_FETCH_ALLOW, following redirects, and stores its bytes', async () => {
    const result = await sdk.uploader.upload(`${originUrl}/cat.png`, allowing.options({ public_id: 'remote-cat' }));
    expect(result).toMatchObject({ public_id: 'remote-cat', format: 'png', width: 5, height: 4, bytes: cat.length, original_filename: 'cat' });
    expect((await download(result.secure_url)).bytes.equals(cat)).toBe(true);
    const moved = await sdk.uploader.upload(`${originUrl}/moved`, allowing.options({ public_id: 'moved-cat' }));
    expect(moved).toMatchObject({ width: 5, bytes: cat.length });
  });

  it('answers a missing source with Cloudinary’s 400', async () => {
    const attempt = sdk.uploader.upload(`${originUrl}/missing.png`, allowing.options());
    await expect(attempt).rejects.toMatchObject({ http_code: 400, message: `Resource not found - ${originUrl}/missing.png` });
  });

  it('refuses loopback and private hosts that are not on the allow-list, also behind a redirect', async () => {
    const attempt = sdk.uploader.upload(`${originUrl}/cat.png`, defaults.options());
    await expect(attempt).rejects.toMatchObject({
      http_code: 400,
      message: `Error in loading ${originUrl}/cat.png - 127.0.0.1 is an internal address not on EMULATOR_FETCH_ALLOW`,
    });
    // A name is checked on the address it resolves to, when the connection is made.
    const byName = sdk.uploader.upload(originUrl.replace('127.0.0.1', 'localhost') + '/cat.png', allowing.options());
    await expect(byName).rejects.toMatchObject({ http_code: 400, message: expect.stringMatching(/localhost is an internal address not on EMULATOR_FETCH_ALLOW$/) as unknown });
    const redirected = sdk.uploader.upload(`${originUrl}/elsewhere`, allowing.options());
    await expect(redirected).rejects.toMatchObject({ http_code: 400, message: expect.stringMatching(/not on EMULATOR_FETCH_ALLOW$/) as unknown });
  });

  it('refuses sources it cannot fetch, such as S3 buckets', async () => {
    const attempt = sdk.uploader.upload('s3://bucket/cat.png', allowing.options());
    await expect(attempt).rejects.toMatchObject({ http_code: 400, message: 'Unsupported source URL: s3://bucket/cat.png' });
  });
});
