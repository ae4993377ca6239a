import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { download, loadSdk, startEmulator, uploadBuffer } from './test-support/harness.js';
import type { RunningEmulator, Sdk } from './test-support/harness.js';
import { makeMp4 } from './test-support/mp4.js';
import { makePng } from '../../../test/support/fixtures.js';

let sdk: Sdk;
let emulator: RunningEmulator;
let behindTls: RunningEmulator;

beforeAll(async () => {
  sdk = await loadSdk();
  emulator = await startEmulator();
  behindTls = await startEmulator({ secureUrl: 'https://media.example.test' });
});

afterAll(async () => {
  await Promise.all([emulator.close(), behindTls.close()]);
});

describe('video', () => {
  it('reports width, height, duration and bit rate read from the MP4 container', async () => {
    const mp4 = makeMp4({ width: 320, height: 240, durationMs: 2500 });
    const result = await uploadBuffer(sdk, mp4, emulator.options({ resource_type: 'video', public_id: 'clip' }));
    expect(result).toMatchObject({
      resource_type: 'video',
      format: 'mp4',
      width: 320,
      height: 240,
      duration: 2.5,
      bit_rate: Math.round((mp4.length * 8) / 2.5),
      bytes: mp4.length,
    });
    expect((await download(result.secure_url)).bytes.equals(mp4)).toBe(true);
  });

  it('stores a video whose container cannot be read, without the numbers', async () => {
    const broken = Buffer.concat([Buffer.from('\0\0\0\x18ftypisom\0\0\0\0isom', 'latin1'), Buffer.alloc(5000, 0xff)]);
    const result = await uploadBuffer(sdk, broken, emulator.options({ resource_type: 'video', public_id: 'broken' }));
    expect(result).toMatchObject({ resource_type: 'video', format: 'mp4', bytes: broken.length });
    expect([result.width, result.height, result['duration'], result['bit_rate']]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('resolves auto to video for an MP4', async () => {
    const result = await uploadBuffer(sdk, makeMp4({ width: 64, height: 48, durationMs: 1000 }), emulator.options({ resource_type: 'auto', public_id: 'auto-clip' }));
    expect(result).toMatchObject({ resource_type: 'video', width: 64, height: 48, duration: 1 });
  });
});

describe('secure_url', () => {
  it('is the plain-http url when no https address is configured (the emulator has no TLS)', async () => {
    const result = await uploadBuffer(sdk, makePng(2, 2), emulator.options({ public_id: 'plain' }));
    expect(result.secure_url).toBe(result.url);
    expect(result.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hoist-local\/image\/upload\/v\d+\/plain\.png$/);
  });

  it('is https from EMULATOR_SECURE_URL when a TLS proxy fronts the emulator, like Cloudinary’s', async () => {
    const result = await uploadBuffer(sdk, makePng(2, 2), behindTls.options({ public_id: 'tls' }));
    expect(result.secure_url).toBe(`https://media.example.test/hoist-local/image/upload/v${result.version}/tls.png`);
    expect(result.url).toBe(`${behindTls.url}/hoist-local/image/upload/v${result.version}/tls.png`);
  });
});
