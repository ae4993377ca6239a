// Rate-limit benchmark: how close the workers get to a provider's rate limit, and how often they
// trip it, for each way a provider may (or may not) say what its limit is.
//
//   pnpm build && pnpm bench:ratelimit [--runs=5] [--styles=hinted,retry-after,unhinted] [--rate=20] [--uploads=400]
//
// Each run is a fresh stack (own database, queue prefix, temp dirs, emulator, API, workers, all on
// loopback). The emulator admits R uploads per one-second window and answers in one style:
//   hinted       Cloudinary's: X-FeatureRateLimit-Limit (per hour) / -Remaining / -Reset on every
//                answer, a 420 saying "Try again on <date>", no Retry-After (EMULATOR_RATE_LIMIT_STYLE=cloudinary)
//   retry-after  a 420 with Retry-After and nothing else
//   unhinted     a bare 420 that says nothing about the limit
// Phase (a) "learn" gives the workers no PROVIDER_RATE_LIMIT: they pace themselves from what the
// provider says and from its 420s. Phase (b) "limiter" (opt-in, --only=nohint,limiter) sets
// PROVIDER_RATE_LIMIT=R. N distinct small PNGs are posted to the API as fast as it takes them, and
// everything is measured at the provider: the emulator's counters are sampled every 100 ms, so
// throughput = successful uploads / (last success − first success), and the 420 share is 420
// answers / upload requests. Then every upload's final status (through the API) and the emulator's
// assets are checked: failed, lost (not final when the run ends), duplicate assets.
//
// Targets (issue 10, at R=20, N=400), in every run of every style: throughput ≥ 0.9 × R; 420 share
// ≤ 5 % when learning, ≤ 2 % with the limiter; 0 failed; 0 duplicate assets (and 0 lost). Each run
// is printed as it ends; the summary gives every run and the WORST run per style. Exit 1 when any
// target is missed in any run. A run is abandoned after 2 × N/R + 30 s (70 s by default).
// Everything created is removed at the end (process logs are kept, and their path printed, when a
// target is missed; --keep-logs keeps them always).
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RateLimitStyle } from '@hoist/emulator';
import { LOG_MESSAGES } from '@hoist/logger';
import { postUpload } from '../test/support/api-client.js';
import { makePng } from '../test/support/fixtures.js';
import { commandLine, fmtPct, fmtSeconds, log, parseDuration, parseNames, parseOrExit, parsePositive, setLogTag, table } from './lib/cli.js';
import { abortSignal, runPhases, runScript, throwIfAborted } from './lib/lifecycle.js';
import { crashes, logEntries, logReport } from './lib/logs.js';
import { mapLimit, MeasuredStack, md5 } from './lib/measured-stack.js';
import { assess, exampleLines, waitForSettled, type Accepted, type Outcome } from './lib/outcome.js';

setLogTag('bench:ratelimit');

const USAGE = [
  'usage: pnpm bench:ratelimit [--runs=1] [--styles=hinted,retry-after,unhinted] [--rate=20] [--uploads=400]',
  '                            [--workers=4] [--concurrency=8] [--submit-concurrency=16] [--only=nohint] [--keep-logs]',
  '  --runs          runs of each style (and phase), one after the other',
  "  --styles        how the emulator's 420s speak: hinted (Cloudinary's headers and message), retry-after, unhinted (bare)",
  "  --rate          the emulator's limit, uploads per one-second window; also PROVIDER_RATE_LIMIT in phase (b)",
  '  --uploads       uploads per run',
  '  --workers       worker processes; --concurrency: WORKER_CONCURRENCY of each',
  '  --submit-concurrency  POSTs in flight at once while submitting',
  '  --only          phases: nohint (the workers learn the limit; default) and/or limiter (PROVIDER_RATE_LIMIT=R)',
  '  --phase-timeout abandon a run after this long (default 2 × uploads/rate + 30 s)',
  "  --keep-logs     keep the processes' logs (they are kept anyway when a target is missed)",
  '  --json=FILE     also write every run as JSON (for pnpm bench ratelimit)',
  'Needs `pnpm build` first, Postgres (DATABASE_URL) and Redis (REDIS_URL) on loopback.',
].join('\n');

