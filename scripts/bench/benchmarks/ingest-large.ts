// `pnpm bench ingest-large`: one 1 GiB multipart POST /v1/uploads (generated on the fly, API key auth
// on, JSON logs at info) against bare Node piping the request to a file (baselines/bare-sink.ts), in
// the same run; the API's resident memory is sampled throughout (its growth must stay under 80 MB:
// the file is streamed, never buffered). The stored row's size and sha256 are checked.
import { execFile } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { tempDir } from '../../lib/lifecycle.js';
import { apiPid, createApiKey, hoistStack, inTurn, rounds, startBaseline, worst, type Benchmark } from '../context.js';
import { streamUpload } from '../large-upload.js';
import { cpuMs, rssBytes } from '../proc-stats.js';

const MiB = 1024 * 1024;
const MB = 1_000_000;
const RSS_BUDGET = 80 * MB;
const fmtMs = (ms: number) => `${Math.round(ms).toLocaleString('en-US')} ms`;

export const ingestLarge: Benchmark = {
  name: 'ingest-large',
  title: '1 GiB POST vs a bare Node request-to-file pipe, with the API’s RSS',
  async run(ctx) {
    const size = ctx.smoke ? 64 * MiB : 1024 * MiB;
    const stack = await hoistStack(ctx, 'large', { workers: 0, env: { AUTH: 'on', MAX_UPLOAD_BYTES: String(size + MiB) } });
    const dir = await tempDir('hoist-bench-sink');
    try {
      const key = await createApiKey(stack, 'bench');
      const headers = { authorization: `Bearer ${key}` };
      const sink = await startBaseline(ctx, 'bare-sink', { TMP_DIR: dir.path });
      const apiPort = Number(new URL(stack.stack.apiUrl).port);
      const sinkPort = Number(new URL(sink.url).port);
      const pid = apiPid(stack);
      try {
        for (let i = 0; i < 2; i++) {
          const warm = await streamUpload(apiPort, MiB, { headers });
          if (warm.response.status !== 202) throw new Error(`warm-up upload answered ${warm.response.status}: ${JSON.stringify(warm.response.body)}`);
          await streamUpload(sinkPort, MiB, { path: '/', raw: true });
        }
        const measured = await rounds(ctx, async (round) => {
          const [h, b] = await inTurn(
            round,
            async () => {
              await settleDisk();
              const samples: number[] = [];
              for (let i = 0; i < 5; i++) {
                samples.push(rssBytes(pid));
                await sleep(100);
              }
              const rest = samples.sort((x, y) => x - y)[2]!;
              let sentSoFar = 0;
              const trace: Array<{ x: number; y: number }> = [];
              const sampler = setInterval(() => trace.push({ x: sentSoFar / MiB, y: rssBytes(pid) / MB }), 50);
              const cpuBefore = cpuMs(pid);
              const hoist = await streamUpload(apiPort, size, { headers, onProgress: (sent) => (sentSoFar = sent) }).finally(() => clearInterval(sampler));
              const cpu = cpuMs(pid) - cpuBefore;
              if (hoist.response.status !== 202) throw new Error(`the upload answered ${hoist.response.status}: ${JSON.stringify(hoist.response.body)}`);
              const id = (hoist.response.body as { id: string }).id;
              const { rows } = await stack.pool.query<{ bytes: string; sha256: string }>('select bytes, sha256 from upload where id = $1', [id]);
              if (Number(rows[0]?.bytes) !== size || rows[0]?.sha256 !== hoist.sha256) throw new Error(`the stored upload differs from what was sent: ${JSON.stringify(rows[0])}`);
              const seconds = (hoist.response.at - hoist.started) / 1000;
              // Sampled every 50 ms, but this process also pumps the upload: on a busy machine its timer
              // fires late. Five samples a second still see the RSS peak of a multi-second upload.
              if (trace.length < Math.min(10, seconds * 5)) throw new Error(`only ${trace.length} RSS samples in ${seconds.toFixed(1)} s: no figure`);
              // No worker takes it: its temp file goes now, as the bare sink's does, so the next round's disk is as clean.
              await removeContents(stack.stack.tmpDir);
              return { rate: size / MB / seconds, growth: Math.max(0, Math.max(...trace.map((point) => point.y)) * MB - rest), trace, cpuPerGiB: cpu / (size / (1024 * MiB)) };
            },
            async () => {
              await settleDisk();
              const cpuBefore = cpuMs(sink.pid);
              const bare = await streamUpload(sinkPort, size, { path: '/', raw: true });
              const cpu = cpuMs(sink.pid) - cpuBefore;
              if (bare.response.status !== 201) throw new Error(`the bare sink answered ${bare.response.status}`);
              return { rate: size / MB / ((bare.response.at - bare.started) / 1000), cpuPerGiB: cpu / (size / (1024 * MiB)) };
            },
          );
          return { hoist: h.rate, bare: b.rate, growth: h.growth, trace: h.trace, hoistCpuPerGiB: h.cpuPerGiB, bareCpuPerGiB: b.cpuPerGiB };
        });
        const ratio = worst(measured.map((m) => m.hoist / m.bare), 'higher');
        const r = measured.find((m) => m.hoist / m.bare === ratio)!;
        const peak = measured.reduce((a, b) => (a.growth > b.growth ? a : b));
        return {
          comparisons: [
            { what: `${size / MiB} MiB multipart POST`, unit: 'MB/s', value: r.hoist, baseline: { label: 'bare Node req.pipe(file)', value: r.bare }, goal: { min: 0.8 } },
            { what: `API RSS growth during the ${size / MiB} MiB POST`, unit: 'MB', value: peak.growth / MB, baseline: { label: 'budget (not measured)', value: RSS_BUDGET / MB }, goal: { max: 1 } },
          ],
          facts: [
            `CPU per GiB received (worst round): Hoist API ${fmtMs(Math.max(...measured.map((m) => m.hoistCpuPerGiB)))}, bare sink ${fmtMs(Math.max(...measured.map((m) => m.bareCpuPerGiB)))}`,
            `stored size and sha256 checked against what was sent; ${ctx.rounds} round(s), Hoist and the sink in turns, the disk synced before each; RSS sampled every 50 ms, growth = peak − RSS at rest`,
          ],
          plot: { title: `API resident memory during a ${size / MiB} MiB upload`, x: 'MiB sent', y: 'RSS (MB)', series: [{ name: 'Hoist API RSS', points: peak.trace.filter((_, i) => i % 4 === 0) }] },
        };
      } finally {
        await sink.stop();
      }
    } finally {
      await stack.stop();
      await dir.remove();
    }
  },
};

/** Writes back what earlier transfers left in the page cache, so it is not charged to the next one. */
async function settleDisk(): Promise<void> {
  await promisify(execFile)('sync', [], { timeout: 120_000 });
}

async function removeContents(dir: string): Promise<void> {
  for (const name of await readdir(dir)) await rm(join(dir, name), { recursive: true, force: true });
}
