/** Where a rate-limited answer tells the client when to retry. */
export type RateLimitHint = 'headers' | 'message' | 'both' | 'none';

/** Answer the next `count` upload requests with a rate-limit error. */
export interface RateLimitFault {
  readonly kind: 'rate_limit';
  /** Requests affected (default 1). */
  count?: number;
  /** 420 is what Cloudinary sends; 429 is the generic alternative (default 420). */
  readonly status?: 420 | 429;
  /** Seconds until the advertised reset (default 1). */
  readonly resetInSeconds?: number;
  /** Whether the reset time goes in headers, in the message, both (default) or nowhere. */
  readonly hint?: RateLimitHint;
  /** Value of `X-FeatureRateLimit-Limit` (default: the token-bucket rate, else 500). */
  readonly limit?: number;
}

/** Answer the next `count` upload requests with an HTTP error such as 500, 502 or 503. */
export interface ErrorFault {
  readonly kind: 'error';
  count?: number;
  readonly status: number;
  /** Message in the `{"error":{"message"}}` body (default: the status text). */
  readonly message?: string;
}

/** Accept the next `count` upload requests, never answer, and drop the connection after `hangMs`. */
export interface TimeoutFault {
  readonly kind: 'timeout';
  count?: number;
  /** Milliseconds before the socket is destroyed (default 30000). */
  readonly hangMs?: number;
}

/** Destroy the connection of the next `count` upload requests without answering. */
export interface ResetFault {
  readonly kind: 'reset';
  count?: number;
}

/** One scripted fault; each upload (or chunk) request consumes one unit of the script's head. */
export type Fault = RateLimitFault | ErrorFault | TimeoutFault | ResetFault;

/** Everything `PUT /__emulator/faults` accepts; omitted fields take the startup defaults. */
export interface FaultSettings {
  /** Delay before each upload request is answered. */
  latencyMs: number;
  /** Token-bucket refill rate (bucket size is the same number, at least 1); null disables it. */
  rateLimitPerSecond: number | null;
  /** Faults still to be served, in order. */
  script: Fault[];
}

/** What to do with one upload request. */
export type FaultDecision =
  | { readonly action: 'pass' }
  | {
      readonly action: 'rate_limit';
      readonly status: 420 | 429;
      readonly resetAt: Date;
      readonly retryAfterSeconds: number;
      readonly hint: RateLimitHint;
      readonly limit: number;
    }
  | { readonly action: 'error'; readonly status: number; readonly message: string | undefined }
  | { readonly action: 'timeout'; readonly hangMs: number }
  | { readonly action: 'reset' };

const DEFAULT_HANG_MS = 30_000;
const DEFAULT_LIMIT = 500;

/** Refills continuously at `rate` tokens per second up to `rate` tokens (at least one). */
class TokenBucket {
  private tokens: number;
  private readonly capacity: number;
  private last: number;

  constructor(
    readonly rate: number,
    private readonly now: () => number,
  ) {
    this.capacity = Math.max(1, rate);
    this.tokens = this.capacity;
    this.last = now();
  }

  /** Takes a token, or returns the milliseconds until one is available. */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return ((1 - this.tokens) / this.rate) * 1000;
  }
}

/** Fault-injection state shared by all upload routes. */
export class FaultInjector {
  private current: FaultSettings;
  private bucket: TokenBucket | undefined;

  constructor(
    private readonly defaults: Readonly<Omit<FaultSettings, 'script'>>,
    private readonly now: () => number = Date.now,
  ) {
    this.current = { ...defaults, script: [] };
    this.bucket = this.makeBucket();
  }

  /** Delay to add before answering an upload request. */
  get latencyMs(): number {
    return this.current.latencyMs;
  }

  /** A copy of the current settings, with the remaining counts of the script. */
  settings(): FaultSettings {
    return { ...this.current, script: this.current.script.map((fault) => ({ ...fault })) };
  }

  /** Replaces every setting; anything omitted goes back to its startup default. */
  replace(input: Partial<FaultSettings>): void {
    this.current = {
      latencyMs: input.latencyMs ?? this.defaults.latencyMs,
      rateLimitPerSecond: input.rateLimitPerSecond === undefined ? this.defaults.rateLimitPerSecond : input.rateLimitPerSecond,
      script: (input.script ?? []).map((fault) => ({ ...fault, count: fault.count ?? 1 })),
    };
    this.bucket = this.makeBucket();
  }

  /** Back to the startup defaults with an empty script. */
  reset(): void {
    this.replace({});
  }

  /** Decides the fate of one upload request, consuming a scripted fault or a token. */
  next(): FaultDecision {
    const head = this.current.script[0];
    if (head !== undefined) {
      const remaining = (head.count ?? 1) - 1;
      if (remaining > 0) head.count = remaining;
      else this.current.script.shift();
      return this.decide(head);
    }
    const waitMs = this.bucket?.take() ?? 0;
    if (waitMs === 0 || this.bucket === undefined) return { action: 'pass' };
    return this.rateLimited({ waitMs, status: 420, hint: 'both', limit: this.bucket.rate });
  }

  private decide(fault: Fault): FaultDecision {
    switch (fault.kind) {
      case 'rate_limit':
        return this.rateLimited({
          waitMs: (fault.resetInSeconds ?? 1) * 1000,
          status: fault.status ?? 420,
          hint: fault.hint ?? 'both',
          limit: fault.limit ?? this.bucket?.rate ?? DEFAULT_LIMIT,
        });
      case 'error':
        return { action: 'error', status: fault.status, message: fault.message };
      case 'timeout':
        return { action: 'timeout', hangMs: fault.hangMs ?? DEFAULT_HANG_MS };
      case 'reset':
        return { action: 'reset' };
    }
  }

  private rateLimited(input: { waitMs: number; status: 420 | 429; hint: RateLimitHint; limit: number }): FaultDecision {
    // The dates carry whole seconds: round up so a client honouring them never retries too early.
    const resetAt = new Date(Math.ceil((this.now() + input.waitMs) / 1000) * 1000);
    const retryAfterSeconds = Math.ceil(input.waitMs / 1000);
    return { action: 'rate_limit', status: input.status, resetAt, retryAfterSeconds, hint: input.hint, limit: input.limit };
  }

  private makeBucket(): TokenBucket | undefined {
    const rate = this.current.rateLimitPerSecond;
    return rate === null ? undefined : new TokenBucket(rate, this.now);
  }
}
