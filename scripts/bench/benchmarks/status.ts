// `pnpm bench status`: GET /v1/uploads/:id of succeeded uploads (API key auth on, JSON logs at info),
// against a minimal Fastify route doing one pg read by id and against Fastify's hello-world, all
// loaded the same way (autocannon, 50 connections) in the same run. Also measured: conditional GETs
// (If-None-Match with the ETag a first GET gave), which a polling client sends.
import { UPLOAD_QUEUE } from '@hoist/queue';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { load, type LoadResult } from '../load.js';
import { apiPid, assertClean, createApiKey, hoistStack, inTurn, rounds, startBaseline, worst, type Benchmark } from '../context.js';
import { cpuMs } from '../proc-stats.js';
import type { Comparison, Series } from '../report.js';
import { smallFiles } from '../small-files.js';
import { postSmallFiles, waitForSucceeded } from '../uploads.js';

const CONNECTIONS = 50;

export const status: Benchmark = {
  name: 'status',
  title: 'status reads vs a minimal pg read and hello-world',
  async run(ctx) {
    const stack = await hoistStack(ctx, 'status', { workers: 1, env: { AUTH: 'on' } });
    try {
      const key = await createApiKey(stack, 'bench');
      const auth = { authorization: `Bearer ${key}` };
      const ids = await postSmallFiles(stack.stack.apiUrl, smallFiles(), { count: ctx.smoke ? 10 : 200, headers: auth });
      await waitForSucceeded(stack, ids, 60_000);
      // Uploads that stay queued (the queue paused): their reads are never cached.
      const connection = new Redis(ctx.redis.url, { maxRetriesPerRequest: null });
      const queue = new Queue(UPLOAD_QUEUE, { connection, prefix: stack.stack.queuePrefix });
      await queue.pause();
      const queuedIds = await postSmallFiles(stack.stack.apiUrl, smallFiles(), { count: ctx.smoke ? 10 : 200, headers: auth }).finally(async () => {
        await queue.close();
        connection.disconnect();
      });
      const etags = await Promise.all(ids.map(async (id) => (await fetch(`${stack.stack.apiUrl}/v1/uploads/${id}`, { headers: auth })).headers.get('etag')));
      const minimal = await startBaseline(ctx, 'minimal-read', { DATABASE_URL: stack.stack.databaseUrl });
      try {
        const pick = (n: number) => ids[n % ids.length]!;
        const targets = {
          hoist: (connections: number, durationS: number) => load({ url: stack.stack.apiUrl, connections, durationS, headers: auth, request: (n) => ({ path: `/v1/uploads/${pick(n)}` }) }),
          conditional: (connections: number, durationS: number) =>
            load({
              url: stack.stack.apiUrl,
              connections,
              durationS,
              headers: auth,
              request: (n) => {
                const etag = etags[n % ids.length];
                const headers: Record<string, string> = etag ? { 'if-none-match': etag } : {};
                return { path: `/v1/uploads/${pick(n)}`, headers };
              },
              ok: (code) => code === 200 || code === 304,
            }),
          unfinished: (connections: number, durationS: number) => load({ url: stack.stack.apiUrl, connections, durationS, headers: auth, request: (n) => ({ path: `/v1/uploads/${queuedIds[n % queuedIds.length]!}` }) }),
          minimalRead: (connections: number, durationS: number) => load({ url: minimal.url, connections, durationS, request: (n) => ({ path: `/uploads/${pick(n)}` }) }),
          hello: (connections: number, durationS: number) => load({ url: `${minimal.url}/hello`, connections, durationS }),
        };
        const pid = apiPid(stack);
        // Warm-up: JIT, connection pools, caches.
        for (const target of [targets.hoist, targets.conditional, targets.unfinished, targets.minimalRead, targets.hello]) await target(CONNECTIONS, 1);
        const measured = await rounds(ctx, async (round) => {
          const [{ hoist, conditional, unfinished, cpuPerRead, cpuPerUncachedRead }, { minimalRead, minimalCpuPerRead, hello }] = await inTurn(
            round,
            async () => {
              const cpuBefore = cpuMs(pid);
              const hoist = await targets.hoist(CONNECTIONS, ctx.durationS);
              const cpuPerRead = (cpuMs(pid) - cpuBefore) / Math.max(1, hoist.ok);
              const conditional = await targets.conditional(CONNECTIONS, ctx.durationS);
              const cpuBeforeUnfinished = cpuMs(pid);
              const unfinished = await targets.unfinished(CONNECTIONS, ctx.durationS);
              return { hoist, conditional, unfinished, cpuPerRead, cpuPerUncachedRead: (cpuMs(pid) - cpuBeforeUnfinished) / Math.max(1, unfinished.ok) };
            },
            async () => {
              const cpuBefore = cpuMs(minimal.pid);
              const minimalRead = await targets.minimalRead(CONNECTIONS, ctx.durationS);
              return { minimalRead, minimalCpuPerRead: (cpuMs(minimal.pid) - cpuBefore) / Math.max(1, minimalRead.ok), hello: await targets.hello(CONNECTIONS, ctx.durationS) };
            },
          );
          for (const [name, result] of Object.entries({ hoist, conditional, unfinished, minimalRead, hello })) assertClean(ctx, name, result);
          return { hoist, conditional, unfinished, minimalRead, hello, cpuPerRead, cpuPerUncachedRead, minimalCpuPerRead };
        });
        // Worst round of each ratio.
        const vsRead = worst(measured.map((m) => m.hoist.rps / m.minimalRead.rps), 'higher');
        const vsHello = worst(measured.map((m) => m.hoist.rps / m.hello.rps), 'higher');
        const conditionalVsHello = worst(measured.map((m) => m.conditional.rps / m.hello.rps), 'higher');
        const at = (ratio: number, pickRatio: (m: (typeof measured)[number]) => number) => measured.find((m) => pickRatio(m) === ratio) ?? measured[0]!;
        const r1 = at(vsRead, (m) => m.hoist.rps / m.minimalRead.rps);
        const r2 = at(vsHello, (m) => m.hoist.rps / m.hello.rps);
        const unfinishedVsRead = worst(measured.map((m) => m.unfinished.rps / m.minimalRead.rps), 'higher');
        const r4 = at(unfinishedVsRead, (m) => m.unfinished.rps / m.minimalRead.rps);
        const r3 = at(conditionalVsHello, (m) => m.conditional.rps / m.hello.rps);
        const comparisons: Comparison[] = [
          { what: `GET of a succeeded upload, ${CONNECTIONS} connections`, unit: 'req/s', value: r1.hoist.rps, baseline: { label: 'minimal pg read', value: r1.minimalRead.rps }, goal: { min: 1 } },
          { what: `GET of a succeeded upload, ${CONNECTIONS} connections`, unit: 'req/s', value: r2.hoist.rps, baseline: { label: 'Fastify hello-world', value: r2.hello.rps }, goal: { min: 0.5 } },
          { what: `GET of a queued upload (never cached), ${CONNECTIONS} connections`, unit: 'req/s', value: r4.unfinished.rps, baseline: { label: 'minimal pg read', value: r4.minimalRead.rps }, goal: { min: 1 } },
          { what: `conditional GET (If-None-Match), ${CONNECTIONS} connections`, unit: 'req/s', value: r3.conditional.rps, baseline: { label: 'Fastify hello-world', value: r3.hello.rps } },
        ];
        // Throughput against connections, one round each, for the plot.
        const sweep = ctx.smoke ? [10] : [1, 10, 50, 100];
        const series: Series[] = [
          { name: 'Hoist GET', points: [] },
          { name: 'Hoist conditional GET', points: [] },
          { name: 'minimal pg read', points: [] },
          { name: 'hello-world', points: [] },
        ];
        const sweepS = Math.max(1, Math.round(ctx.durationS / 2.5));
        for (const connections of sweep) {
          for (const [index, target] of [targets.hoist, targets.conditional, targets.minimalRead, targets.hello].entries()) {
            series[index]!.points.push({ x: connections, y: (await target(connections, sweepS)).rps });
          }
        }
        const statuses = (result: LoadResult) => Object.entries(result.statuses).map(([code, count]) => `${code}×${count}`).join(' ');
        return {
          comparisons,
          facts: [
            `CPU per read (range over rounds): Hoist API, succeeded upload (cached) ${range(measured.map((m) => m.cpuPerRead))} ms; queued upload (read from Postgres) ${range(measured.map((m) => m.cpuPerUncachedRead))} ms; minimal pg read server ${range(measured.map((m) => m.minimalCpuPerRead))} ms`,
            `answers in the last round: Hoist ${statuses(measured.at(-1)!.hoist)}; conditional ${statuses(measured.at(-1)!.conditional)}`,
            `p99 latency at ${CONNECTIONS} connections (last round): Hoist ${measured.at(-1)!.hoist.p99Ms} ms, minimal read ${measured.at(-1)!.minimalRead.p99Ms} ms, hello-world ${measured.at(-1)!.hello.p99Ms} ms`,
            `${ids.length} succeeded and ${queuedIds.length} queued uploads read round-robin; ${ctx.rounds} round(s) of ${ctx.durationS} s per target, worst round's ratio reported`,
          ],
          plot: { title: 'Status reads: throughput against connections', x: 'connections', y: 'requests/s', series },
        };
      } finally {
        await minimal.stop();
      }
    } finally {
      await stack.stop();
    }
  },
};

const range = (values: number[]): string => `${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;
