import type { AddressInfo } from 'node:net';
import type { UploadApiErrorResponse, UploadApiOptions, UploadApiResponse, v2 } from 'cloudinary';
import type { FastifyInstance } from 'fastify';
import { buildEmulator } from '../emulator.js';
import type { EmulatorOptions } from '../emulator.js';
import type { FaultSettings } from '../faults.js';

/** The emulator's default credentials. */
export const CLOUD = { cloud_name: 'hoist-local', api_key: 'hoist-local-key', api_secret: 'hoist-local-secret' } as const;

export type Sdk = typeof v2;

let sdk: Promise<Sdk> | undefined;

/**
 * The real SDK. Its uploader picks http or https once, at load, from CLOUDINARY_URL's
 * upload_prefix, so the variable must name an http prefix before the first import; the real
 * address is then passed per call as `upload_prefix`.
 */
export function loadSdk(): Promise<Sdk> {
  process.env['CLOUDINARY_URL'] = `cloudinary://${CLOUD.api_key}:${CLOUD.api_secret}@${CLOUD.cloud_name}?upload_prefix=http://127.0.0.1:1`;
  sdk ??= import('cloudinary').then((module) => module.v2);
  return sdk;
}

/** An emulator listening on a free loopback port. */
export interface RunningEmulator {
  readonly app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** Upload options pointing the SDK at this emulator with the default credentials. */
  options(extra?: UploadApiOptions): UploadApiOptions;
  setFaults(settings: Partial<FaultSettings>): Promise<void>;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  const app = buildEmulator({ logLevel: 'silent', ...options });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  return {
    app,
    url,
    options: (extra = {}) => ({ ...CLOUD, upload_prefix: url, ...extra }),
    async setFaults(settings) {
      const response = await fetch(`${url}/__emulator/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(settings),
      });
      if (!response.ok) throw new Error(`PUT /__emulator/faults: ${response.status} ${await response.text()}`);
    },
    close: () => app.close(),
  };
}

/** What the SDK reported as an error, as a throwable. */
export class SdkError extends Error {
  readonly http_code: number | undefined;

  constructor(readonly detail: UploadApiErrorResponse | Error) {
    super(detail.message);
    this.http_code = 'http_code' in detail && typeof detail.http_code === 'number' ? detail.http_code : undefined;
  }
}

function settle(resolve: (value: UploadApiResponse) => void, reject: (error: SdkError) => void) {
  return (error?: UploadApiErrorResponse, result?: UploadApiResponse): void => {
    if (error !== undefined) reject(new SdkError(error));
    else if (result === undefined) reject(new SdkError(new Error('SDK returned neither error nor result')));
    else resolve(result);
  };
}

/** `upload_stream` of a buffer. */
export function uploadBuffer(client: Sdk, bytes: Buffer, options: UploadApiOptions): Promise<UploadApiResponse> {
  return new Promise((resolve, reject) => {
    client.uploader.upload_stream(options, settle(resolve, reject)).end(bytes);
  });
}

/** `unsigned_upload_stream` of a buffer with the named upload preset (no signature, no api_secret used). */
export function uploadUnsigned(client: Sdk, bytes: Buffer, preset: string, options: UploadApiOptions): Promise<UploadApiResponse> {
  return new Promise((resolve, reject) => {
    client.uploader.unsigned_upload_stream(preset, options, settle(resolve, reject)).end(bytes);
  });
}

/** `upload_large` of a file on disk. */
export function uploadLarge(client: Sdk, path: string, options: UploadApiOptions): Promise<UploadApiResponse> {
  return new Promise((resolve, reject) => {
    void client.uploader.upload_large(path, options, settle(resolve, reject));
  });
}

/**
 * A signed upload sent with fetch instead of the SDK, for looking at raw status codes and headers.
 * `sign` is the SDK's `utils.sign_request`.
 */
export async function rawUpload(
  emulator: RunningEmulator,
  sign: Sdk['utils']['sign_request'],
  file: Buffer,
  fields: Record<string, string | number> = {},
): Promise<Response> {
  const signed = sign({ timestamp: Math.floor(Date.now() / 1000), ...fields }, { api_key: CLOUD.api_key, api_secret: CLOUD.api_secret });
  const form = new FormData();
  for (const [key, value] of Object.entries(signed)) form.append(key, String(value));
  form.append('file', new Blob([file]), 'file');
  return fetch(`${emulator.url}/v1_1/${CLOUD.cloud_name}/image/upload`, { method: 'POST', body: form });
}

/** GET a URL as bytes, with the response. */
export async function download(url: string): Promise<{ response: Response; bytes: Buffer }> {
  const response = await fetch(url);
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}
