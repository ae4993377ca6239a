// `pnpm bench worker-cpu`: the CPU one worker process spends per small upload (10 KB PNG to the
// provider stand-in, zero latency), from /proc, with the worker's idle CPU over the same time
// subtracted, against the official SDK's bare upload_stream of the same files to the same stand-in
// (baselines/bare-sdk.ts), in the same run. The uploads are queued while the queue is paused, so the
// worker's figures (CPU, SQL statements, Redis commands) are the processing alone.
import { setTimeout as sleep } from 'node:timers/promises';
import { UPLOAD_QUEUE } from '@hoist/queue';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { extraHoistProcess, hoistStack, rounds, runBaselineOnce, worst, type Benchmark } from '../context.js';
import { commandDelta, perUploadLine, redisCommandCounts, StatementCounter, total } from '../counters.js';
import { cpuMs } from '../proc-stats.js';
import { smallFiles } from '../small-files.js';
import { postSmallFiles, waitForSucceeded } from '../uploads.js';

const CONCURRENCY = 8;

export const workerCpu: Benchmark = {
  name: 'worker-cpu',
  title: 'worker CPU per small upload vs a bare official-SDK upload_stream',
  async run(ctx) {
    const uploads = ctx.smoke ? 30 : 400;
    const stack = await hoistStack(ctx, 'workercpu', { workers: 0 });
    const counter = await StatementCounter.start(stack.stack.databaseUrl);
    const connection = new Redis(ctx.redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(UPLOAD_QUEUE, { connection, prefix: stack.stack.queuePrefix });
    try {
      const worker = await extraHoistProcess(ctx, stack, 'worker', { DATABASE_URL: counter.urlFor(stack.stack.databaseUrl), WORKER_CONCURRENCY: String(CONCURRENCY) });
      const files = smallFiles();
      let next = 0;
      // Warm-up: JIT, connections, the SDK.
      await waitForSucceeded(stack, await postSmallFiles(stack.stack.apiUrl, files, { from: next, count: 20 }).finally(() => (next += 20)), 60_000);
      const measured = await rounds(ctx, async () => {
        // Idle cost first, over a few seconds.
        const idleMs = ctx.smoke ? 1_000 : 3_000;
        const idleBefore = cpuMs(worker.pid);
        await sleep(idleMs);
        const idlePerMs = (cpuMs(worker.pid) - idleBefore) / idleMs;
        await queue.pause();
        const ids = await postSmallFiles(stack.stack.apiUrl, files, { from: next, count: uploads });
        next += uploads;
        const statements = counter.statements;
        const redisBefore = await redisCommandCounts(ctx.redis.url);
        const emulatorPid = stack.stack.processes.find((p) => p.name === 'emulator')!.pid;
        const emulatorBefore = cpuMs(emulatorPid);
        const cpuBefore = cpuMs(worker.pid);
        const started = performance.now();
        await queue.resume();
        await waitForSucceeded(stack, ids, 120_000);
        const wallMs = performance.now() - started;
        const cpu = cpuMs(worker.pid) - cpuBefore;
        const emulatorCpu = (cpuMs(emulatorPid) - emulatorBefore) / uploads;
        const redis = commandDelta(redisBefore, await redisCommandCounts(ctx.redis.url));
        const bare = await runBaselineOnce<{ uploads: number; cpuMs: number; wallMs: number }>(ctx, 'bare-sdk', {
          CLOUDINARY_URL: stack.stack.env.CLOUDINARY_URL!,
          COUNT: String(uploads),
          CONCURRENCY: String(CONCURRENCY),
        });
        return {
          hoist: Math.max(0, cpu - idlePerMs * wallMs) / uploads,
          bare: bare.cpuMs / bare.uploads,
          idlePct: idlePerMs * 100,
          emulatorCpu,
          statements: (counter.statements - statements) / uploads,
          redis,
          hoistRate: uploads / (wallMs / 1000),
          bareRate: bare.uploads / (bare.wallMs / 1000),
        };
      });
      await worker.stop();
      const ratio = worst(measured.map((m) => m.hoist / m.bare), 'lower');
      const r = measured.find((m) => m.hoist / m.bare === ratio)!;
      return {
        comparisons: [
          { what: 'worker CPU per small upload (idle subtracted)', unit: 'ms', value: r.hoist, baseline: { label: 'bare SDK upload_stream', value: r.bare }, goal: { max: 1.5 } },
          { what: `one worker × ${CONCURRENCY} slots, zero provider latency`, unit: 'uploads/s', value: r.hoistRate, baseline: { label: `bare SDK, ${CONCURRENCY} at once`, value: r.bareRate } },
        ],
        facts: [
          `worker idle CPU: ${r.idlePct.toFixed(2)} % of a core (subtracted); the provider stand-in's CPU per upload: ${r.emulatorCpu.toFixed(2)} ms`,
          `per upload, in the worker: ${r.statements.toFixed(1)} SQL statements; ${(total(r.redis) / uploads).toFixed(1)} Redis commands (${perUploadLine(r.redis, uploads)})`,
          `${uploads} uploads per round, queued while the queue was paused, then processed; ${ctx.rounds} round(s)`,
        ],
        plot: {
          title: 'CPU per small upload, by round',
          x: 'round',
          y: 'CPU ms per upload',
          series: [
            { name: 'Hoist worker', points: measured.map((m, i) => ({ x: i + 1, y: m.hoist })) },
            { name: 'bare SDK', points: measured.map((m, i) => ({ x: i + 1, y: m.bare })) },
          ],
        },
      };
    } finally {
      await queue.close();
      connection.disconnect();
      await stack.stop();
      await counter.stop();
    }
  },
};
