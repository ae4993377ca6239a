// `pnpm bench e2e-small`: distinct 10 KB PNGs posted (32 at once, API key auth on) until every one has
// succeeded at the provider stand-in (zero latency, 2 workers), uploads per second from the first
// POST to the last success, against the minimal accept path's throughput (posting alone) in the
// same run.
import { cpus } from 'node:os';
import { tempDir } from '../../lib/lifecycle.js';
import { createApiKey, hoistStack, rounds, startBaseline, worst, type Benchmark } from '../context.js';
import { load } from '../load.js';
import { cpuByRole, postgresPids, type CpuByRole } from '../proc-stats.js';
import { smallFiles } from '../small-files.js';
import { finishSpan, postSmallFiles, waitForSucceeded } from '../uploads.js';

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
        const measured = await rounds(ctx, async () => {
          const roles = { API: stack.stack.processes.filter((p) => p.name.startsWith('api')).map((p) => p.pid), workers: stack.stack.workers.map((p) => p.pid), emulator: stack.stack.processes.filter((p) => p.name === 'emulator').map((p) => p.pid), Redis: [ctx.redis.pid], Postgres: postgresPids() };
          const cpuBefore = cpuByRole(roles);
          const started = Date.now();
          const ids = await postSmallFiles(stack.stack.apiUrl, files, { from: next, count: uploads, concurrency: CONNECTIONS, headers: auth });
          next += uploads;
          await waitForSucceeded(stack, ids, 300_000);
          const { last } = await finishSpan(stack, ids);
          const hoist = uploads / ((last - started) / 1000);
          const cpuAfter = cpuByRole(roles);
          const cpu: CpuByRole = Object.fromEntries(Object.entries(cpuAfter).map(([role, ms]) => [role, (ms - (cpuBefore[role] ?? 0)) / uploads]));
          const baseline = await load({ url: minimal.url, connections: CONNECTIONS, durationS: ctx.durationS, method: 'POST', headers: files.headers, request: () => ({ path: '/uploads', body: files.multipart(next++) }) });
          return { hoist, minimal: baseline.rps, cpu };
        });
        const ratio = worst(measured.map((m) => m.hoist / m.minimal), 'higher');
        const r = measured.find((m) => m.hoist / m.minimal === ratio)!;
        return {
          comparisons: [{ what: `${uploads} small uploads end to end, ${CONNECTIONS} at once, 2 workers`, unit: 'uploads/s', value: r.hoist, baseline: { label: 'minimal accept path (accept only)', value: r.minimal }, goal: { min: 0.25 } }],
          facts: [
            `CPU per upload end to end, by process (worst round): ${Object.entries(r.cpu).map(([role, ms]) => `${role} ${ms.toFixed(2)} ms`).join(', ')} — ${Object.values(r.cpu).reduce((a, b) => a + b, 0).toFixed(1)} ms on a ${cpus().length}-core machine (Postgres: every backend of the server, so also other clients')`,
            `from the first POST to the last upload's success (Postgres's updated_at); ${ctx.rounds} round(s)`,
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
