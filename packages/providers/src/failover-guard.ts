import { ProviderNotConfiguredError, RetryableProviderError, type FailoverGuard } from '@hoist/core';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, circuitBreaker, handleWhen } from 'cockatiel';

/** What an open, probing or closed circuit means for the uploads, for the log. */
export type CircuitChange = 'open' | 'probing' | 'closed';

export interface CircuitGuardOptions {
  /** Retryable failures in a row (5xx, timeouts, dropped connections) that open the circuit (`PROVIDER_FAILOVER_AFTER`). */
  failuresToOpen: number;
  /** How long it stays open before one call probes the primary again, ms (`PROVIDER_FAILOVER_PROBE_MS`). */
  probeAfterMs: number;
  /** Told of each change of the circuit's state. */
  onChange?: ((change: CircuitChange) => void) | undefined;
}

/** An outage of the provider, as opposed to a rate limit (never a reason to fail over), a refused file, or a missing temp object. */
function isOutage(error: unknown): boolean {
  return error instanceof RetryableProviderError && !(error instanceof ProviderNotConfiguredError);
}

/**
 * A FailoverGuard on cockatiel's circuit breaker, per process: after `failuresToOpen` outages in a
 * row the primary's circuit opens and calls go to the secondary; after `probeAfterMs` one call
 * probes the primary (half-open) — its success closes the circuit, its failure opens it again.
 * While the probe is under way the other calls go to the secondary rather than wait for it.
 * Successes, rate limits and refusals reset nothing but the count of outages in a row.
 */
export function circuitGuard(options: CircuitGuardOptions): FailoverGuard {
  const breaker = circuitBreaker(handleWhen(isOutage), { halfOpenAfter: options.probeAfterMs, breaker: new ConsecutiveBreaker(options.failuresToOpen) });
  breaker.onStateChange((state) => {
    if (state === CircuitState.Open) options.onChange?.('open');
    else if (state === CircuitState.HalfOpen) options.onChange?.('probing');
    else if (state === CircuitState.Closed) options.onChange?.('closed');
  });
  return {
    async attempt<T>(call: () => Promise<T>) {
      if (breaker.state === CircuitState.HalfOpen) return { ran: false } as const;
      try {
        return { ran: true, value: await breaker.execute(call) } as const;
      } catch (error) {
        if (error instanceof BrokenCircuitError) return { ran: false } as const;
        throw error;
      }
    },
  };
}