const SAMPLE_EVERY_MS = 100;
const PHASES = {
  nohint: { key: 'a', title: '(a) learn', limiter: false, max420: 0.05 },
  limiter: { key: 'b', title: '(b) PROVIDER_RATE_LIMIT=R', limiter: true, max420: 0.02 },
};
type PhaseName = keyof typeof PHASES;
/** --styles names → EMULATOR_RATE_LIMIT_STYLE. */
const STYLES = { hinted: 'cloudinary', 'retry-after': 'retry-after', unhinted: 'bare' } satisfies Record<string, RateLimitStyle>;
type StyleName = keyof typeof STYLES;
const STYLE_ALIASES: Record<string, StyleName> = { cloudinary: 'hinted', bare: 'unhinted' };

const options = parseOrExit(
  'bench:ratelimit',
  {
    runs: { default: 1, parse: (v, f) => parsePositive(v, f, { max: 50 }) },
    styles: { default: Object.keys(STYLES) as StyleName[], parse: (v, f) => parseNames(v, f, Object.keys(STYLES) as StyleName[], 'style', STYLE_ALIASES) },
    rate: { default: 20, parse: (v, f) => parsePositive(v, f, { integer: false, max: 10_000 }) },
    uploads: { default: 400, parse: (v, f) => parsePositive(v, f, { max: 100_000 }) },
    workers: { default: 4, parse: (v, f) => parsePositive(v, f, { max: 32 }) },
    concurrency: { default: 8, parse: (v, f) => parsePositive(v, f, { max: 1000 }) },
    'submit-concurrency': { default: 16, parse: (v, f) => parsePositive(v, f, { max: 256 }) },
    only: { default: ['nohint'] as PhaseName[], parse: (v, f) => parseNames(v, f, Object.keys(PHASES) as PhaseName[], 'phase') },
    'phase-timeout': { default: undefined as number | undefined, parse: parseDuration },
    'keep-logs': { default: false, boolean: true },
    json: { default: '', parse: (v) => v },
  },
  USAGE,
);

const idealMs = (options.uploads / options.rate) * 1000;
const phaseTimeoutMs = options.phaseTimeout ?? 2 * idealMs + 30_000;

// ------------------------------------------------------------------------------------------ phase

interface Sample {
  t: number;
  ok: number;
  limited: number;
  uploads: number;
}
type Counter = 'ok' | 'limited';

/** Samples the emulator's counters until stopped; each sample is stamped at the middle of its request. */
function startSampler(stack: MeasuredStack, origin: number): { samples: Sample[]; stop: () => Promise<void> } {
  const samples: Sample[] = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const sent = performance.now();
      try {
        const stats = await stack.emulatorStats();
        const received = performance.now();
        samples.push({
          t: (sent + received) / 2 - origin,
          ok: stats.byStatus['200'] ?? 0,
          limited: (stats.byStatus['420'] ?? 0) + (stats.byStatus['429'] ?? 0),
          uploads: stats.uploads,
        });
        await sleep(Math.max(0, SAMPLE_EVERY_MS - (received - sent)));
      } catch {
        await sleep(SAMPLE_EVERY_MS);
      }
    }
  })();
  return {
    samples,
    stop: async () => {
      stopped = true;
      await done;
    },
  };
}

/** When the counter first reached `value`: midway between the sample before and the one that saw it. */
function reachedAt(samples: Sample[], field: Counter, value: number): number | undefined {
  for (let i = 0; i < samples.length; i++) {
    const sample = samples[i]!;
    if (sample[field] >= value) return i === 0 ? sample.t : (samples[i - 1]!.t + sample.t) / 2;
  }
  return undefined;
}

function valueAt(samples: Sample[], field: Counter, t: number): number {
  let value = 0;
  for (const sample of samples) {
    if (sample.t > t) break;
    value = sample[field];
  }
  return value;
}

interface Check {
  what: string;
  value: string | number;
  pass: boolean;
}

interface ThrottleEvent {
  t: number;
  rate: number;
  pauseMs: number;
}

