// HTTP load from this process with autocannon: a fixed number of connections for a fixed time, each
// request optionally built by `request(n)` (a body or path of its own), measured the same way for
// Hoist and for every baseline so their ratio is fair.
import autocannon from 'autocannon';

export interface LoadOptions {
  url: string;
  connections: number;
  /** How long to run, s; or, with `amount`, the most time allowed. */
  durationS: number;
  /** Stop after this many requests instead of after `durationS`. */
  amount?: number;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Builds the n-th request (0, 1, 2…): its path and body. */
  request?: (n: number) => { path?: string; body?: Buffer | string; headers?: Record<string, string> };
  /** Statuses that count as success (default 2xx). */
  ok?: (status: number) => boolean;
}

export interface LoadResult {
  /** Successful requests per second over the run. */
  rps: number;
  ok: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  statuses: Record<string, number>;
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  let n = 0;
  const build = options.request;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.amount === undefined ? { duration: options.durationS } : { amount: options.amount, timeout: options.durationS }),
    method: options.method ?? 'GET',
    headers: options.headers,
    requests: build
      ? [
          {
            setupRequest: (request) => {
              const built = build(n++);
              return { ...request, ...(built.path ? { path: built.path } : {}), ...(built.body !== undefined ? { body: built.body } : {}), headers: { ...request.headers, ...built.headers } };
            },
          },
        ]
      : undefined,
  });
  const statuses: Record<string, number> = {};
  for (const [key, value] of Object.entries(result.statusCodeStats ?? {})) statuses[key] = (value as { count: number }).count;
  const isOk = options.ok ?? ((status: number) => status >= 200 && status < 300);
  const ok = Object.entries(statuses).reduce((sum, [status, count]) => sum + (isOk(Number(status)) ? count : 0), 0);
  const all = Object.values(statuses).reduce((sum, count) => sum + count, 0);
  // autocannon's own elapsed time: it stops at its next one-second tick after the timer, not on it.
  return {
    rps: ok / result.duration,
    ok,
    // Timeouts are counted among the errors.
    failed: all - ok + result.errors,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    statuses,
  };
}
