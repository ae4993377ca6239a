import { describeUploadProvider, RATE_LIMIT_RESET_SECONDS, type ProviderFault } from '@hoist/core/conformance';
import { afterAll, beforeAll } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { CloudflareImagesProvider } from './cloudflare-images.provider.js';
import { startEmulator, type TestEmulator } from './test-support/emulator.js';

// The real SDK against the project's emulator.

let emulator: TestEmulator;
let provider: CloudflareImagesProvider;

beforeAll(async () => {
  emulator = await startEmulator();
  provider = await CloudflareImagesProvider.create({ accountId: emulator.accountId, apiToken: emulator.apiToken, baseUrl: emulator.apiBaseUrl, timeoutMs: 2_000 });
});
afterAll(async () => {
  await emulator.close();
});

const FAULTS: Record<ProviderFault, unknown> = {
  rate_limited: { kind: 'rate_limit', status: 429, hint: 'headers', resetInSeconds: RATE_LIMIT_RESET_SECONDS },
  retryable: { kind: 'error', status: 503 },
  permanent: { kind: 'error', status: 400, message: 'Bad request: Error during the processing of the file' },
  timeout: { kind: 'timeout', hangMs: 10_000 },
};

describeUploadProvider('CloudflareImagesProvider', async () => {
  await emulator.setFaults(undefined);
  return {
    provider,
    read: async (result) => {
      const response = await fetch(result.secureUrl);
      // Read whole either way: an unread body keeps the connection, and the emulator's close waits for it.
      const body = Buffer.from(await response.arrayBuffer());
      return response.ok ? body : undefined;
    },
    fault: (kind) => emulator.setFaults({ script: [FAULTS[kind]] }),
    image: (seed) => makePng(3, 2, seed),
  };
});
