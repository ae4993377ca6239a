import createClient from 'openapi-fetch';
import { HoistApiError, HoistNetworkError, HoistTimeoutError, HoistUsageError } from './errors.js';
import type { paths } from './openapi-types.js';
import type { Platform, UrlStorage } from './platform.js';
import { followEvents } from './sse.js';
import { Transport, sleep, type RetryPolicy } from './transport.js';
import { sendWithTus } from './tus-upload.js';
import { isFinalStatus, type HoistClientOptions, type ListQuery, type Upload, type UploadAccepted, type UploadOptions, type UploadPage, type UploadSource } from './types.js';
import { baseName, textFields, urlUploadBody } from './upload-fields.js';

const MiB = 1024 * 1024;
/**
 * Longest long-poll asked for (`?wait=`, seconds; the API holds up to 60): under the 60 s idle
 * timeout of common proxies (nginx, AWS ALB), so a hold never ends in their 504.
 */
const MAX_WAIT_SECONDS = 50;
/** How long a read in flight at waitFor's deadline may still take to come back, ms. */
const DEADLINE_GRACE_MS = 1_000;

/** A file to send, whichever way it came. */
interface Outgoing {
  name: string;
  size: number | null;
  /** What makes it this content for resuming in a later process (a path, size and mtime; a File's name, size and date); absent: not resumable later. */
  identity?: string;
  /** As a Blob, for multipart; absent for a stream. */
  blob?: () => Promise<Blob>;
  tusInput: () => unknown;
}

export interface WaitOptions {
  /** Give up after this long, ms (HoistTimeoutError); default: wait as long as it takes. */
  timeout?: number;
  signal?: AbortSignal;
  /** Called with the upload whenever it is seen to change (and once at first). */
  onUpdate?: (upload: Upload) => void;
}

/**
 * The Hoist API, typed from its OpenAPI document. `node.ts` and `browser.ts` export it bound to
 * their platform; import `@hoist/client` and the right one is chosen for you.
 */
export class HoistClientCore {
  readonly #transport: Transport;
  readonly #api: ReturnType<typeof createClient<paths>>;
  readonly #platform: Platform;
  readonly #tusThresholdBytes: number;
  readonly #tusChunkBytes: number;
  readonly #urlStorage: UrlStorage | undefined;

  protected constructor(options: HoistClientOptions, platform: Platform) {
    this.#platform = platform;
    this.#transport = new Transport({ ...options, baseUrl: String(options.baseUrl) });
    this.#api = createClient<paths>({ baseUrl: this.#transport.baseUrl });
    this.#tusThresholdBytes = options.tusThresholdBytes ?? 16 * MiB;
    this.#tusChunkBytes = options.tusChunkBytes ?? 8 * MiB;
    this.#urlStorage = platform.urlStorage(options.resumeFile);
  }

