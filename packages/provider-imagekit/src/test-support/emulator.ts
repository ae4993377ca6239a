import type { AddressInfo } from 'node:net';
import { buildEmulator, DEFAULTS } from '@hoist/emulator';
import { ImageKitProvider, type ImageKitProviderOptions } from '../imagekit.provider.js';

/** The project's emulator on a free loopback port, speaking ImageKit for the adapter's tests. */
export interface TestEmulator {
  /** Its base URL: the upload and API base URL of ImageKit's SDK, and the control routes'. */
  url: string;
  /** Scripts faults (`PUT /__emulator/imagekit/faults`), or clears them when `settings` is undefined. */
  setFaults(settings?: unknown): Promise<void>;
  /** A provider pointed at this emulator with its credentials (the options override them). */
  provider(options?: Partial<ImageKitProviderOptions>): ImageKitProvider;
  close(): Promise<void>;
}

export async function startEmulator(options: { maxFileBytes?: number } = {}): Promise<TestEmulator> {
  const emulator = buildEmulator({ logLevel: 'silent', ...(options.maxFileBytes === undefined ? {} : { imagekitMaxFileBytes: options.maxFileBytes }) });
  await emulator.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
  return {
    url,
    setFaults: async (settings) => {
      const response = await fetch(
        `${url}/__emulator/imagekit/faults`,
        settings === undefined ? { method: 'DELETE' } : { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings) },
      );
      if (!response.ok) throw new Error(`the emulator refused the faults: ${response.status}`);
    },
    provider: (overrides = {}) =>
      ImageKitProvider.create({
        privateKey: DEFAULTS.imagekitPrivateKey,
        uploadBaseUrl: url,
        apiBaseUrl: url,
        timeoutMs: 2_000,
        ...(options.maxFileBytes === undefined ? {} : { maxFileBytes: options.maxFileBytes }),
        ...overrides,
      }),
    close: async () => {
      const closed = emulator.close();
      // Kept-alive connections (the SDK's fetch, the tests' reads) would otherwise hold the close open.
      emulator.server.closeAllConnections();
      await closed;
    },
  };
}
