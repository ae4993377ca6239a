#!/usr/bin/env node
// Rate-limit benchmark: how close the workers get to a provider's rate limit, and how often they
// trip it, with and without the proactive limiter.
//
//   pnpm build && pnpm bench:ratelimit [--rate=20] [--uploads=400] [--workers=4] [--concurrency=8]
//
// Two phases, each on a fresh stack (own database, queue prefix, temp dirs, emulator, API, workers,
// all on loopback): (a) no hint — the workers only learn the limit from the provider's 420s;
// (b) PROVIDER_RATE_LIMIT=R — the cluster-wide limiter paces uploads at R/s. In each, the emulator
// allows R uploads/s (token bucket of R), N distinct small PNGs are posted to the API as fast as it
// takes them, and everything is measured at the provider: the emulator's counters are sampled every
// 100 ms, so throughput = successful uploads / (last success − first success), and the 420 share is
// 420 answers / upload requests. Then every upload's final status (through the API) and the
// emulator's assets are checked: failed, lost (not final when the phase ends), duplicate assets.
//
// Targets (issue 4, at R=20, N=400): throughput ≥ 0.9 × R; 420 share ≤ 10 % without hint and ≤ 2 %
// with the limiter; 0 failed; 0 duplicate assets (and 0 lost). Exit 1 when any target is missed.
// A phase is abandoned after 3 × N/R + 60 s. Everything created is removed at the end (process logs
// are kept, and their path printed, when a target is missed; --keep-logs keeps them always).
import { availableParallelism } from 'node:os';
import {
  abortSignal,
  commandLine,
  fmtPct,
  fmtSeconds,
  log,
  makePng,
  mapLimit,
  md5,
  parseArgs,
  parseDuration,
  parsePositive,
  postUpload,
  runPhases,
  runScript,
  setLogTag,
  sleep,
  summarizeLog,
  table,
  throwIfAborted,
  UsageError,
} from './lib/harness.mjs';
import { assess, startStack, waitForSettled } from './lib/stack.mjs';

setLogTag('bench:ratelimit');

const USAGE = [
  'usage: node scripts/bench-ratelimit.mjs [--rate=20] [--uploads=400] [--workers=4] [--concurrency=8]',
  '                                        [--submit-concurrency=16] [--only=nohint,limiter] [--keep-logs]',
  '  --rate          the emulator\'s limit, uploads/s (token bucket of the same size); also PROVIDER_RATE_LIMIT in phase (b)',
  '  --uploads       uploads per phase',
  '  --workers       worker processes; --concurrency: WORKER_CONCURRENCY of each',
  '  --submit-concurrency  POSTs in flight at once while submitting',
  '  --only          run one phase: nohint or limiter',
  '  --phase-timeout abandon a phase after this long (default 3 × uploads/rate + 60 s)',
  '  --keep-logs     keep the processes\' logs (they are kept anyway when a target is missed)',
  'Needs `pnpm build` first, Postgres (DATABASE_URL) and Redis (REDIS_URL) on loopback.',
].join('\n');

const SAMPLE_EVERY_MS = 100;
const PHASES = {
  nohint: { key: 'a', title: '(a) no hint', limiter: false, max420: 0.1 },
  limiter: { key: 'b', title: '(b) PROVIDER_RATE_LIMIT=R', limiter: true, max420: 0.02 },
};

let options;
try {
  options = parseArgs(
    process.argv.slice(2),
    {
      rate: { default: 20, parse: (v, f) => parsePositive(v, f, { integer: false, max: 10_000 }) },
      uploads: { default: 400, parse: (v, f) => parsePositive(v, f, { max: 100_000 }) },
      workers: { default: 4, parse: (v, f) => parsePositive(v, f, { max: 32 }) },
      concurrency: { default: 8, parse: (v, f) => parsePositive(v, f, { max: 1000 }) },
      'submit-concurrency': { default: 16, parse: (v, f) => parsePositive(v, f, { max: 256 }) },
      only: {
        default: Object.keys(PHASES),
        parse: (v, f) => {
          const names = v.split(',').map((s) => s.trim()).filter(Boolean);
          for (const name of names) if (!PHASES[name]) throw new UsageError(`${f}: unknown phase "${name}" (nohint, limiter)`);
          return names;
        },
      },
      'phase-timeout': { default: undefined, parse: parseDuration },
      'keep-logs': { default: false, boolean: true },
    },
    USAGE,
  );
} catch (error) {
  process.stderr.write(`bench:ratelimit: ${error.message}\n`);
  process.exit(2);
}

