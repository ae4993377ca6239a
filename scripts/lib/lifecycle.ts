// How a measurement script lives and ends: cleanup that runs on every way out (normal end, error,
// Ctrl-C, watchdog), an abort signal for long waits, and temp dirs that go with the rest.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { killAllProcesses } from '../../test/support/processes.js';
import { errorText, log } from './cli.js';

interface Cleanup {
  what: string;
  fn: () => Promise<unknown>;
  done: boolean;
}

/** Everything to undo, most recent last; each entry runs once, whatever happens. */
const cleanups: Cleanup[] = [];
/** Cleanups running right now (possibly started early by their owner), so cleanupAll can wait for them. */
const running = new Set<Promise<void>>();
let cleanupFailures = 0;
let aborting = false;
const abortController = new AbortController();

/** Aborted on Ctrl-C, SIGTERM or the watchdog; long waits should pass it along or check it. */
export const abortSignal = abortController.signal;

export function throwIfAborted(): void {
  if (abortSignal.aborted) throw new Error(`aborted: ${String(abortSignal.reason)}`);
}

/** Counts a failure to clean up (the run then exits 1) and says what it was. */
export function cleanupFailed(what: string, error: unknown): void {
  cleanupFailures += 1;
  log(`cleanup: could not ${what}: ${error instanceof Error ? error.message : String(error)}`);
}

/** Registers `fn` to run at cleanup; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(what: string, fn: () => Promise<unknown>): () => Promise<void> {
  const entry: Cleanup = { what, fn, done: false };
  cleanups.push(entry);
  return async () => {
    const index = cleanups.indexOf(entry);
    if (index >= 0) cleanups.splice(index, 1);
    await runCleanup(entry);
  };
}

async function runCleanup(entry: Cleanup): Promise<void> {
  if (entry.done) return;
  entry.done = true;
  const task = entry.fn().then(
    () => undefined,
    (error: unknown) => cleanupFailed(entry.what, error),
  );
  running.add(task);
  try {
    await task;
  } finally {
    running.delete(task);
  }
}

/** Runs every registered cleanup, newest first, and waits for any already under way; safe to call twice. */
async function cleanupAll(): Promise<void> {
  while (cleanups.length || running.size) {
    const next = cleanups.pop();
    if (next) await runCleanup(next);
    else await Promise.allSettled([...running]);
  }
}

/**
 * Runs `main` (which resolves to true for PASS) with a watchdog and signal handlers; cleans up on
 * every way out and sets the exit code: 0 pass, 1 fail or error, 128+n on a signal.
 */
export async function runScript({ timeoutMs, main }: { timeoutMs: number; main: () => Promise<boolean> }): Promise<void> {
  let pass = false;
  let mainDone: Promise<void> = Promise.resolve();
  const abort = async (reason: string, code: number) => {
    if (aborting) {
      // Second signal: no more patience, but never leave a child behind.
      killAllProcesses();
      process.exit(code);
    }
    aborting = true;
    log(`${reason}: stopping and cleaning up`);
    abortController.abort(reason);
    // Main notices the abort, stops its stack and cleans up; if it is stuck, clean up from here.
    await Promise.race([mainDone, sleep(60_000)]);
    await cleanupAll();
    process.exit(code);
  };
  for (const [signal, number] of [
    ['SIGINT', 2],
    ['SIGTERM', 15],
    ['SIGHUP', 1],
  ] as const) {
    process.on(signal, () => void abort(`received ${signal}`, 128 + number));
  }
  const watchdog = setTimeout(() => void abort(`timed out after ${Math.round(timeoutMs / 1000)} s`, 1), timeoutMs);
  process.on('exit', killAllProcesses);

  mainDone = (async () => {
    try {
      pass = await main();
    } catch (error) {
      if (!abortSignal.aborted) log(`error: ${errorText(error)}`);
    } finally {
      await cleanupAll();
    }
  })();
  await mainDone;
  clearTimeout(watchdog);
  if (cleanupFailures) log('cleanup was incomplete (see above)');
  process.exitCode = pass && !cleanupFailures && !abortSignal.aborted ? 0 : 1;
}

/** A temp directory removed at cleanup (unless `keep()` says otherwise, e.g. logs of a failed run). */
export async function tempDir(label: string): Promise<{ path: string; keep: () => void; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), `${label}-`));
  let kept = false;
  const remove = onCleanup(`remove ${path}`, async () => {
    if (!kept) await rm(path, { recursive: true, force: true });
  });
  return { path, keep: () => void (kept = true), remove };
}

/**
 * Runs the named phases one after another with one shared log dir, then `report`s them. The logs
 * are kept (and their path printed) when a phase throws, when the report fails, or when asked.
 * Resolves to the report's verdict, for runScript.
 */
export async function runPhases<N extends string, R>(options: {
  logLabel: string;
  limits: string;
  names: readonly N[];
  run: (name: N, logDir: string) => Promise<R>;
  report: (results: R[], logDir: string) => boolean;
  keepLogs: boolean;
}): Promise<boolean> {
  const logs = await tempDir(options.logLabel);
  const keep = () => {
    logs.keep();
    log(`process logs kept in ${logs.path}`);
  };
  log(`logs in ${logs.path}; ${options.limits}`);
  const results: R[] = [];
  for (const name of options.names) {
    throwIfAborted();
    try {
      results.push(await options.run(name, logs.path));
    } catch (error) {
      keep();
      throw error;
    }
  }
  const pass = options.report(results, logs.path);
  if (!pass || options.keepLogs) keep();
  return pass;
}
