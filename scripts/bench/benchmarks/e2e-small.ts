// `pnpm bench e2e-small`: distinct 10 KB PNGs posted (32 at once, API key auth on) until every one has
// succeeded at the provider stand-in (zero latency, 2 workers), uploads per second from the first
// POST to the last success, against the minimal accept path's throughput (posting alone) in the
// same run.
import { cpus } from 'node:os';
import { tempDir } from '../../lib/lifecycle.js';
import { assertClean, createApiKey, hoistStack, inTurn, rounds, startBaseline, worst, type Benchmark } from '../context.js';
import { load } from '../load.js';
import { cpuByRole, type CpuByRole } from '../proc-stats.js';
import { smallFiles } from '../small-files.js';
import { lastUpdate, postSmallFiles, uploadCount, waitForAllSucceeded, waitForSucceeded } from '../uploads.js';

const CONNECTIONS = 32;

export const e2eSmall: Benchmark = {
  name: 'e2e-small',
  title: 'small uploads end to end vs the minimal accept path',
  async run(ctx) {
    const uploads = ctx.smoke ? 60 : 600;
    const stack = await hoistStack(ctx, 'e2e', { workers: 2, env: { AUTH: 'on' } });
    const dir = await tempDir('hoist-bench-e2e');
    try {
      const key = await createApiKey(stack, 'bench');
      const auth = { authorization: `Bearer ${key}` };
      const files = smallFiles();
      let next = 0;
      const minimal = await startBaseline(ctx, 'minimal-accept', { DATABASE_URL: stack.stack.databaseUrl, REDIS_URL: ctx.redis.url, QUEUE_PREFIX: `${stack.stack.queuePrefix}-minimal`, TMP_DIR: dir.path });
      try {
        await waitForSucceeded(stack, await postSmallFiles(stack.stack.apiUrl, files, { from: next, count: 40, headers: auth }).finally(() => (next += 40)), 60_000);
        const post = (url: string, path: string, headers: Record<string, string>, amount?: number) =>
          load({ url, connections: CONNECTIONS, durationS: amount === undefined ? ctx.durationS : 300, amount, method: 'POST', headers: { ...files.headers, ...headers }, request: () => ({ path, body: files.multipart(next++) }) });
        const measured = await rounds(ctx, async (round) => {
          const [hoist, minimalRps] = await inTurn(
            round,
            async () => {
              const roles = {
                API: stack.stack.processes.filter((p) => p.name.startsWith('api')).map((p) => p.pid),
                workers: stack.stack.workers.map((p) => p.pid),
                emulator: stack.stack.processes.filter((p) => p.name === 'emulator').map((p) => p.pid),
                Redis: [ctx.redis.pid],
              };
              const before = await uploadCount(stack);
              const cpuBefore = cpuByRole(roles);
              const started = Date.now();
              const posted = await post(stack.stack.apiUrl, '/v1/uploads', auth, uploads);
              assertClean(ctx, 'Hoist', posted);
              await waitForAllSucceeded(stack, before + posted.ok, 300_000);
              const rate = posted.ok / ((await lastUpdate(stack)) - started) * 1000;
              const cpuAfter = cpuByRole(roles);
              const cpu: CpuByRole = Object.fromEntries(Object.entries(cpuAfter).map(([role, ms]) => [role, (ms - (cpuBefore[role] ?? 0)) / posted.ok]));
              return { rate, cpu };
            },
            async () => {
              const result = await post(minimal.url, '/uploads', {});
              assertClean(ctx, 'minimal accept', result);
              return result.rps;
            },
          );
          return { hoist: hoist.rate, minimal: minimalRps, cpu: hoist.cpu };
        });
        const ratio = worst(measured.map((m) => m.hoist / m.minimal), 'higher');
        const r = measured.find((m) => m.hoist / m.minimal === ratio)!;
        return {
          comparisons: [{ what: `${uploads} small uploads end to end, ${CONNECTIONS} at once, 2 workers`, unit: 'uploads/s', value: r.hoist, baseline: { label: 'minimal accept path (accept only)', value: r.minimal }, goal: { min: 0.25 } }],
          facts: [
            `CPU per upload end to end, by process (worst round): ${Object.entries(r.cpu).map(([role, ms]) => `${role} ${ms.toFixed(2)} ms`).join(', ')} — ${Object.values(r.cpu).reduce((a, b) => a + b, 0).toFixed(1)} ms on a ${cpus().length}-core machine (Postgres: the whole server, so also other clients' work)`,
            `both posted by autocannon, ${CONNECTIONS} connections; Hoist from the first POST to the last upload's success (Postgres's updated_at); ${ctx.rounds} round(s), in turns`,
          ],
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