const idealMs = (options.uploads / options.rate) * 1000;
const phaseTimeoutMs = options.phaseTimeout ?? 3 * idealMs + 60_000;

// ------------------------------------------------------------------------------------------ phase

/** Samples the emulator's counters until stopped; each sample is stamped at the middle of its request. */
function startSampler(stack, origin) {
  const samples = [];
  let stopped = false;
  const done = (async () => {
    while (!stopped) {
      const sent = performance.now();
      try {
        const stats = await stack.emulatorStats();
        const received = performance.now();
        samples.push({
          t: (sent + received) / 2 - origin,
          ok: stats.byStatus?.['200'] ?? 0,
          limited: (stats.byStatus?.['420'] ?? 0) + (stats.byStatus?.['429'] ?? 0),
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
function reachedAt(samples, field, value) {
  for (let i = 0; i < samples.length; i++) {
    if (samples[i][field] >= value) return i === 0 ? samples[0].t : (samples[i - 1].t + samples[i].t) / 2;
  }
  return undefined;
}

function valueAt(samples, field, t) {
  let value = 0;
  for (const sample of samples) {
    if (sample.t > t) break;
    value = sample[field];
  }
  return value;
}

async function runPhase(name, logDir) {
  const phase = PHASES[name];
  const R = options.rate;
  log(`phase ${phase.title}: starting a stack (emulator at ${R} uploads/s, ${options.workers} workers × ${options.concurrency})`);
  const stack = await startStack({
    label: `bench_rl_${name}`,
    logDir,
    workers: options.workers,
    emulatorEnv: { EMULATOR_RATE_LIMIT_PER_SECOND: String(R) },
    env: { SHUTDOWN_TIMEOUT_MS: '5000' },
    workerEnv: { WORKER_CONCURRENCY: String(options.concurrency), ...(phase.limiter ? { PROVIDER_RATE_LIMIT: String(R) } : {}) },
  });
  try {
    log(`phase ${phase.title}: database ${stack.databaseName}, queue prefix ${stack.queuePrefix}, api ${stack.apiUrl}, emulator ${stack.emulatorUrl}`);
    const files = Array.from({ length: options.uploads }, (_, i) => makePng(`${stack.queuePrefix}-${i}`));

    const origin = performance.now();
    const wallOrigin = Date.now() - (performance.now() - origin);
    const deadline = Date.now() + phaseTimeoutMs;
    const sampler = startSampler(stack, origin);
    const responses = await mapLimit(files, options.submitConcurrency, async (bytes, i) => {
      if (abortSignal.aborted || Date.now() > deadline) return { status: 'not sent' };
      try {
        return await postUpload(stack.apiUrl, bytes, `bench-${i}.png`);
      } catch (error) {
        return { status: `error: ${error instanceof Error ? error.message : String(error)}` };
      }
    });
    const submittedMs = performance.now() - origin;
    const accepted = [];
    const rejected = {};
    responses.forEach((response, i) => {
      if (response.status === 202 && typeof response.body?.id === 'string') accepted.push({ id: response.body.id, md5: md5(files[i]) });
      else rejected[response.status] = (rejected[response.status] ?? 0) + 1;
    });
    log(`phase ${phase.title}: ${accepted.length} of ${files.length} accepted in ${fmtSeconds(submittedMs)}; waiting for them to settle (at most ${fmtSeconds(deadline - Date.now())})`);

    let lastReport = 0;
    const { settled } = await waitForSettled(stack, accepted.map((u) => u.id), {
      deadline,
      signal: abortSignal,
      onTick: (counts) => {
        if (Date.now() - lastReport < 5_000) return;
        lastReport = Date.now();
        const last = sampler.samples.at(-1);
        log(`  ${fmtSeconds(performance.now() - origin)}: ${JSON.stringify(counts)}; provider: ${last?.ok ?? 0} ok, ${last?.limited ?? 0} rate-limited`);
      },
    });
    const settledMs = performance.now() - origin;
    await sleep(3 * SAMPLE_EVERY_MS); // one more sample after the last success
    await sampler.stop();
    throwIfAborted();

    const stats = await stack.emulatorStats();
    const assets = await stack.emulatorAssets();
    const views = await stack.views(accepted.map((u) => u.id));
    const outcome = assess({ accepted, views, assets });
    const crashes = stack.crashes();

    // What the workers' shared throttle did: each 420 logs the pace it set and the pause.
    const throttleEvents = (await stack.workerLogEntries((e) => e.msg === 'provider rate limit: pausing and slowing down')).map((e) => ({
      t: Date.parse(e.time) - wallOrigin,
      rate: Number(e.rate),
      pauseMs: Number.isFinite(Number(e.pauseMs)) ? Number(e.pauseMs) : Date.parse(e.pauseUntil) - Date.parse(e.time),
    }));

    const samples = sampler.samples;
    const ok = stats.byStatus?.['200'] ?? 0;
    const limited = (stats.byStatus?.['420'] ?? 0) + (stats.byStatus?.['429'] ?? 0);
    const first = reachedAt(samples, 'ok', 1);
    const last = reachedAt(samples, 'ok', ok);
    const spanMs = first !== undefined && last !== undefined ? last - first : undefined;
    const throughput = spanMs > 0 ? ok / (spanMs / 1000) : undefined;
    // Without the bucket's initial burst of R: from one second after the first success.
    const steadyFrom = first + 1000;
    const steadyThroughput = last > steadyFrom ? (ok - valueAt(samples, 'ok', steadyFrom)) / ((last - steadyFrom) / 1000) : undefined;

    // Per-second provider answers from the first success on.
    const timeline = { ok: [], limited: [] };
    if (first !== undefined) {
      for (let second = 0; first + second * 1000 <= (last ?? first); second++) {
        const from = first + second * 1000;
        const to = from + 1000;
        timeline.ok.push(valueAt(samples, 'ok', to) - valueAt(samples, 'ok', from));
        timeline.limited.push(valueAt(samples, 'limited', to) - valueAt(samples, 'limited', from));
      }
    }

    const result = {
      name,
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
      crashes,
      outcome,
      attempts: [...views.values()].reduce((sum, view) => sum + (Number(view.attempts) || 0), 0),
    };
    result.checks = checksOf(result);
    if (!result.checks.every((check) => check.pass)) result.logReport = stack.logReport(summarizeLog);
    return result;
  } catch (error) {
    if (!abortSignal.aborted) log(`phase ${phase.title} broke off; the processes' logs:\n${stack.logReport(summarizeLog)}`);
    throw error;
  } finally {
    log(`phase ${phase.title}: stopping the stack and removing its database, keys and dirs`);
    await stack.stop();
  }
}

function checksOf(result) {
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

function throttleText(result) {
  const events = result.throttleEvents;
  if (!events.length) return 'no rate-limit events';
  const paces = [...new Set(events.map((e) => e.rate.toFixed(2)))];
  const since = (t) => (result.firstMs === undefined ? fmtSeconds(t) : `+${fmtSeconds(t - result.firstMs)}`);
  const pauses = events.map((e) => e.pauseMs).filter(Number.isFinite);
  return (
    `${events.length} events, ${since(events[0].t)} to ${since(events.at(-1).t)} after the first success; pace set to ${paces.join(', ')} uploads/s ` +
    `(${paces.map((p) => `${(Number(p) / options.rate).toFixed(2)} R`).join(', ')}); pauses ${pauses.length ? `${Math.min(...pauses)}–${Math.max(...pauses)} ms` : 'n/a'}`
  );
}

function report(results, logDir) {
  const R = options.rate;
  const col = (fn) => results.map((r) => fn(r));
  const rate = (value) => (value === undefined ? 'n/a' : `${value.toFixed(1)}/s = ${(value / R).toFixed(2)} R`);
  const rows = [
    ['', ...col((r) => r.phase.title.replace('=R', `=${R}`))],
    ['accepted (202)', ...col((r) => `${r.accepted} / ${options.uploads}${Object.keys(r.rejected).length ? ` (${JSON.stringify(r.rejected)})` : ''}`)],
    ['submitted in', ...col((r) => `${fmtSeconds(r.submittedMs)} (${(r.accepted / (r.submittedMs / 1000)).toFixed(0)}/s)`)],
    ['succeeded', ...col((r) => r.outcome.succeeded)],
    ['failed', ...col((r) => `${r.outcome.failed}${r.outcome.failed ? ` ${JSON.stringify(r.outcome.failures)}` : ''}`)],
    ['lost (not final at the end)', ...col((r) => r.outcome.lost)],
    ['provider upload requests', ...col((r) => r.stats.uploads)],
    ['  answered 200', ...col((r) => r.ok)],
    ['  answered 420', ...col((r) => r.limited)],
    ['  other answers', ...col((r) => JSON.stringify(Object.fromEntries(Object.entries(r.stats.byStatus ?? {}).filter(([s]) => !['200', '420', '429'].includes(s)))))],
    ['420 share of upload requests', ...col((r) => fmtPct(r.limited, r.stats.uploads))],
    ['first → last success', ...col((r) => (r.spanMs === undefined ? 'n/a' : `${fmtSeconds(r.firstMs)} → ${fmtSeconds(r.lastMs)} (${fmtSeconds(r.spanMs)})`))],
    ['throughput (ok / span)', ...col((r) => rate(r.throughput))],
    ['  after the first second', ...col((r) => rate(r.steadyThroughput))],
    ['attempts recorded (sum)', ...col((r) => r.attempts)],
    ['duplicate assets', ...col((r) => r.outcome.extraAssets)],
    ['re-uploads (writes > 1)', ...col((r) => `${r.outcome.reuploadedAssets} assets, ${r.outcome.extraWrites} extra writes`)],
    ['missing/corrupt/stray assets', ...col((r) => `${r.outcome.missingAssets}/${r.outcome.corruptAssets}/${r.outcome.strayAssets}`)],
    ['all settled after', ...col((r) => (r.settled ? fmtSeconds(r.settledMs) : `NOT SETTLED (gave up at ${fmtSeconds(r.settledMs)})`))],
  ];
  const lines = [
    '',
    'Hoist rate-limit benchmark (measured at the provider: the emulator\'s counters, sampled every 100 ms)',
    `  command   ${commandLine('bench-ratelimit.mjs', process.argv.slice(2))}`,
    `  setup     emulator token bucket ${R} uploads/s (bucket ${Math.max(1, R)}); ${options.uploads} distinct ~0.9 KB PNGs posted ${options.submitConcurrency} at a time; ` +
      `${options.workers} workers × WORKER_CONCURRENCY ${options.concurrency}; node ${process.version}, ${availableParallelism()} CPUs`,
    `  note      the bucket starts full, so a perfect client gets N / ((N − R) / R) = ${(options.uploads / ((options.uploads - R) / R) / R).toFixed(2)} R over first → last success`,
    '',
    table(rows),
    '',
    '  per-second provider answers from the first success (200 | 420):',
    ...results.flatMap((r) => [`    ${r.phase.title}`, `      200: ${r.timeline.ok.join(' ')}`, `      420: ${r.timeline.limited.join(' ')}`]),
    '',
    '  the workers\' shared throttle (from their logs: each 420 makes it pause and set a pace):',
    ...results.map((r) => `    ${r.phase.title}: ${throttleText(r)}`),
    '',
    '  targets (issue 4)',
    table(
      [
        ['phase', 'target', 'measured', 'result'],
        ...results.flatMap((r) => r.checks.map((check) => [r.phase.title.replace('=R', `=${R}`), check.what, String(check.value), check.pass ? 'PASS' : 'FAIL'])),
      ],
      { indent: '    ', align: ['left', 'left', 'right', 'left'] },
    ),
  ];
  for (const r of results) {
    const { examples } = r.outcome;
    const notes = [
      ...examples.failed.map((e) => `failed: ${e}`),
      ...examples.lost.map((e) => `lost: ${e}`),
      ...examples.duplicate.map((e) => `duplicate: ${e}`),
      ...examples.missing.map((e) => `succeeded without asset: ${e}`),
      ...examples.corrupt.map((e) => `asset bytes differ: ${e}`),
      ...examples.stray.map((e) => `stray asset: ${e}`),
    ];
    if (notes.length) lines.push('', `  examples, ${r.phase.title}:`, ...notes.map((n) => `    ${n}`));
    if (r.logReport) lines.push('', `  process logs, ${r.phase.title} (kept in ${logDir}):`, r.logReport.replace(/^/gm, '  '));
  }
  const pass = results.every((r) => r.checks.every((check) => check.pass));
  lines.push('', `RESULT: ${pass ? 'PASS' : 'FAIL'}`, '');
  process.stdout.write(lines.join('\n'));
  return pass;
}

// ------------------------------------------------------------------------------------------- main

const totalTimeoutMs = options.only.length * (phaseTimeoutMs + 120_000);

await runScript({
  timeoutMs: totalTimeoutMs,
  main: () =>
    runPhases({
      logLabel: 'hoist-bench-ratelimit-logs',
      limits: `each phase gives up after ${fmtSeconds(phaseTimeoutMs)}, the whole run after ${fmtSeconds(totalTimeoutMs)}`,
      names: options.only,
      run: runPhase,
      report,
      keepLogs: options.keepLogs,
    }),
});
