import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { waitFor } from './wait.js';

/** The upload resource as the API returns it. */
export interface UploadView {
  id: string;
  status: 'queued' | 'processing' | 'succeeded' | 'failed' | 'cancelled' | 'deleted';
  attempts: number;
  reclaims: number;
  filename: string;
  provider: string;
  bytes: number | null;
  contentType: string | null;
  sha256: string | null;
  sourceUrl: string | null;
  retryCount: number;
  deletedAt: string | null;
  result: null | {
    provider: string;
    publicId: string;
    url: string;
    secureUrl: string;
    format: string | null;
    width: number | null;
    height: number | null;
    bytes: number;
    version: number | null;
    assetId?: string | null;
    deliveryUrls?: Record<string, string> | null;
    mirrors?: Array<{ provider: string; publicId: string; secureUrl: string }> | null;
  };
  error: null | { code: string; message: string };
}

/** POSTs a file from disk as multipart, like `curl -F file=@path`. */
export async function uploadFile(
  apiUrl: string,
  path: string,
  fields: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<{ status: number; body: { id: string; statusUrl: string } }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([await readFile(path)]), basename(path));
  const response = await fetch(`${apiUrl}/v1/uploads`, { method: 'POST', body: form, headers });
  return { status: response.status, body: (await response.json()) as { id: string; statusUrl: string } };
}

export async function getUpload(apiUrl: string, id: string, headers: Record<string, string> = {}): Promise<UploadView> {
  const response = await fetch(`${apiUrl}/v1/uploads/${id}`, { headers });
  if (!response.ok) throw new Error(`GET upload ${id}: ${response.status}`);
  return (await response.json()) as UploadView;
}

/** Polls the status until it is final, as a client would. */
export function pollUntilSettled(apiUrl: string, id: string, timeoutMs = 30_000, headers: Record<string, string> = {}): Promise<UploadView> {
  return waitFor(
    async () => {
      const upload = await getUpload(apiUrl, id, headers);
      return upload.status === 'queued' || upload.status === 'processing' ? undefined : upload;
    },
    { timeoutMs, intervalMs: 100, what: `upload ${id} to settle` },
  );
}

/** POSTs `bytes` as one multipart file; resolves with the status and the body (JSON when it parses), never rejecting on an HTTP error. */
export async function postUpload(
  apiUrl: string,
  bytes: Uint8Array,
  filename: string,
  { type = 'image/png', timeoutMs = 30_000 }: { type?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: unknown }> {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), filename);
  const response = await fetch(`${apiUrl}/v1/uploads`, { method: 'POST', body: form, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  try {
    return { status: response.status, body: JSON.parse(text) as unknown };
  } catch {
    return { status: response.status, body: text };
  }
}
