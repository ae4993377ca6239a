// `pnpm bench ingest-small`: POST /v1/uploads of distinct 10 KB PNGs (API key auth on, JSON logs at
// info, no workers running) against the minimal accept path on the same stack
// (baselines/minimal-accept.ts) and the Postgres ceiling (pgbench: insert + claim + finish as three
// durable commits, 16 clients), in the same run. Charged: throughput, API CPU per upload, and the
// SQL statements and Redis commands one upload costs.
import { tempDir } from '../../lib/lifecycle.js';
import { apiPid, assertClean, createApiKey, extraHoistProcess, hoistStack, inTurn, rounds, startBaseline, worst, type Benchmark, type BenchContext } from '../context.js';
import { commandDelta, perUploadLine, redisCommandCounts, StatementCounter, total } from '../counters.js';
import { load } from '../load.js';
import { pgbenchCeiling } from '../pgbench.js';
import { cpuMs } from '../proc-stats.js';
import type { Series } from '../report.js';
import { smallFiles, type SmallFiles } from '../small-files.js';
import { postSmallFiles } from '../uploads.js';

const CONNECTIONS = 32;

export const ingestSmall: Benchmark = {
  name: 'ingest-small',
  title: 'small-file POST vs the minimal accept path and the Postgres ceiling',
  async run(ctx) {
    const stack = await hoistStack(ctx, 'ingest', { workers: 0, env: { AUTH: 'on' } });
    const dir = await tempDir('hoist-bench-ingest');
    try {
      const key = await createApiKey(stack, 'bench');
      const auth = { authorization: `Bearer ${key}` };
      const files = smallFiles();
      let next = 0;
      const minimalEnv = { DATABASE_URL: stack.stack.databaseUrl, REDIS_URL: ctx.redis.url, QUEUE_PREFIX: `${stack.stack.queuePrefix}-minimal`, TMP_DIR: dir.path };
      const minimal = await startBaseline(ctx, 'minimal-accept', minimalEnv);
      const post = (url: string, path: string, headers: Record<string, string>, connections: number, durationS: number) =>
        load({ url, connections, durationS, method: 'POST', headers: { ...files.headers, ...headers }, request: () => ({ path, body: files.multipart(next++) }) });
      const targets = {
        hoist: (connections: number, durationS: number) => post(stack.stack.apiUrl, '/v1/uploads', auth, connections, durationS),
        minimal: (connections: number, durationS: number) => post(minimal.url, '/uploads', {}, connections, durationS),
      };
      const pids = { hoist: apiPid(stack), minimal: minimal.pid };
      try {
        for (const target of [targets.hoist, targets.minimal]) await target(CONNECTIONS, 1);
        const measured = await rounds(ctx, async (round) => {
          const charged = async (name: 'hoist' | 'minimal') => {
            const before = cpuMs(pids[name]);
            const result = await targets[name](CONNECTIONS, ctx.durationS);
            assertClean(ctx, name, result);
            return { ...result, cpuPerUpload: (cpuMs(pids[name]) - before) / result.ok };
          };
          const [hoist, minimalAccept] = await inTurn(round, () => charged('hoist'), () => charged('minimal'));
          const ceiling = await pgbenchCeiling(stack.stack.databaseUrl, { durationS: ctx.durationS, dir: dir.path });
          return { hoist, minimalAccept, ceiling };
        });
        const throughput = worst(measured.map((m) => m.hoist.rps / m.minimalAccept.rps), 'higher');
        const cpu = worst(measured.map((m) => m.hoist.cpuPerUpload / m.minimalAccept.cpuPerUpload), 'lower');
        const t = measured.find((m) => m.hoist.rps / m.minimalAccept.rps === throughput)!;
        const c = measured.find((m) => m.hoist.cpuPerUpload / m.minimalAccept.cpuPerUpload === cpu)!;
        const ceilingRound = measured.reduce((a, b) => (a.hoist.rps / a.ceiling < b.hoist.rps / b.ceiling ? a : b));

        const costs = await countCosts(ctx, stack, files, () => next++, auth, minimalEnv);
        const sweep = ctx.smoke ? [8] : [1, 8, 32, 64];
        const series: Series[] = [
          { name: 'Hoist POST /v1/uploads', points: [] },
          { name: 'minimal accept path', points: [] },
        ];
        const sweepS = Math.max(1, Math.round(ctx.durationS / 2));
        for (const connections of sweep) {
          series[0]!.points.push({ x: connections, y: (await targets.hoist(connections, sweepS)).rps });
          series[1]!.points.push({ x: connections, y: (await targets.minimal(connections, sweepS)).rps });
        }
        return {
          comparisons: [
            { what: `small POST, ${CONNECTIONS} connections`, unit: 'uploads/s', value: t.hoist.rps, baseline: { label: 'minimal accept path', value: t.minimalAccept.rps }, goal: { min: 0.8 } },
            { what: 'API CPU per small upload', unit: 'ms', value: c.hoist.cpuPerUpload, baseline: { label: 'minimal accept path', value: c.minimalAccept.cpuPerUpload }, goal: { max: 1.5 } },
            { what: `small POST, ${CONNECTIONS} connections`, unit: 'uploads/s', value: ceilingRound.hoist.rps, baseline: { label: 'Postgres ceiling (pgbench, 3 commits/upload)', value: ceilingRound.ceiling } },
          ],
          facts: [
            `per upload — Hoist: ${costs.hoist.statements.toFixed(1)} SQL statements, ${costs.hoist.redis.toFixed(1)} Redis commands (${costs.hoist.redisLine}); minimal accept path: ${costs.minimal.statements.toFixed(1)} statements, ${costs.minimal.redis.toFixed(1)} Redis commands (${costs.minimal.redisLine})`,
            `p99 latency at ${CONNECTIONS} connections (last round): Hoist ${measured.at(-1)!.hoist.p99Ms} ms, minimal ${measured.at(-1)!.minimalAccept.p99Ms} ms`,
            `files of ${files.size} bytes, each distinct (no dedupe); ${ctx.rounds} round(s) of ${ctx.durationS} s; tenant limits off (see context.ts)`,
          ],
          plot: { title: 'Small-file accept: throughput against connections', x: 'connections', y: 'uploads/s', series },
        };
      } finally {
        await minimal.stop();
      }
    } finally {
      await stack.stop();
      await dir.remove();
    }
  },
};

