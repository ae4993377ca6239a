// pnpm bench [name…] [--smoke] [--rounds=N] [--duration=5s] [--out=bench] [--keep-logs] [--strict]
//
// Runs Hoist's benchmarks on loopback, each beside its baseline measured in the same run, and prints
// every figure with its baseline and ratio. Writes <out>/results.md and <out>/<name>.svg. Each
// benchmark starts what it measures (a Hoist stack on a database of its own, baseline servers) on a
// redis-server of the run's own, and removes it all when it ends; the run stops by itself (--timeout).
// Exit 1 when a benchmark could not run (with --strict, also when a goal is missed).
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { repoRoot } from '../../test/support/processes.js';
import { commandLine, errorText, log, parseDuration, parseOrExit, parsePositive, setLogTag } from '../lib/cli.js';
import { runScript, tempDir, throwIfAborted } from '../lib/lifecycle.js';
import { startPrivateRedis } from '../lib/private-redis.js';
import type { BenchContext, Benchmark } from './context.js';
import { BENCHMARKS } from './registry.js';
import { plotSvg } from './plot.js';
import { missedGoals, resultsMarkdown, summaryLines, type BenchResult } from './report.js';

setLogTag('bench');

const NAMES = BENCHMARKS.map((benchmark) => benchmark.name);
const USAGE = [
  `usage: pnpm bench [${NAMES.join('|')}]… [--smoke] [--rounds=N] [--duration=5s] [--out=bench] [--timeout=15m] [--keep-logs] [--strict]`,
  '  names      which benchmarks (default: all, in this order)',
  '  --smoke    a quick run proving each benchmark works (CI); its figures mean little',
  '  --rounds   rounds of Hoist and baseline for figures that vary; the worst is reported (default 3, smoke 1)',
  '  --duration length of one load run (default 5s, smoke 1s)',
  '  --out      where results.md and the plots go (default bench/, relative to the repository)',
  '  --strict   exit 1 when a goal is missed, too',
  'Needs `pnpm build` first, Postgres (DATABASE_URL) on loopback and redis-server on the PATH.',
].join('\n');

const argv = process.argv.slice(2);
const names = argv.filter((arg) => !arg.startsWith('--'));
process.argv = [...process.argv.slice(0, 2), ...argv.filter((arg) => arg.startsWith('--'))];
const flags = parseOrExit(
  'bench',
  {
    smoke: { default: false, boolean: true },
    rounds: { default: 0, parse: (v, f) => parsePositive(v, f, { max: 20 }) },
    duration: { default: 0, parse: parseDuration },
    out: { default: 'bench', parse: (v) => v },
    timeout: { default: 15 * 60_000, parse: parseDuration },
    'keep-logs': { default: false, boolean: true },
    strict: { default: false, boolean: true },
  },
  USAGE,
);
const unknown = names.filter((name) => !NAMES.includes(name));
if (unknown.length) {
  process.stderr.write(`bench: unknown benchmark ${unknown.join(', ')}\n${USAGE}\n`);
  process.exit(2);
}
const selected: Benchmark[] = names.length ? BENCHMARKS.filter((benchmark) => names.includes(benchmark.name)) : BENCHMARKS;

await runScript({
  timeoutMs: flags.timeout,
  main: async () => {
    const logs = await tempDir('hoist-bench-logs');
    const redis = await startPrivateRedis({ logDir: logs.path });
    if (!redis) throw new Error('redis-server is not on the PATH (scripts/ensure-redis-tools.sh installs it)');
    const ctx: BenchContext = {
      smoke: flags.smoke,
      rounds: flags.rounds || (flags.smoke ? 1 : 3),
      durationS: Math.max(1, Math.round((flags.duration || (flags.smoke ? 1_000 : 5_000)) / 1000)),
      logDir: logs.path,
      redis,
      command: commandLine('bench', [...names, ...process.argv.slice(2)]),
    };
    log(`logs in ${logs.path}; ${selected.length} benchmark(s): ${selected.map((b) => b.name).join(', ')}${ctx.smoke ? ' (smoke)' : ''}`);
    const results: BenchResult[] = [];
    for (const benchmark of selected) {
      throwIfAborted();
      const started = Date.now();
      log(`${benchmark.name}: ${benchmark.title}…`);
      const command = commandLine('bench', [benchmark.name, ...process.argv.slice(2)]);
      let result: BenchResult;
      try {
        result = { name: benchmark.name, title: benchmark.title, command, ...(await benchmark.run(ctx)) };
      } catch (error) {
        throwIfAborted();
        result = { name: benchmark.name, title: benchmark.title, command, comparisons: [], facts: [], error: errorText(error) };
      }
      results.push(result);
      for (const line of summaryLines(result)) log(line);
      log(`${benchmark.name}: done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    const outDir = resolve(repoRoot, flags.out);
    await mkdir(outDir, { recursive: true });
    for (const result of results) if (result.plot) await writeFile(join(outDir, `${result.name}.svg`), await plotSvg(result.plot));
    const header = [
      `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.version}${ctx.smoke ? ' — **smoke run: the figures mean little**' : ''}.`,
      `Command: \`${ctx.command}\`. ${ctx.rounds} round(s); where figures vary, the worst round's ratio is given. Baselines are measured in the same run unless marked otherwise (a budget, C/L, a configured rate).`,
    ];
    await writeFile(join(outDir, 'results.md'), resultsMarkdown(results, header));
    log(`wrote ${join(outDir, 'results.md')}${results.some((r) => r.plot) ? ' and the plots' : ''}`);
    const failed = results.filter((result) => result.error);
    const missed = results.flatMap(missedGoals);
    if (missed.length) log(`goals missed: ${missed.join('; ')}`);
    if (failed.length || flags.keepLogs) {
      logs.keep();
      log(`process logs kept in ${logs.path}`);
    }
    return failed.length === 0 && (!flags.strict || missed.length === 0);
  },
});
