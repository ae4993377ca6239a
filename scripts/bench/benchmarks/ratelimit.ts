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
    const args = ctx.smoke ? ['--styles=hinted', '--uploads=40', '--rate=20'] : ['--styles=hinted,retry-after,unhinted', '--uploads=400', '--rate=20'];
    const child = new TestProcess('bench-ratelimit', { command: process.execPath, args: ['--import', 'tsx', 'scripts/bench-ratelimit.ts', ...args, `--json=${json}`] }, { DATABASE_URL: process.env.DATABASE_URL ?? '', REDIS_URL: ctx.redis.url }, { logFile: join(ctx.logDir, 'bench-ratelimit.log'), keepLines: 400 });
    const stop = onCleanup(`stop bench:ratelimit (pid ${child.pid})`, () => child.stop(30_000));
    // Bounded on its own too: every run of it gives up by itself, this is the last resort.
    const timer = setTimeout(() => void child.stop(30_000), 10 * 60_000);
    const exit = await child.exited.finally(() => clearTimeout(timer));
    await stop();
    const report = await readFile(json, 'utf8').then((text) => JSON.parse(text) as { command: string; runs: RateLimitRun[] }, () => undefined);
    if (!report) throw new Error(`bench:ratelimit wrote no results (exit ${exit.code}):\n${child.output.slice(-30).join('\n')}`);
    return {
      comparisons: report.runs.flatMap((r) => [
        { what: `${r.style} 420s, workers learning the limit`, unit: 'uploads/s', value: r.throughput, baseline: { label: 'R (configured)', value: r.rate }, goal: { min: 0.9 } },
        { what: `${r.style} 420s: share of upload requests answered 420`, unit: '%', value: r.limitedShare * 100, baseline: { label: 'allowed (not measured)', value: 5 }, goal: { max: 1 } },
      ]),
      checks: report.runs.map((r) => ({ what: `${r.style}: 0 failed, 0 lost, 0 duplicates (${r.outcome.failed}, ${r.outcome.lost}, ${r.outcome.duplicates})`, pass: r.outcome.failed === 0 && r.outcome.lost === 0 && r.outcome.duplicates === 0 })),
      facts: [
        `ran \`${report.command}\`; its full report is in the run's logs (bench-ratelimit.log)`,
      ],
    };
  },
};