interface RunResult {
  name: PhaseName;
  style: StyleName;
  run: number;
  phase: (typeof PHASES)[PhaseName] & { title: string };
  accepted: number;
  rejected: Record<string, number>;
  submittedMs: number;
  settled: boolean;
  settledMs: number;
  stats: Awaited<ReturnType<MeasuredStack['emulatorStats']>>;
  ok: number;
  limited: number;
  limitedShare: number;
  firstMs: number | undefined;
  lastMs: number | undefined;
  spanMs: number | undefined;
  throughput: number | undefined;
  steadyThroughput: number | undefined;
  timeline: { ok: number[]; limited: number[] };
  throttleEvents: ThrottleEvent[];
  crashes: ReturnType<typeof crashes>;
  outcome: Outcome;
  attempts: number;
  checks: Check[];
  logReport?: string;
}

/** One run: `phase:style:run`. */
async function runPhase(id: string, logDir: string): Promise<RunResult> {
  const [nameText, styleText, runText] = id.split(':');
  const name = nameText as PhaseName;
  const style = styleText as StyleName;
  const run = Number(runText);
  const phase = { ...PHASES[name], title: `${PHASES[name].title}, ${style}, run ${run}` };
  const R = options.rate;
  log(`${phase.title}: starting a stack (emulator at ${R} uploads/s, ${style}; ${options.workers} workers × ${options.concurrency})`);
  const stack = await MeasuredStack.start({
    label: `bench_rl_${name}_${STYLES[style].replace('-', '')}_${run}`,
    logDir,
    workers: options.workers,
    emulatorEnv: { EMULATOR_RATE_LIMIT_PER_SECOND: String(R), EMULATOR_RATE_LIMIT_STYLE: STYLES[style] },
    env: { SHUTDOWN_TIMEOUT_MS: '5000' },
    workerEnv: { WORKER_CONCURRENCY: String(options.concurrency), ...(phase.limiter ? { PROVIDER_RATE_LIMIT: String(R) } : {}) },
  });
  const processes = stack.stack;
  try {
    log(`${phase.title}: database ${stack.databaseName}, queue prefix ${processes.queuePrefix}, api ${processes.apiUrl}, emulator ${processes.emulatorUrl}`);
    const files = Array.from({ length: options.uploads }, (_, i) => makePng(16, 16, i, { text: `hoist measurement upload ${processes.queuePrefix}-${i}` }));

    const origin = performance.now();
    const wallOrigin = Date.now() - (performance.now() - origin);
    const deadline = Date.now() + phaseTimeoutMs;
    const sampler = startSampler(stack, origin);
    const responses = await mapLimit(files, options.submitConcurrency, async (bytes, i): Promise<{ status: number | string; body?: unknown }> => {
      if (abortSignal.aborted || Date.now() > deadline) return { status: 'not sent' };
      try {
        return await postUpload(processes.apiUrl, bytes, `bench-${i}.png`);
      } catch (error) {
        return { status: `error: ${error instanceof Error ? error.message : String(error)}` };
      }
    });
    const submittedMs = performance.now() - origin;
    const accepted: Accepted[] = [];
    const rejected: Record<string, number> = {};
    responses.forEach((response, i) => {
      const body = response.body as { id?: unknown } | undefined;
      if (response.status === 202 && typeof body?.id === 'string') accepted.push({ id: body.id, md5: md5(files[i]!) });
      else rejected[response.status] = (rejected[response.status] ?? 0) + 1;
    });
    log(`${phase.title}: ${accepted.length} of ${files.length} accepted in ${fmtSeconds(submittedMs)}; waiting for them to settle (at most ${fmtSeconds(deadline - Date.now())})`);

    let lastReport = 0;
    const { settled } = await waitForSettled(
      stack,
      accepted.map((u) => u.id),
      {
        deadline,
        signal: abortSignal,
        onTick: (counts) => {
          if (Date.now() - lastReport < 5_000) return;
          lastReport = Date.now();
          const last = sampler.samples.at(-1);
          log(`  ${fmtSeconds(performance.now() - origin)}: ${JSON.stringify(counts)}; provider: ${last?.ok ?? 0} ok, ${last?.limited ?? 0} rate-limited`);
        },
      },
    );
    const settledMs = performance.now() - origin;
    await sleep(3 * SAMPLE_EVERY_MS); // one more sample after the last success
    await sampler.stop();
    throwIfAborted();

    const stats = await stack.emulatorStats();
    const assets = await stack.emulatorAssets();
    const views = await stack.views(accepted.map((u) => u.id));
    const outcome = assess({ accepted, views, assets });

    // What the workers' shared throttle did: each 420 logs the pace it set and the pause.
    const throttleEvents = (await logEntries(processes.workers))
      .filter((e) => e.msg === LOG_MESSAGES.providerRateLimitPause)
      .map((e) => ({ t: Date.parse(String(e.time)) - wallOrigin, rate: Number(e.rate), pauseMs: Number(e.pauseMs) }))
      .sort((a, b) => a.t - b.t);

    const samples = sampler.samples;
    const ok = stats.byStatus['200'] ?? 0;
    const limited = (stats.byStatus['420'] ?? 0) + (stats.byStatus['429'] ?? 0);
    const first = reachedAt(samples, 'ok', 1);
    const last = reachedAt(samples, 'ok', ok);
    const spanMs = first !== undefined && last !== undefined ? last - first : undefined;
    const throughput = spanMs !== undefined && spanMs > 0 ? ok / (spanMs / 1000) : undefined;
    // Without the bucket's initial burst of R: from one second after the first success.
    const steadyFrom = first === undefined ? undefined : first + 1000;
    const steadyThroughput =
      steadyFrom !== undefined && last !== undefined && last > steadyFrom ? (ok - valueAt(samples, 'ok', steadyFrom)) / ((last - steadyFrom) / 1000) : undefined;

    // Per-second provider answers from the first success on.
    const timeline: RunResult['timeline'] = { ok: [], limited: [] };
    if (first !== undefined) {
      for (let second = 0; first + second * 1000 <= (last ?? first); second++) {
        const from = first + second * 1000;
        const to = from + 1000;
        timeline.ok.push(valueAt(samples, 'ok', to) - valueAt(samples, 'ok', from));
        timeline.limited.push(valueAt(samples, 'limited', to) - valueAt(samples, 'limited', from));
      }
    }

    const result: RunResult = {
      name,
      style,
      run,
      phase,
      accepted: accepted.length,
      rejected,
      submittedMs,
      settled,
      settledMs,
      stats,
      ok,
      limited,
      limitedShare: stats.uploads ? limited / stats.uploads : 0,
      firstMs: first,
      lastMs: last,
      spanMs,
      throughput,
      steadyThroughput,
      timeline,
      throttleEvents,
      crashes: crashes(processes.processes),
      outcome,
      attempts: [...views.values()].reduce((sum, view) => sum + (Number(view.attempts) || 0), 0),
      checks: [],
    };
    result.checks = checksOf(result);
    if (!result.checks.every((check) => check.pass)) result.logReport = logReport(processes.processes);
    log(`${phase.title}: ${runLine(result)}`);
    return result;
  } catch (error) {
    if (!abortSignal.aborted) log(`${phase.title} broke off; the processes' logs:\n${logReport(processes.processes)}`);
    throw error;
  } finally {
    log(`${phase.title}: stopping the stack and removing its database, keys and dirs`);
    await stack.stop();
  }
}

