// `pnpm bench worker-cpu`: the CPU one worker process spends per small upload (10 KB PNG to the
// provider stand-in, zero latency), from /proc, with the worker's idle CPU over the same time
// subtracted, against the official SDK's bare upload_stream of the same files to the same stand-in
// (baselines/bare-sdk.ts), in the same run. The uploads are queued while the queue is paused, so the
// worker's figures (CPU, SQL statements, Redis commands) are the processing alone.
import { setTimeout as sleep } from 'node:timers/promises';
import { UPLOAD_QUEUE } from '@hoist/queue';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { extraHoistProcess, hoistStack, inTurn, rounds, runBaselineOnce, worst, type Benchmark } from '../context.js';
import { commandDelta, lessIdle, perUploadLine, redisCommandCounts, scaled, StatementCounter, total } from '../counters.js';
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
    const worker = await extraHoistProcess(ctx, stack, 'worker', { DATABASE_URL: counter.urlFor(stack.stack.databaseUrl), WORKER_CONCURRENCY: String(CONCURRENCY) }).catch(async (error: unknown) => {
      await Promise.all([queue.close(), stack.stop(), counter.stop()]);
      connection.disconnect();
      throw error;
    });
    try {
      const files = smallFiles();
      let next = 0;
      // Warm-up: JIT, connections, the SDK.
      await waitForSucceeded(stack, await postSmallFiles(stack.stack.apiUrl, files, { from: next, count: 20 }).finally(() => (next += 20)), 60_000);
      await drained(queue);
      const emulatorPid = stack.stack.processes.find((p) => p.name === 'emulator')!.pid;
      const snapshot = async () => ({ at: performance.now(), cpu: cpuMs(worker.pid), emulator: cpuMs(emulatorPid), statements: counter.count(), redis: await redisCommandCounts(ctx.redis.url) });
      const measured = await rounds(ctx, async (round) => {
        const [hoist, bare] = await inTurn(
          round,
          async () => {
            // What the worker does with nothing to do (timers, relays, checks) over a few seconds: subtracted below.
            const idleStart = await snapshot();
            await sleep(ctx.smoke ? 1_000 : 3_000);
            const idleEnd = await snapshot();
            const idleMs = idleEnd.at - idleStart.at;
            await queue.pause();
            const ids = await postSmallFiles(stack.stack.apiUrl, files, { from: next, count: uploads });
            next += uploads;
            const start = await snapshot();
            await queue.resume();
            await waitForSucceeded(stack, ids, 120_000);
            // The work after the last row's update (moving the job to completed, removing the temp file) belongs to the uploads too.
            await drained(queue);
            const end = await snapshot();
            const busyMs = end.at - start.at;
            const factor = busyMs / idleMs;
            const idleCpu = (idleEnd.cpu - idleStart.cpu) * factor;
            const cpu = end.cpu - start.cpu;
            if (cpu <= 0 || idleCpu > cpu / 2) throw new Error(`the worker's CPU over the uploads (${cpu} ms) is not clearly above its idle CPU (${idleCpu.toFixed(0)} ms): no figure`);
            const redis = lessIdle(commandDelta(start.redis, end.redis), scaled(commandDelta(idleStart.redis, idleEnd.redis), factor));
            return {
              cpuPerUpload: (cpu - idleCpu) / uploads,
              idlePct: ((idleEnd.cpu - idleStart.cpu) / idleMs) * 100,
              emulatorCpu: (end.emulator - start.emulator) / uploads,
              statements: (end.statements - start.statements - (idleEnd.statements - idleStart.statements) * factor) / uploads,
              redis,
              rate: uploads / (busyMs / 1000),
            };
          },
          () =>
            runBaselineOnce<{ uploads: number; cpuMs: number; wallMs: number }>(ctx, 'bare-sdk', {
              CLOUDINARY_URL: stack.stack.env.CLOUDINARY_URL!,
              COUNT: String(uploads),
              CONCURRENCY: String(CONCURRENCY),
            }),
        );
        return { ...hoist, hoist: hoist.cpuPerUpload, bare: bare.cpuMs / bare.uploads, bareRate: bare.uploads / (bare.wallMs / 1000), hoistRate: hoist.rate };
      });
      const ratio = worst(measured.map((m) => m.hoist / m.bare), 'lower');
      const r = measured.find((m) => m.hoist / m.bare === ratio)!;
      return {
        comparisons: [
          { what: 'worker CPU per small upload (idle subtracted)', unit: 'ms', value: r.hoist, baseline: { label: 'bare SDK upload_stream', value: r.bare }, goal: { max: 1.5 } },
          { what: `one worker × ${CONCURRENCY} slots, zero provider latency`, unit: 'uploads/s', value: r.hoistRate, baseline: { label: `bare SDK, ${CONCURRENCY} at once`, value: r.bareRate } },
        ],
        facts: [
          `worker idle CPU: ${r.idlePct.toFixed(2)} % of a core (subtracted); the provider stand-in's CPU per upload: ${r.emulatorCpu.toFixed(2)} ms`,
          `per upload, in the worker (its idle traffic subtracted): ${r.statements.toFixed(1)} SQL statements; ${(total(r.redis) / uploads).toFixed(1)} Redis commands (${perUploadLine(r.redis, uploads)})`,
          `${uploads} uploads per round, queued while the queue was paused, then processed until the queue was empty; ${ctx.rounds} round(s)`,
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
      await worker.stop();
      await queue.close();
      connection.disconnect();
      await stack.stop();
      await counter.stop();
    }
  },
};

/** Resolves once the queue has no job waiting, prioritized, delayed or active. */
async function drained(queue: Queue): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const counts = await queue.getJobCounts('wait', 'prioritized', 'delayed', 'active');
    if (Object.values(counts).every((n) => n === 0)) return;
    if (Date.now() > deadline) throw new Error(`the queue did not drain: ${JSON.stringify(counts)}`);
    await sleep(50);
  }
}