  /**
   * Uploads a file (a path, a Blob or File, bytes, a stream) or has the API fetch a URL; answers
   * once the API has accepted it (`202`), long before the provider has it: follow it with `waitFor`.
   * Safe to retry: every request carries the same Idempotency-Key. Files of at least
   * `tusThresholdBytes`, and streams, go through tus and resume after a lost connection (and, with
   * `resumeFile` or in a browser, in a later process or page).
   */
  async upload(source: UploadSource, options: UploadOptions = {}): Promise<UploadAccepted> {
    const key = options.idempotencyKey ?? randomKey();
    if (source instanceof URL && source.protocol === 'file:') source = decodeURIComponent(source.pathname);
    if (source instanceof URL || (typeof source === 'string' && /^https?:\/\//i.test(source))) return this.#uploadUrl(String(source), options, key);
    const file = await this.#outgoing(source, options);
    const viaTus = options.transport === 'tus' || (options.transport !== 'multipart' && (!file.blob || file.size === null || file.size >= this.#tusThresholdBytes));
    if (!viaTus && !file.blob) throw new HoistUsageError('A stream is sent through tus; leave `transport` at auto or tus, or pass a Blob, bytes or a path.');
    return viaTus ? this.#uploadTus(file, options, key) : this.#uploadMultipart(file, options, key);
  }

  /** The upload resource. */
  async get(id: string, options: { signal?: AbortSignal } = {}): Promise<Upload> {
    return this.#read(id, undefined, options.signal);
  }

  /** One page of the tenant's uploads, newest first; pass `nextCursor` back as `cursor` for the next. */
  async list(query: ListQuery = {}, options: { signal?: AbortSignal } = {}): Promise<UploadPage> {
    const { data } = await this.#api.GET('/v1/uploads', { params: { query }, fetch: this.#fetch('safe', options.signal) });
    return data as UploadPage;
  }

  /** Every upload matching `query`, page after page. */
  async *listAll(query: Omit<ListQuery, 'cursor'> = {}, options: { signal?: AbortSignal } = {}): AsyncGenerator<Upload> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...query, ...(cursor ? { cursor } : {}) }, options);
      yield* page.uploads;
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }

  /**
   * Resolves with the upload once it is final (`succeeded`, `failed`, `cancelled` or `deleted`),
   * holding long-polls (`?wait=`) rather than polling: the API answers the moment it changes.
   */
  async waitFor(id: string, options: WaitOptions = {}): Promise<Upload> {
    const deadline = options.timeout === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeout;
    const timedOut = (last: Upload | undefined) => new HoistTimeoutError(`Upload ${id} was still ${last?.status ?? 'unread'} after ${options.timeout} ms.`, last);
    let last: Upload | undefined;
    let outages = 0;
    for (;;) {
      const remainingMs = deadline - Date.now();
      const wait = Math.max(0, Math.min(MAX_WAIT_SECONDS, Math.floor(remainingMs / 1000)));
      // Reads, their retries and their Retry-After waits all end at the deadline (and a grace).
      const expiry = Number.isFinite(remainingMs) ? AbortSignal.timeout(Math.max(0, remainingMs) + DEADLINE_GRACE_MS) : undefined;
      const signal = expiry && options.signal ? AbortSignal.any([options.signal, expiry]) : (expiry ?? options.signal);
      let upload: Upload;
      try {
        upload = await this.#read(id, wait, signal);
        outages = 0;
      } catch (error) {
        if (expiry?.aborted && !options.signal?.aborted) throw timedOut(last);
        // With a timeout, an API that stays unreachable or unavailable beyond one read's retries is
        // waited out until the deadline (a blip must not end a long wait); without one, it ends it.
        if (!Number.isFinite(remainingMs) || !isOutage(error)) throw error;
        await sleep(Math.min(this.#transport.backoff(outages++ + 2), Math.max(0, deadline - Date.now())), options.signal);
        if (Date.now() >= deadline) throw timedOut(last);
        continue;
      }
      if (!last || last.updatedAt !== upload.updatedAt || last.status !== upload.status) options.onUpdate?.(upload);
      last = upload;
      if (isFinalStatus(upload.status)) return upload;
      if (Date.now() >= deadline) throw timedOut(last);
      // Under a second left: one short pause, then the deadline ends it.
      if (wait === 0) await sleep(Math.max(0, Math.min(deadline - Date.now(), 1000)), options.signal);
    }
  }

  /**
   * The upload now and at every change until it is final, over Server-Sent Events
   * (`GET /v1/uploads/:id/events`), reconnecting if the stream drops before then.
   */
  watch(id: string, options: { signal?: AbortSignal } = {}): AsyncGenerator<Upload> {
    return followEvents(this.#transport, `/v1/uploads/${encodeURIComponent(id)}/events`, options.signal);
  }

  /** Cancels an unfinished upload (409 `upload-not-cancellable` once it is final). */
  async cancel(id: string, options: { signal?: AbortSignal } = {}): Promise<Upload> {
    const { data } = await this.#api.POST('/v1/uploads/{id}/cancel', { params: { path: { id } }, fetch: this.#fetch('safe', options.signal) });
    return data as Upload;
  }

  /** Sends a failed upload back to the queue (409 `upload-not-retryable` or `upload-bytes-gone` when it cannot be). */
  async retry(id: string, options: { signal?: AbortSignal } = {}): Promise<Upload> {
    const { data } = await this.#api.POST('/v1/uploads/{id}/retry', { params: { path: { id } }, fetch: this.#fetch('refused', options.signal) });
    return data as Upload;
  }

  /** Deletes a finished upload's asset at its provider, then marks it `deleted`; safe to repeat. */
  async delete(id: string, options: { signal?: AbortSignal } = {}): Promise<Upload> {
    const { data } = await this.#api.DELETE('/v1/uploads/{id}', { params: { path: { id } }, fetch: this.#fetch('safe', options.signal) });
    return data as Upload;
  }

  /** openapi-fetch's fetch: ours, with the API key and the retry rule. */
  #fetch(policy: RetryPolicy, signal: AbortSignal | undefined): (request: Request) => Promise<Response> {
    return (request) => {
      for (const [name, value] of Object.entries(this.#transport.headers())) request.headers.set(name, value);
      return this.#transport.send(() => request.clone(), policy, signal);
    };
  }

  async #read(id: string, wait: number | undefined, signal: AbortSignal | undefined): Promise<Upload> {
    const { data } = await this.#api.GET('/v1/uploads/{id}', {
      params: { path: { id }, ...(wait ? { query: { wait } } : {}) },
      fetch: this.#fetch('safe', signal),
    });
    return data as Upload;
  }

  async #outgoing(source: Exclude<UploadSource, URL>, options: UploadOptions): Promise<Outgoing> {
    const platform = this.#platform;
    if (typeof source === 'string') {
      const file = await platform.openPath(source);
      return { name: options.filename ?? file.name, size: file.size, identity: file.identity, blob: () => file.blob(), tusInput: () => file.tusInput() };
    }
    if (source instanceof Uint8Array) source = new Blob([source]);
    if (source instanceof Blob) {
      const blob = source;
      const file = blob as Blob & { name?: unknown; lastModified?: unknown };
      const named = typeof file.name === 'string' && file.name !== '' && typeof file.lastModified === 'number';
      // A File is known by its name, size, date and type (as tus-js-client knows it); a bare Blob or bytes by nothing that tells two apart.
      const identity = named ? `file:${String(file.name)}:${blob.size}:${String(file.lastModified)}:${blob.type}` : undefined;
      return { name: options.filename ?? (named ? String(file.name) : 'upload'), size: blob.size, ...(identity ? { identity } : {}), blob: () => Promise.resolve(blob), tusInput: () => platform.blobTusInput(blob) };
    }
    const size = options.size ?? null;
    if (source instanceof ReadableStream) {
      const stream = source as ReadableStream<Uint8Array>;
      return { name: options.filename ?? 'upload', size, tusInput: () => platform.webStreamTusInput(stream) };
    }
    if (platform.isNodeStream(source)) {
      const stream = source;
      const path = (source as { path?: unknown }).path;
      return { name: options.filename ?? (typeof path === 'string' ? baseName(path) : 'upload'), size, tusInput: () => platform.nodeStreamTusInput(stream) };
    }
    throw new HoistUsageError('upload() takes a path, a URL, a Blob or File, bytes, or a stream.');
  }

  async #uploadUrl(url: string, options: UploadOptions, key: string): Promise<UploadAccepted> {
    const response = await this.#transport.send(
      () =>
        new Request(this.#transport.url('/v1/uploads'), {
          method: 'POST',
          headers: this.#transport.headers({ 'content-type': 'application/json', 'idempotency-key': key }),
          body: JSON.stringify(urlUploadBody(url, options)),
        }),
      'safe',
      options.signal,
    );
    return accepted(response, 'url');
  }

  async #uploadMultipart(file: Outgoing, options: UploadOptions, key: string): Promise<UploadAccepted> {
    const blob = await file.blob!();
    const total = file.size;
    const progress = (sent: number) => options.onProgress?.({ sent: total === null ? sent : Math.min(sent, total), total });
    progress(0);
    const url = this.#transport.url('/v1/uploads');
    const response = await this.#transport.send(
      () => {
        // The options first: the API reads them before the file's bytes.
        const form = new FormData();
        for (const [name, value] of Object.entries(textFields(options))) form.append(name, value);
        form.append('file', blob, file.name);
        return this.#platform.multipartRequest(url, this.#transport.headers({ 'idempotency-key': key }), form, progress);
      },
      'safe',
      options.signal,
    );
    const answer = await accepted(response, 'multipart');
    progress(total ?? blob.size);
    return answer;
  }

  async #uploadTus(file: Outgoing, options: UploadOptions, key: string): Promise<UploadAccepted> {
    const endpoint = this.#transport.url('/v1/tus');
    const metadata = { filename: file.name, ...textFields(options) };
    const input = file.tusInput();
    let sent;
    try {
      sent = await sendWithTus({
        input,
        size: file.size,
        endpoint,
        headers: this.#transport.headers({ 'idempotency-key': key }),
        metadata,
        chunkBytes: this.#tusChunkBytes,
        retryDelays: tusRetryDelays(this.#transport),
        urlStorage: this.#urlStorage,
        // The same content with the same options (and the same key, if the caller chose one) resumes; anything else is a new upload.
        fingerprint: file.identity ? await sha256Hex(JSON.stringify([file.identity, endpoint, metadata, options.idempotencyKey ?? null])) : undefined,
        signal: options.signal,
        onProgress: options.onProgress,
        onResume: options.onResume,
      });
    } finally {
      this.#platform.release(input);
    }
    const id = decodeURIComponent(baseName(new URL(sent.url, this.#transport.baseUrl).pathname));
    const status = (sent.status as Upload['status'] | undefined) ?? (await this.get(id, options)).status;
    return { id, status, statusUrl: `/v1/uploads/${id}`, transport: 'tus', replayed: sent.replayed, deduplicated: false, resumed: sent.resumed };
  }
}

/** tus-js-client's retry delays for a client allowed `retries` retries: 0.5 s doubling, then 10 s each. */
function tusRetryDelays(transport: Transport): number[] {
  return Array.from({ length: Math.max(transport.retries, 0) + 2 }, (_, attempt) => Math.min(10_000, 500 * 2 ** attempt));
}

async function accepted(response: Response, transport: 'multipart' | 'url'): Promise<UploadAccepted> {
  const body = (await response.json()) as { id: string; status: Upload['status']; statusUrl: string };
  return {
    id: body.id,
    status: body.status,
    statusUrl: body.statusUrl,
    transport,
    replayed: response.headers.get('idempotent-replayed') === 'true',
    deduplicated: response.headers.get('hoist-deduplicated') === 'true',
    resumed: false,
  };
}

/** No answer, or an answer that says the API cannot serve right now (5xx, 429): worth trying again later. */
function isOutage(error: unknown): boolean {
  return error instanceof HoistNetworkError || (error instanceof HoistApiError && (error.status >= 500 || error.status === 429));
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** A fresh Idempotency-Key: a UUID where the platform makes them (secure contexts), else 128 random bits. */
function randomKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
