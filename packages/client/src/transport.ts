import { HoistNetworkError, problemError, retryAfterSeconds } from './errors.js';

/**
 * Which failures a request is repeated after:
 * - `safe`: repeating it cannot do anything twice (a read, a delete, a cancel, an upload with an
 *   Idempotency-Key): after no answer at all, a 5xx (not 501) or a 429;
 * - `refused`: the server may have acted on a lost answer (a retry), so only after an answer that
 *   says it did nothing: 429, 503, and a 409 with Retry-After (come back shortly).
 */
export type RetryPolicy = 'safe' | 'refused';

export interface TransportOptions {
  baseUrl: string;
  apiKey?: string | undefined;
  fetch?: typeof fetch | undefined;
  retries?: number | undefined;
  retryDelayMs?: number | undefined;
  userAgent?: string | undefined;
}

/** Longest wait between two tries, ms; a Retry-After beyond it is handed to the caller as an error instead. */
const MAX_DELAY_MS = 30_000;
const MAX_RETRY_AFTER_MS = 60_000;

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * HTTP to the API: the base URL, the API key, and the one retry rule (exponential backoff with full
 * jitter, `Retry-After` honoured). Answers other than 2xx/304 become HoistApiErrors.
 */
export class Transport {
  readonly baseUrl: string;
  readonly retries: number;
  private readonly fetchImpl: typeof fetch;
  private readonly retryDelayMs: number;

  constructor(private readonly options: TransportOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.retries = options.retries ?? 4;
    this.retryDelayMs = options.retryDelayMs ?? 500;
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  /** An absolute URL for an API path such as `/v1/uploads`. */
  url(path: string): string {
    return `${this.baseUrl}${path}`;
  }

  /** Authorization (and User-Agent) for a request; `extra` on top. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}),
      ...(this.options.userAgent ? { 'user-agent': this.options.userAgent } : {}),
      ...extra,
    };
  }

  /** The delay before try `attempt + 1` (0-based), ms. */
  backoff(attempt: number): number {
    return Math.random() * Math.min(MAX_DELAY_MS, this.retryDelayMs * 2 ** attempt);
  }

  /**
   * Sends the request `build` makes (called again for every try, so a body can be sent again) and
   * answers its response once it is a success, retrying as `policy` allows.
   */
  async send(build: () => Request | Promise<Request>, policy: RetryPolicy, signal?: AbortSignal): Promise<Response> {
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      const request = await build();
      let response: Response;
      try {
        response = await this.fetchImpl(request, signal ? { signal } : undefined);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        if (policy !== 'safe' || attempt >= this.retries) {
          throw new HoistNetworkError(`No answer from ${request.method} ${request.url}: ${describe(error)}`, { cause: error });
        }
        await sleep(this.backoff(attempt), signal);
        continue;
      }
      if (response.ok || response.status === 304) return response;
      const retryAfter = retryAfterSeconds(response.headers.get('retry-after'));
      // 429 and 503 did nothing; a 409 with Retry-After says the same (an upload still settling after it failed).
      const refusedForNow = response.status === 429 || response.status === 503 || (response.status === 409 && retryAfter !== undefined);
      const transient = refusedForNow || (policy === 'safe' && response.status >= 500 && response.status !== 501);
      const waitMs = retryAfter === undefined ? this.backoff(attempt) : retryAfter * 1000;
      if (!transient || attempt >= this.retries || waitMs > MAX_RETRY_AFTER_MS) {
        throw problemError(response.status, await response.text().catch(() => ''), response.headers.get('retry-after'));
      }
      await response.body?.cancel().catch(() => undefined);
      await sleep(waitMs, signal);
    }
  }
}

/** An error's message, with its cause's (fetch's "fetch failed" says little alone). */
export function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}
