import type { AddressInfo } from 'node:net';
import { buildEmulator, DEFAULTS } from '@hoist/emulator';

/** The project's emulator on a free loopback port, for the Cloudflare Images adapter's tests. */
export interface TestEmulator {
  /** Its base URL; the Cloudflare API is under `<url>/client/v4`, its control routes under `/__emulator/cloudflare`. */
  url: string;
  /** The SDK's base URL for it. */
  apiBaseUrl: string;
  /** The account id and API token it accepts (its defaults). */
  accountId: string;
  apiToken: string;
  /** Scripts faults (`PUT /__emulator/cloudflare/faults`), or clears them when `settings` is undefined. */
  setFaults(settings?: unknown): Promise<void>;
  /** The images it holds (`GET /__emulator/cloudflare/assets`). */
  assets(): Promise<{ id: string; bytes: number; meta: unknown }[]>;
  close(): Promise<void>;
}

export async function startEmulator(): Promise<TestEmulator> {
  const emulator = buildEmulator({ logLevel: 'silent' });
  await emulator.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(emulator.server.address() as AddressInfo).port}`;
  return {
    url,
    apiBaseUrl: `${url}/client/v4`,
    accountId: DEFAULTS.cloudflareAccountId,
    apiToken: DEFAULTS.cloudflareApiToken,
    setFaults: async (settings) => {
      const response = await fetch(
        `${url}/__emulator/cloudflare/faults`,
        settings === undefined ? { method: 'DELETE' } : { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings) },
      );
      if (!response.ok) throw new Error(`the emulator refused the faults: ${response.status}`);
    },
    assets: async () => ((await (await fetch(`${url}/__emulator/cloudflare/assets`)).json()) as { assets: { id: string; bytes: number; meta: unknown }[] }).assets,
    close: async () => {
      const closed = emulator.close();
      // The test's pooled keep-alive connections (fetch's, the SDK's) would otherwise hold the close open.
      emulator.server.closeAllConnections();
      await closed;
    },
  };
}