function checksOf(result: RunResult): Check[] {
  const R = options.rate;
  const { outcome } = result;
  const ratio = result.throughput === undefined ? 0 : result.throughput / R;
  return [
    { what: 'throughput ≥ 0.9 × R', value: result.throughput === undefined ? 'n/a' : `${ratio.toFixed(2)} × R`, pass: ratio >= 0.9 },
    {
      what: `420 share ≤ ${result.phase.max420 * 100} %`,
      value: fmtPct(result.limited, result.stats.uploads),
      pass: result.limitedShare <= result.phase.max420,
    },
    { what: 'failed = 0', value: outcome.failed, pass: outcome.failed === 0 },
    { what: 'duplicate assets = 0', value: outcome.extraAssets, pass: outcome.extraAssets === 0 },
    { what: 'lost = 0', value: outcome.lost, pass: outcome.lost === 0 },
    {
      what: 'assets intact (missing/corrupt/stray = 0)',
      value: `${outcome.missingAssets}/${outcome.corruptAssets}/${outcome.strayAssets}`,
      pass: outcome.missingAssets + outcome.corruptAssets + outcome.strayAssets === 0,
    },
    { what: `all ${options.uploads} accepted`, value: result.accepted, pass: result.accepted === options.uploads },
    {
      what: 'no Hoist process crashed',
      value: result.crashes.length ? result.crashes.map((c) => `${c.name} ${JSON.stringify(c.exit)}: ${c.error}`).join('; ') : 'none',
      pass: result.crashes.length === 0,
    },
  ];
}

