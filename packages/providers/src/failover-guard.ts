import { ProviderNotConfiguredError, RetryableProviderError, type FailoverGuard } from '@hoist/core';

/** What an open, probing or closed circuit means for the uploads, for the log. */
export type CircuitChange = 'open' | 'probing' | 'closed';

export interface CircuitGuardOptions {
  /** Retryable failures in a row (5xx, timeouts, dropped connections) that open the circuit (`PROVIDER_FAILOVER_AFTER`). */
  failuresToOpen: number;
  /** How long it stays open before one call probes the primary again, ms (`PROVIDER_FAILOVER_PROBE_MS`). */
  probeAfterMs: number;
  /** Told of each change of the circuit's state. */
  onChange?: ((change: CircuitChange) => void) | undefined;
  /** The clock, ms; default Date.now. */
  now?: (() => number) | undefined;
}

/** An outage of the provider, as opposed to a rate limit (never a reason to fail over), a refused file, or a missing temp object. */
function isOutage(error: unknown): boolean {
  return error instanceof RetryableProviderError && !(error instanceof ProviderNotConfiguredError);
}

/**
 * A FailoverGuard, per process: a consecutive-failure circuit breaker over the primary's calls.
 * - Closed: calls run; `failuresToOpen` outages in a row open it; a success resets the count; any
 *   other ending (a rate limit, a refused file, the upload withdrawn) leaves the count as it is.
 * - Open: no call runs (the attempt goes to the secondary) until `probeAfterMs` have passed.
 * - Probing: one call runs; the others go to the secondary meanwhile. Its success closes the circuit,
 *   an outage opens it again, and any other ending says nothing of the primary's health: the circuit
 *   stays open and the next call probes again at once.
 * Written here rather than taken from a library: cockatiel's breaker counts a probe that ends in an
 * error it does not handle (a rate limit, a withdrawn upload) as a success, closing the circuit on
 * no evidence.
 */
export function circuitGuard(options: CircuitGuardOptions): FailoverGuard {
  const now = options.now ?? Date.now;
  let state: 'closed' | 'open' | 'probing' = 'closed';
  let failures = 0;
  let probeAt = 0;
  const change = (next: typeof state): void => {
    if (next === state) return;
    state = next;
    options.onChange?.(next);
  };
  const open = (): void => {
    probeAt = now() + options.probeAfterMs;
    change('open');
  };
  return {
    async attempt<T>(call: () => Promise<T>) {
      if (state === 'probing' || (state === 'open' && now() < probeAt)) return { ran: false } as const;
      const probe = state === 'open';
      if (probe) change('probing');
      try {
        const value = await call();
        failures = 0;
        if (probe) change('closed');
        return { ran: true, value } as const;
      } catch (error) {
        if (isOutage(error)) {
          failures += 1;
          if (probe || (state === 'closed' && failures >= options.failuresToOpen)) open();
        } else if (probe) {
          // Inconclusive: open again, with the next call probing at once.
          probeAt = now();
          change('open');
        }
        throw error;
      }
    },
  };
}
