import { PermanentProviderError, RateLimitedError, RetryableProviderError } from '@hoist/core';
import { describe, expect, it } from 'vitest';
import { circuitGuard, type CircuitChange } from './failover-guard.js';

const outage = () => Promise.reject(new RetryableProviderError('HTTP 503', { status: 503 }));
const ok = () => Promise.resolve('stored');

function subject() {
  let clock = 0;
  const changes: CircuitChange[] = [];
  const guard = circuitGuard({ failuresToOpen: 3, probeAfterMs: 1_000, now: () => clock, onChange: (change) => changes.push(change) });
  const attempt = (call: () => Promise<string>) => guard.attempt(call).catch((error: unknown) => error);
  return { guard, changes, attempt, advance: (ms: number) => (clock += ms) };
}

describe('circuitGuard', () => {
  it('opens after the outages in a row, sends nothing while open, and closes on a successful probe', async () => {
    const { changes, attempt, advance } = subject();
    for (let i = 0; i < 3; i++) expect(await attempt(outage)).toBeInstanceOf(RetryableProviderError);
    expect(changes).toEqual(['open']);
    let called = false;
    expect(await attempt(() => ((called = true), ok()))).toEqual({ ran: false });
    expect(called).toBe(false);
    advance(1_000);
    expect(await attempt(ok)).toEqual({ ran: true, value: 'stored' });
    expect(changes).toEqual(['open', 'probing', 'closed']);
  });

  it('counts only outages in a row: a success resets the count; rate limits and refusals neither count nor reset', async () => {
    const { changes, attempt } = subject();
    await attempt(outage);
    await attempt(outage);
    await attempt(ok);
    await attempt(outage);
    await attempt(outage);
    await attempt(() => Promise.reject(new RateLimitedError('429')));
    await attempt(() => Promise.reject(new PermanentProviderError('Invalid image file')));
    expect(changes).toEqual([]);
    await attempt(outage);
    expect(changes).toEqual(['open']);
  });

  it('lets one probe through at a time, and opens again when it fails', async () => {
    const { changes, guard, attempt, advance } = subject();
    for (let i = 0; i < 3; i++) await attempt(outage);
    advance(1_000);
    let fail!: () => void;
    const probe = guard.attempt(() => new Promise<string>((_, reject) => (fail = () => reject(new RetryableProviderError('timeout', { status: 499 }))))).catch((error: unknown) => error);
    // Meanwhile every other call goes elsewhere.
    expect(await attempt(ok)).toEqual({ ran: false });
    fail();
    expect(await probe).toBeInstanceOf(RetryableProviderError);
    expect(changes).toEqual(['open', 'probing', 'open']);
    expect(await attempt(ok)).toEqual({ ran: false });
  });

  it('takes a probe that ends without a verdict (a rate limit, a withdrawn upload) as no evidence: it stays open and probes again at once', async () => {
    const { changes, attempt, advance } = subject();
    for (let i = 0; i < 3; i++) await attempt(outage);
    advance(1_000);
    expect(await attempt(() => Promise.reject(new RateLimitedError('429')))).toBeInstanceOf(RateLimitedError);
    expect(changes).toEqual(['open', 'probing', 'open']);
    expect(await attempt(ok)).toEqual({ ran: true, value: 'stored' });
    expect(changes.at(-1)).toBe('closed');
  });
});