// ----------------------------------------------------------------------------------------- report

function throttleText(result: RunResult): string {
  const events = result.throttleEvents;
  if (!events.length) return 'no rate-limit events';
  const paces = [...new Set(events.map((e) => e.rate.toFixed(2)))];
  const since = (t: number) => (result.firstMs === undefined ? fmtSeconds(t) : `+${fmtSeconds(t - result.firstMs)}`);
  const pauses = events.map((e) => e.pauseMs).filter(Number.isFinite);
  return (
    `${events.length} events, ${since(events[0]!.t)} to ${since(events.at(-1)!.t)} after the first success; pace set to ${paces.join(', ')} uploads/s ` +
    `(${paces.map((p) => `${(Number(p) / options.rate).toFixed(2)} R`).join(', ')}); pauses ${pauses.length ? `${Math.min(...pauses)}–${Math.max(...pauses)} ms` : 'n/a'}`
  );
}

/** One line per run: what a reader compares across runs. */
function runLine(r: RunResult): string {
  const ratio = r.throughput === undefined ? 'n/a' : `${(r.throughput / options.rate).toFixed(2)} R`;
  const pass = r.checks.every((check) => check.pass);
  return (
    `${ratio}, 420s ${fmtPct(r.limited, r.stats.uploads)} of ${r.stats.uploads} requests, ` +
    `${r.outcome.succeeded}/${r.outcome.failed}/${r.outcome.lost} succeeded/failed/lost, ${r.outcome.extraAssets} duplicates — ${pass ? 'PASS' : 'FAIL'}`
  );
}

