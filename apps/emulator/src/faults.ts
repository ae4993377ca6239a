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
  /**
   * Value of `X-FeatureRateLimit-Limit`, requests per hour (default: the rate limiter's hourly
   * figure; without a limiter, no such header — clients take it as the rate to keep to).
   */
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

/**
 * How the rate limiter ({@link FaultSettings.rateLimitPerSecond}) talks about its limit:
 * - `cloudinary`: as Cloudinary does — `X-FeatureRateLimit-Limit` (per hour), `-Remaining` and
 *   `-Reset` (an HTTP-date) on every upload answer, and a 420 whose message ends "Try again on
 *   <date> UTC"; no `Retry-After`.
 * - `retry-after`: a generic provider — a 420 with `Retry-After` (seconds) and nothing else.
 * - `bare`: a 420 that says nothing about the limit at all.
 */
export type RateLimitStyle = 'cloudinary' | 'retry-after' | 'bare';

/** Every {@link RateLimitStyle}, for validation. */
export const RATE_LIMIT_STYLES: readonly RateLimitStyle[] = ['cloudinary', 'retry-after', 'bare'];

/** Everything `PUT /__emulator/faults` accepts; omitted fields take the startup defaults. */
export interface FaultSettings {
  /** Delay before each upload request is answered. */
  latencyMs: number;
  /**
   * Upload requests admitted per second, counted in fixed windows aligned to whole seconds (of
   * ceil(1/rate) seconds when the rate is below one); null disables the limit.
   */
  rateLimitPerSecond: number | null;
  /** What the limiter's answers say about the limit (default `cloudinary`). */
  rateLimitStyle: RateLimitStyle;
  /** Faults still to be served, in order. */
  script: Fault[];
}

/** Where the limiter's current window stands, as Cloudinary's `X-FeatureRateLimit-*` headers tell it. */
export interface QuotaState {
  /** The limit per hour (the rate × 3600). */
  readonly limit: number;
  /** Requests the current window still admits. */
  readonly remaining: number;
  /** When the current window ends (a whole second). */
  readonly resetAt: Date;
}

/** What to do with one upload request. */
export type FaultDecision =
  | {
      readonly action: 'pass';
      /** Set when the limiter is on and speaks Cloudinary's style: headers for the answer. */
      readonly quota?: QuotaState;
    }
  | {
      readonly action: 'rate_limit';
      readonly status: 420 | 429;
      readonly resetAt: Date;
      readonly retryAfterSeconds: number;
      readonly hint: RateLimitHint;
      readonly limit: number | undefined;
    }
  | {
      /** Refused by the limiter; what the answer says depends on the style. */
      readonly action: 'over_limit';
      readonly style: RateLimitStyle;
      readonly quota: QuotaState;
      readonly retryAfterSeconds: number;
    }
  | { readonly action: 'error'; readonly status: number; readonly message: string | undefined }
  | { readonly action: 'timeout'; readonly hangMs: number }
  | { readonly action: 'reset' };

const DEFAULT_HANG_MS = 30_000;

/**
 * Admits `rate` requests per second in fixed windows aligned to whole seconds, as Cloudinary counts
 * its hourly quota in fixed hours: the window is one second (ceil(1/rate) seconds below one per
 * second), so the reset instant is a whole second an HTTP-date can name exactly, and what the
 * headers say (limit per hour, remaining, reset) is exactly what is enforced.
 */
class FixedWindow {
  private readonly windowMs: number;
  private readonly quota: number;
  /** Hourly figure for `X-FeatureRateLimit-Limit`. */
  readonly hourly: number;
  private start = -1;
  private used = 0;

  constructor(
    readonly rate: number,
    private readonly now: () => number,
  ) {
    this.windowMs = Math.max(1, Math.ceil(1 / rate)) * 1000;
    this.quota = Math.max(1, Math.floor((rate * this.windowMs) / 1000));
    this.hourly = Math.max(1, Math.round(rate * 3600));
  }

  /** Counts one request; `admitted` is false when the window's quota was already spent. */
  take(): { admitted: boolean; state: QuotaState } {
    const now = this.now();
    const start = Math.floor(now / this.windowMs) * this.windowMs;
    if (start !== this.start) {
      this.start = start;
      this.used = 0;
    }
    const admitted = this.used < this.quota;
    if (admitted) this.used += 1;
    return { admitted, state: { limit: this.hourly, remaining: this.quota - this.used, resetAt: new Date(start + this.windowMs) } };
  }

  /** Milliseconds until the current window ends. */
  untilReset(): number {
    return this.start + this.windowMs - this.now();
  }
}

/** Fault-injection state shared by all upload routes. */
export class FaultInjector {
  private current: FaultSettings;
  private window: FixedWindow | undefined;

  constructor(
    private readonly defaults: Readonly<Omit<FaultSettings, 'script'>>,
    private readonly now: () => number = Date.now,
  ) {
    this.current = { ...defaults, script: [] };
    this.window = this.makeWindow();
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
      rateLimitStyle: input.rateLimitStyle ?? this.defaults.rateLimitStyle,
      script: (input.script ?? []).map((fault) => ({ ...fault, count: fault.count ?? 1 })),
    };
    this.window = this.makeWindow();
  }

  /** Back to the startup defaults with an empty script. */
  reset(): void {
    this.replace({});
  }

  /** Decides the fate of one upload request, consuming a scripted fault or a place in the window. */
  next(): FaultDecision {
    const head = this.current.script[0];
    if (head !== undefined) {
      const remaining = (head.count ?? 1) - 1;
      if (remaining > 0) head.count = remaining;
      else this.current.script.shift();
      return this.decide(head);
    }
    if (this.window === undefined) return { action: 'pass' };
    const style = this.current.rateLimitStyle;
    const { admitted, state } = this.window.take();
    if (admitted) return style === 'cloudinary' ? { action: 'pass', quota: state } : { action: 'pass' };
    return { action: 'over_limit', style, quota: state, retryAfterSeconds: Math.max(1, Math.ceil(this.window.untilReset() / 1000)) };
  }

  private decide(fault: Fault): FaultDecision {
    switch (fault.kind) {
      case 'rate_limit':
        return this.rateLimited({
          waitMs: (fault.resetInSeconds ?? 1) * 1000,
          status: fault.status ?? 420,
          hint: fault.hint ?? 'both',
          limit: fault.limit ?? this.window?.hourly,
        });
      case 'error':
        return { action: 'error', status: fault.status, message: fault.message };
      case 'timeout':
        return { action: 'timeout', hangMs: fault.hangMs ?? DEFAULT_HANG_MS };
      case 'reset':
        return { action: 'reset' };
    }
  }

  private rateLimited(input: { waitMs: number; status: 420 | 429; hint: RateLimitHint; limit: number | undefined }): FaultDecision {
    // The dates carry whole seconds: round up so a client honouring them never retries too early.
    const resetAt = new Date(Math.ceil((this.now() + input.waitMs) / 1000) * 1000);
    const retryAfterSeconds = Math.ceil(input.waitMs / 1000);
    return { action: 'rate_limit', status: input.status, resetAt, retryAfterSeconds, hint: input.hint, limit: input.limit };
  }

  private makeWindow(): FixedWindow | undefined {
    const rate = this.current.rateLimitPerSecond;
    return rate === null ? undefined : new FixedWindow(rate, this.now);
  }
}