/**
 * SQL statements and Redis commands per upload: a second API (and a second minimal server) whose
 * Postgres connections go through a statement counter, fed uploads one at a time while nothing else
 * runs; Redis is the run's own, so its INFO commandstats deltas are theirs.
 */
async function countCosts(ctx: BenchContext, stack: Awaited<ReturnType<typeof hoistStack>>, files: SmallFiles, nextFile: () => number, auth: Record<string, string>, minimalEnv: Record<string, string>) {
  const uploads = ctx.smoke ? 10 : 100;
  const measure = async (url: string, path: string, headers: Record<string, string>, counter: StatementCounter) => {
    // One upload first: connection set-up and first-use queries are not per-upload costs.
    await postSmallFiles(url, files, { from: nextFile(), count: 1, headers, path });
    const statements = counter.count();
    const redisBefore = await redisCommandCounts(ctx.redis.url);
    for (let i = 0; i < uploads; i++) await postSmallFiles(url, files, { from: nextFile(), count: 1, headers, path });
    const redis = commandDelta(redisBefore, await redisCommandCounts(ctx.redis.url));
    return { statements: (counter.count() - statements) / uploads, redis: total(redis) / uploads, redisLine: perUploadLine(redis, uploads) };
  };
  const hoistCounter = await StatementCounter.start(stack.stack.databaseUrl);
  const minimalCounter = await StatementCounter.start(stack.stack.databaseUrl);
  try {
    const api = await extraHoistProcess(ctx, stack, 'api', { DATABASE_URL: hoistCounter.urlFor(stack.stack.databaseUrl) });
    const hoist = await measure(api.url, '/v1/uploads', auth, hoistCounter).finally(api.stop);
    const minimal = await startBaseline(ctx, 'minimal-accept', { ...minimalEnv, DATABASE_URL: minimalCounter.urlFor(stack.stack.databaseUrl) });
    const minimalCosts = await measure(minimal.url, '/uploads', {}, minimalCounter).finally(minimal.stop);
    return { hoist, minimal: minimalCosts };
  } finally {
    await hoistCounter.stop();
    await minimalCounter.stop();
  }
}
