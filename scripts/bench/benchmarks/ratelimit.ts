// `pnpm bench ratelimit`: the rate-limit benchmark (scripts/bench-ratelimit.ts, also `pnpm
// bench:ratelimit`) run as a process of its own, one run per style of 420: how close the workers
// get to the provider's limit R (the baseline) while tripping it rarely, losing nothing and
// duplicating nothing.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestProcess } from '../../../test/support/processes.js';
import { onCleanup } from '../../lib/lifecycle.js';
import type { Benchmark } from '../context.js';

interface RateLimitRun {
  phase: string;
  style: string;
  run: number;
  rate: number;
  throughput: number;
  limitedShare: number;
  outcome: { succeeded: number; failed: number; lost: number; duplicates: number };
  pass: boolean;
}

export const ratelimit: Benchmark = {
  name: 'ratelimit',
  title: 'throughput against a provider rate limit R, per style of 420',
  async run(ctx) {
    const json = join(ctx.logDir, 'ratelimit.json');
    const args = ctx.smoke ? ['--styles=hinted', '--uploads=40', '--rate=20'] : ['--styles=hinted,retry-after,unhinted', '--uploads=200', '--rate=20'];
    const child = new TestProcess('bench-ratelimit', { command: process.execPath, args: ['--import', 'tsx', 'scripts/bench-ratelimit.ts', ...args, `--json=${json}`] }, { DATABASE_URL: process.env.DATABASE_URL ?? '', REDIS_URL: ctx.redis.url }, { logFile: join(ctx.logDir, 'bench-ratelimit.log'), keepLines: 400 });
    const stop = onCleanup(`stop bench:ratelimit (pid ${child.pid})`, () => child.stop(30_000));
    const exit = await child.exited;
    await stop();
    const report = await readFile(json, 'utf8').then((text) => JSON.parse(text) as { command: string; runs: RateLimitRun[] }, () => undefined);
    if (!report) throw new Error(`bench:ratelimit wrote no results (exit ${exit.code}):\n${child.output.slice(-30).join('\n')}`);
    return {
      comparisons: report.runs.map((r) => ({ what: `${r.style} 420s, workers learning the limit`, unit: 'uploads/s', value: r.throughput, baseline: { label: 'R', value: r.rate }, goal: { min: 0.9 } })),
      facts: [
        ...report.runs.map((r) => `${r.style}: 420 share ${(r.limitedShare * 100).toFixed(1)} % (≤ 5 %), ${r.outcome.succeeded} succeeded, ${r.outcome.failed} failed, ${r.outcome.lost} lost, ${r.outcome.duplicates} duplicates — ${r.pass ? 'PASS' : 'FAIL'}`),
        `ran \`${report.command}\`; its full report is in the run's logs (bench-ratelimit.log)`,
      ],
    };
  },
};
