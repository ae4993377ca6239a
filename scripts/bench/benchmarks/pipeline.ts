// `pnpm bench pipeline`: how well the workers keep their slots busy when the provider is slow. With C
// upload slots (workers × WORKER_CONCURRENCY) and a provider that takes L per upload, no system can
// finish more than C/L uploads a second. N = 6·C uploads are queued while the queue is paused; once
// it resumes, the steady rate is measured from the C-th success (the first wave, which also carries
// the start-up) to the last: ideally (N − C) uploads in (N/C − 1)·L, i.e. C/L.
import { UPLOAD_QUEUE } from '@hoist/queue';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { hoistStack, rounds, worst, type Benchmark, type BenchContext } from '../context.js';
import type { Comparison } from '../report.js';
import { smallFiles } from '../small-files.js';
import { postSmallFiles, waitForSucceeded } from '../uploads.js';

interface Config {
  latencyMs: number;
  workers: number;
  concurrency: number;
}

export const pipeline: Benchmark = {
  name: 'pipeline',
  title: 'throughput against C/L with a slow provider',
  async run(ctx) {
    const configs: Config[] = ctx.smoke
      ? [{ latencyMs: 200, workers: 1, concurrency: 8 }]
      : [
          { latencyMs: 1000, workers: 2, concurrency: 8 },
          { latencyMs: 1000, workers: 2, concurrency: 16 },
          { latencyMs: 500, workers: 2, concurrency: 16 },
          { latencyMs: 1000, workers: 2, concurrency: 32 },
        ];
    const comparisons: Comparison[] = [];
    const facts: string[] = [];
    const points: Record<number, Array<{ x: number; y: number }>> = {};
    for (const config of configs) {
      const slots = config.workers * config.concurrency;
      const { achieved, ideal } = await measure(ctx, config);
      comparisons.push({ what: `${config.workers} workers × ${config.concurrency}, provider latency ${config.latencyMs} ms`, unit: 'uploads/s', value: achieved, baseline: { label: 'C/L (theoretical)', value: ideal }, goal: { min: 0.9 } });
      (points[config.latencyMs] ??= []).push({ x: slots, y: achieved / ideal });
    }
    facts.push('each configuration, worst of two rounds: 6·C distinct 10 KB uploads queued while the queue was paused, then resumed; achieved = the steady rate from the C-th success to the last');
    return {
      comparisons,
      facts,
      plot: { title: 'Pipeline efficiency: achieved ÷ C/L', x: 'upload slots C (workers × concurrency)', y: 'achieved ÷ (C/L)', series: Object.entries(points).map(([latency, list]) => ({ name: `L = ${latency} ms`, points: list })) },
    };
  },
};

async function measure(ctx: BenchContext, config: Config): Promise<{ achieved: number; ideal: number }> {
  const slots = config.workers * config.concurrency;
  const stack = await hoistStack(ctx, 'pipeline', { workers: config.workers, workerEnv: { WORKER_CONCURRENCY: String(config.concurrency) }, emulatorEnv: { EMULATOR_LATENCY_MS: String(config.latencyMs) } });
  const connection = new Redis(ctx.redis.url, { maxRetriesPerRequest: null });
  const queue = new Queue(UPLOAD_QUEUE, { connection, prefix: stack.stack.queuePrefix });
  try {
    const files = smallFiles();
    // Warm-up: one upload per slot.
    await waitForSucceeded(stack, await postSmallFiles(stack.stack.apiUrl, files, { from: 0, count: slots, concurrency: 16 }), 60_000);
    const uploads = (ctx.smoke ? 3 : 6) * slots;
    let next = slots;
    // Worst of (at most two) rounds on the same stack: each round is several seconds of steady state already.
    const rates = await rounds({ ...ctx, rounds: Math.min(ctx.rounds, 2) }, async () => {
      await queue.pause();
      const ids = await postSmallFiles(stack.stack.apiUrl, files, { from: next, count: uploads, concurrency: 16 });
      next += uploads;
      await queue.resume();
      await waitForSucceeded(stack, ids, 120_000 + (uploads / slots) * config.latencyMs * 3);
      const { rows } = await stack.pool.query<{ at: Date }>('select updated_at as at from upload where id = any($1::uuid[]) order by updated_at', [ids]);
      const firstWave = rows[slots - 1]!.at.getTime();
      const last = rows.at(-1)!.at.getTime();
      return (uploads - slots) / ((last - firstWave) / 1000);
    });
    return { achieved: worst(rates, 'higher'), ideal: slots / (config.latencyMs / 1000) };
  } finally {
    await queue.close();
    connection.disconnect();
    await stack.stop();
  }
}