function report(results: RunResult[], logDir: string): boolean {
  const R = options.rate;
  const ratioOf = (r: RunResult) => (r.throughput === undefined ? 0 : r.throughput / R);
  const groups = new Map<string, RunResult[]>();
  for (const r of results) {
    const key = `${r.phase.key}|${r.style}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const runRows = results.map((r) => [
    PHASES[r.name].title,
    r.style,
    String(r.run),
    `${r.outcome.succeeded}/${r.outcome.failed}/${r.outcome.lost}`,
    String(r.stats.uploads),
    fmtPct(r.limited, r.stats.uploads),
    r.throughput === undefined ? 'n/a' : `${ratioOf(r).toFixed(2)} R`,
    r.steadyThroughput === undefined ? 'n/a' : `${(r.steadyThroughput / R).toFixed(2)} R`,
    String(r.outcome.extraAssets),
    r.checks.every((check) => check.pass) ? 'PASS' : 'FAIL',
  ]);
  const worstRows = [...groups.values()].map((runs) => {
    const slowest = runs.reduce((a, b) => (ratioOf(b) < ratioOf(a) ? b : a));
    const most420 = runs.reduce((a, b) => (b.limitedShare > a.limitedShare ? b : a));
    return [
      PHASES[slowest.name].title,
      slowest.style,
      String(runs.length),
      `${ratioOf(slowest).toFixed(2)} R (run ${slowest.run})`,
      `${fmtPct(most420.limited, most420.stats.uploads)} (run ${most420.run})`,
      String(runs.reduce((sum, r) => sum + r.outcome.failed, 0)),
      String(runs.reduce((sum, r) => sum + r.outcome.extraAssets, 0)),
      runs.every((r) => r.checks.every((check) => check.pass)) ? 'PASS' : 'FAIL',
    ];
  });
  const lines = [
    '',
    "Hoist rate-limit benchmark (measured at the provider: the emulator's counters, sampled every 100 ms)",
    `  command   ${commandLine('bench:ratelimit', process.argv.slice(2))}`,
    `  setup     emulator admits ${R} uploads per one-second window; ${options.uploads} distinct ~0.9 KB PNGs posted ${options.submitConcurrency} at a time; ` +
      `${options.workers} workers × WORKER_CONCURRENCY ${options.concurrency}; node ${process.version}, ${availableParallelism()} CPUs`,
    '  styles    hinted = Cloudinary\'s X-FeatureRateLimit-* headers and "Try again on" message, no Retry-After; retry-after = Retry-After only; unhinted = bare 420',
    '',
    '  every run',
    table([['phase', 'style', 'run', 'ok/failed/lost', 'requests', '420 share', 'throughput', 'after 1st s', 'duplicates', 'result'], ...runRows], {
      indent: '    ',
      align: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
    }),
    '',
    '  per-second provider answers from the first success (200 | 420):',
    ...results.flatMap((r) => [`    ${r.phase.title}`, `      200: ${r.timeline.ok.join(' ')}`, `      420: ${r.timeline.limited.join(' ')}`]),
    '',
    "  the workers' shared throttle (from their logs: each 420 makes it pause and set a pace):",
    ...results.map((r) => `    ${r.phase.title}: ${throttleText(r)}`),
    '',
    `  WORST run per style (targets: ≥ 0.9 R; 420s ≤ ${PHASES.nohint.max420 * 100} % learning, ≤ ${PHASES.limiter.max420 * 100} % with the limiter; 0 failed; 0 duplicates)`,
    table([['phase', 'style', 'runs', 'worst throughput', 'worst 420 share', 'failed', 'duplicates', 'result'], ...worstRows], {
      indent: '    ',
      align: ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'left'],
    }),
  ];
  for (const r of results) {
    const failedChecks = r.checks.filter((check) => !check.pass);
    if (failedChecks.length) lines.push('', `  missed, ${r.phase.title}: ${failedChecks.map((check) => `${check.what} (${check.value})`).join('; ')}`);
    const notes = exampleLines(r.outcome);
    if (notes.length) lines.push('', `  examples, ${r.phase.title}:`, ...notes.map((n) => `    ${n}`));
    if (r.logReport) lines.push('', `  process logs, ${r.phase.title} (kept in ${logDir}):`, r.logReport.replace(/^/gm, '  '));
  }
  const pass = results.every((r) => r.checks.every((check) => check.pass));
  if (options.json) {
    const runs = results.map((r) => ({ phase: r.name, style: r.style, run: r.run, rate: R, throughput: r.throughput ?? 0, limitedShare: r.limitedShare, outcome: { succeeded: r.outcome.succeeded, failed: r.outcome.failed, lost: r.outcome.lost, duplicates: r.outcome.extraAssets }, pass: r.checks.every((check) => check.pass) }));
    writeFileSync(options.json, JSON.stringify({ command: commandLine('bench:ratelimit', process.argv.slice(2)), runs }));
  }
  lines.push('', `RESULT: ${pass ? 'PASS' : 'FAIL'}`, '');
  process.stdout.write(lines.join('\n'));
  return pass;
}

// ------------------------------------------------------------------------------------------- main

const runIds = options.only.flatMap((phase) => options.styles.flatMap((style) => Array.from({ length: options.runs }, (_, i) => `${phase}:${style}:${i + 1}`)));
const totalTimeoutMs = runIds.length * (phaseTimeoutMs + 60_000);

await runScript({
  timeoutMs: totalTimeoutMs,
  main: () =>
    runPhases({
      logLabel: 'hoist-bench-ratelimit-logs',
      limits: `${runIds.length} runs; each gives up after ${fmtSeconds(phaseTimeoutMs)}, the whole benchmark after ${fmtSeconds(totalTimeoutMs)}`,
      names: runIds,
      run: runPhase,
      report,
      keepLogs: options.keepLogs,
    }),
});
