import type { AddressInfo } from 'node:net';
import { buildEmulator } from '@hoist/emulator';

/** The project's Cloudinary emulator on a free loopback port, for the adapter's tests. */
export interface TestEmulator {
  /** Its base URL, for `upload_prefix` in a CLOUDINARY_URL and its `/__emulator/…` control routes. */
  url: string;
  /** TCP connections the emulator has accepted so far. */
  connections(): number;
  /** Closes the connections that wait for a next request (kept-alive ones), as a server timing them out does. */
  closeIdleConnections(): void;
  /** Scripts faults (`PUT /__emulator/faults`), or clears them when `settings` is undefined. */
  setFaults(settings?: unknown): Promise<void>;
  close(): Promise<void>;
}

export async function startEmulator(): Promise<TestEmulator> {
  const emulator = buildEmulator({ logLevel: 'silent' });
  await emulator.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
  let connections = 0;
  emulator.server.on('connection', () => (connections += 1));
  return {
    url,
    connections: () => connections,
    closeIdleConnections: () => emulator.server.closeIdleConnections(),
    setFaults: async (settings) => {
      const response = await fetch(
        `${url}/__emulator/faults`,
        settings === undefined ? { method: 'DELETE' } : { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings) },
      );
      if (!response.ok) throw new Error(`the emulator refused the faults: ${response.status}`);
    },
    close: async () => {
      const closed = emulator.close();
      // A test's pooled keep-alive connections (fetch of secureUrl, the SDK's agent) would otherwise
      // hold the close open; they are the test's, not the provider's.
      emulator.server.closeAllConnections();
      await closed;
    },
  };
}
