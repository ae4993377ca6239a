import { RetryableProviderError } from './errors.js';
import { canTake } from './provider-choice.js';
import { UNTHROTTLED, type ProviderThrottle } from './provider-throttle.js';
import type { Upload } from './upload.js';
import type { UploadProvider } from './upload-provider.js';

/** One provider a process can call, and the cluster-wide pacing of calls to it (its own: one provider's 429 never slows another's uploads). */
export interface RosterEntry {
  readonly provider: UploadProvider;
  readonly throttle: ProviderThrottle;
}

/**
 * A provider this process has no credentials for: a deployment whose workers are configured
 * differently from its API. Retryable, so the upload keeps its bytes and can run once a worker
 * that has them takes it (or an operator retries it after fixing the configuration).
 */
export class ProviderNotConfiguredError extends RetryableProviderError {
  constructor(readonly provider: string, configured: readonly string[]) {
    super(`Provider "${provider}" is not configured on this process (configured: ${configured.join(', ') || 'none'}); give it the provider's credentials.`);
  }
}

/**
 * The primary's health as this process sees it (a circuit breaker): its calls run through it while
 * the primary answers, and not at all while it is failing — then a call goes to the secondary.
 */
export interface FailoverGuard {
  /**
   * Runs `call` (a call to the primary), counting how it ends; resolves `{ ran: false }` without
   * calling when the primary's circuit is open, or a probe of it is already under way. Only
   * outages count (retryable failures, timeouts): a rate limit or a refused file is not one.
   */
  attempt<T>(call: () => Promise<T>): Promise<{ ran: true; value: T } | { ran: false }>;
}

/** `PROVIDER_FAILOVER`: while `from` is failing, uploads sent to it go to `to`. */
export interface ProviderFailover {
  from: string;
  to: string;
  guard: FailoverGuard;
}

/** `PROVIDER_MIRROR`: every upload sent to `from` is stored on `to` as well. */
export interface ProviderMirror {
  from: string;
  to: string;
  /** `both`: the upload succeeds only once both copies are stored; `primary`: the mirror's failure is logged, not fatal. */
  require: 'both' | 'primary';
}

/** Where an upload's attempt goes: its provider, and while that is failing, the failover's secondary; and its mirror. */
export interface ProviderPlan {
  primary: RosterEntry;
  /** Present when the upload's provider fails over and the secondary can take this upload. */
  fallback?: { entry: RosterEntry; guard: FailoverGuard } | undefined;
  /** Present when the upload's provider is mirrored and the mirror can take this upload. */
  mirror?: { entry: RosterEntry; require: ProviderMirror['require'] } | undefined;
}

/**
 * The providers a worker or API process can call, by name (UploadProvider.name): where an upload
 * is sent (its `provider`, or the failover's secondary while that one fails), and where an asset is
 * deleted (where it landed). The one place a name becomes a provider.
 */
export class ProviderRoster {
  private readonly entries = new Map<string, RosterEntry>();

  constructor(
    entries: Iterable<{ provider: UploadProvider; throttle?: ProviderThrottle | undefined }>,
    private readonly options: { failover?: ProviderFailover | undefined; mirror?: ProviderMirror | undefined } = {},
  ) {
    for (const { provider, throttle } of entries) {
      if (this.entries.has(provider.name)) throw new Error(`two providers named ${provider.name}`);
      this.entries.set(provider.name, { provider, throttle: throttle ?? UNTHROTTLED });
    }
    for (const pair of [options.failover, options.mirror]) {
      if (pair && (!this.entries.has(pair.from) || !this.entries.has(pair.to) || pair.from === pair.to)) {
        throw new Error(`a failover or mirror from ${pair.from} to ${pair.to} needs both providers, and two different ones`);
      }
    }
  }

  /**
   * Where an attempt at `upload` goes: its provider and, when that provider fails over, the
   * secondary — only if the secondary can take this upload (its type, size, options and public id;
   * otherwise it keeps waiting for its own provider rather than land where it was never accepted).
   * @throws ProviderNotConfiguredError when this process has no credentials for the upload's provider.
   */
  plan(upload: Pick<Upload, 'provider' | 'publicId' | 'resourceType' | 'eager' | 'metadata' | 'bytes' | 'contentType'>): ProviderPlan {
    const primary = this.require(upload.provider);
    const { failover, mirror } = this.options;
    const needs = { eager: upload.eager, resourceType: upload.resourceType, metadata: upload.metadata ?? undefined, bytes: upload.bytes, contentType: upload.contentType, publicId: upload.publicId };
    const takes = (name: string): RosterEntry | undefined => {
      const entry = this.require(name);
      return canTake(name, entry.provider.limits, needs) ? entry : undefined;
    };
    const secondary = failover?.from === upload.provider ? takes(failover.to) : undefined;
    const copy = mirror?.from === upload.provider ? takes(mirror.to) : undefined;
    return {
      primary,
      ...(failover && secondary ? { fallback: { entry: secondary, guard: failover.guard } } : {}),
      ...(mirror && copy ? { mirror: { entry: copy, require: mirror.require } } : {}),
    };
  }

  /**
   * The other providers an upload may have left a copy on, besides where its result says it is:
   * the failover's and the mirror's of its provider, when this process has them. An attempt that
   * failed, was cut short or was cancelled may have stored there before it ended; destroy is
   * idempotent and ownership-checked, so looking there costs a call, never another upload's asset.
   */
  strayCopies(upload: Pick<Upload, 'provider' | 'result'>): string[] {
    const known = new Set([upload.result?.provider ?? upload.provider, ...(upload.result?.mirrors ?? []).map((copy) => copy.provider)]);
    const { failover, mirror } = this.options;
    const candidates = [failover?.from === upload.provider ? failover.to : undefined, failover?.from === upload.provider ? failover.from : undefined, mirror?.from === upload.provider ? mirror.to : undefined];
    return [...new Set(candidates.filter((name): name is string => name !== undefined && !known.has(name) && this.entries.has(name)))];
  }

  /** A roster of one provider. */
  static of(provider: UploadProvider, throttle?: ProviderThrottle): ProviderRoster {
    return new ProviderRoster([{ provider, throttle }]);
  }

  /** The names of the providers it holds. */
  get names(): string[] {
    return [...this.entries.keys()];
  }

  /** The provider named `name` and its throttle, if this process has it. */
  get(name: string): RosterEntry | undefined {
    return this.entries.get(name);
  }

  /**
   * The provider named `name` and its throttle.
   * @throws ProviderNotConfiguredError when this process has no credentials for it.
   */
  require(name: string): RosterEntry {
    const entry = this.entries.get(name);
    if (!entry) throw new ProviderNotConfiguredError(name, this.names);
    return entry;
  }
}
