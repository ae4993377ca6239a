import { RetryableProviderError } from './errors.js';
import { UNTHROTTLED, type ProviderThrottle } from './provider-throttle.js';
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
 * The providers a worker or API process can call, by name (UploadProvider.name): where an upload
 * is sent (its `provider`) and where an asset is deleted (where it landed). The one place a name
 * becomes a provider.
 */
export class ProviderRoster {
  private readonly entries = new Map<string, RosterEntry>();

  constructor(entries: Iterable<{ provider: UploadProvider; throttle?: ProviderThrottle | undefined }>) {
    for (const { provider, throttle } of entries) {
      if (this.entries.has(provider.name)) throw new Error(`two providers named ${provider.name}`);
      this.entries.set(provider.name, { provider, throttle: throttle ?? UNTHROTTLED });
    }
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
