// TEMPORARY: the part of @hoist/client (SDK-API.md) the user commands use, until the SDK lands.

export type UploadStatus = 'receiving' | 'queued' | 'processing' | 'succeeded' | 'failed' | 'cancelled' | 'deleted';

export interface Upload {
  id: string;
  status: UploadStatus;
  filename: string;
  bytes: number | null;
  provider: string;
  createdAt?: string;
  result: null | { secureUrl: string; publicId: string };
  error: null | { code: string; message: string };
}

export interface Accepted {
  id: string;
  status: UploadStatus;
  statusUrl: string;
  transport: 'multipart' | 'url' | 'tus';
  replayed: boolean;
  deduplicated: boolean;
  resumed: boolean;
}

export interface UploadOptions {
  filename?: string;
  publicId?: string;
  folder?: string;
  tags?: string[];
  provider?: string;
  signal?: AbortSignal;
  onProgress?: (progress: { sent: number; total: number | null }) => void;
  onResume?: (offset: number) => void;
}

export interface HoistClientLike {
  upload(source: string, options: UploadOptions): Promise<Accepted>;
  get(id: string): Promise<Upload>;
  list(query: { status?: UploadStatus; limit?: number }): Promise<{ uploads: Upload[]; nextCursor: string | null }>;
  waitFor(id: string, options: { timeout?: number; signal?: AbortSignal; onUpdate?: (upload: Upload) => void }): Promise<Upload>;
  watch(id: string, options: { signal?: AbortSignal }): AsyncIterable<Upload>;
  cancel(id: string): Promise<Upload>;
  retry(id: string): Promise<Upload>;
  delete(id: string): Promise<Upload>;
}

export function isFinalStatus(status: UploadStatus): boolean {
  return status === 'succeeded' || status === 'failed' || status === 'cancelled' || status === 'deleted';
}
