import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { BENCHMARKS } from '../../scripts/bench/registry.js';
import { TestProcess } from '../support/processes.js';

// `pnpm bench --smoke`: every benchmark runs end to end (its stack, its baselines, its load, its
// cleanup) and reports a figure beside its baseline. The figures of a smoke run on a busy CI
// machine mean little and are not judged here; `pnpm bench` is where they count.

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

it('pnpm bench --smoke runs every benchmark to the end and writes results.md and the plots', { timeout: 540_000 }, async () => {
  const out = await mkdtemp(join(tmpdir(), 'hoist-bench-smoke-'));
  cleanups.push(() => rm(out, { recursive: true, force: true }));
  const bench = new TestProcess(
    'bench',
    // node itself (not the tsx CLI, which forks): stopping it stops the benchmark, which stops what it started.
    { command: process.execPath, args: ['--import', 'tsx', 'scripts/bench/main.ts', '--smoke', `--out=${out}`, '--timeout=6m'] },
    { DATABASE_URL: process.env.DATABASE_URL ?? '', HOME: process.env.HOME ?? '/root' },
  );
  cleanups.push(() => bench.stop(30_000));
  const exit = await bench.exited;
  expect(exit.code, bench.output.slice(-40).join('\n')).toBe(0);

  const results = await readFile(join(out, 'results.md'), 'utf8');
  for (const { name } of BENCHMARKS) {
    // A table row: | name | what | figure | baseline: figure | ratio× | goal | verdict |
    expect(results, `no figure for ${name}`).toMatch(new RegExp(`^\\| ${name} \\| [^|]+ \\| [\\d.,]+ [^|]+ \\| [^|]+: [\\d.,]+ [^|]+ \\| [\\d.]+× \\|`, 'm'));
    expect(results).toContain(`## ${name}:`);
  }
  for (const name of ['status', 'ingest-small', 'ingest-large', 'worker-cpu', 'pipeline']) {
    const svg = await readFile(join(out, `${name}.svg`), 'utf8');
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('<path');
  }
});
