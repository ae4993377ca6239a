// Reading the JSON (pino) logs the drills keep of every process.
import { readFileSync } from 'node:fs';
import type { TestProcess } from '../../test/support/processes.js';

/** One pino log line. */
export interface LogEntry {
  level: number;
  msg?: string;
  /** ISO 8601 (the logger's timestamp format). */
  time?: string;
  err?: { message?: string };
  [field: string]: unknown;
}

function parseEntry(line: string): LogEntry | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const entry = JSON.parse(line) as unknown;
    return typeof entry === 'object' && entry !== null && typeof (entry as LogEntry).level === 'number' ? (entry as LogEntry) : undefined;
  } catch {
    return undefined;
  }
}

function readText(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Every JSON entry of the processes' whole log files (not only the lines kept in memory), in file order. */
export async function logEntries(processes: TestProcess[]): Promise<Array<LogEntry & { process: string }>> {
  const entries: Array<LogEntry & { process: string }> = [];
  for (const child of processes) {
    await child.flushLog();
    for (const line of (readText(child.logFile) ?? child.output.join('\n')).split('\n')) {
      const entry = parseEntry(line);
      if (entry) entries.push({ ...entry, process: child.name });
    }
  }
  return entries;
}

/**
 * Counts of warn/error/fatal log messages in a pino JSON log file, most frequent first, for failure
 * reports; lines that are not JSON count under their text.
 */
export function summarizeLog(file: string | undefined, { top = 8 } = {}): { counts: Array<[string, number]>; lines: number } {
  const text = readText(file);
  if (text === undefined) return { counts: [], lines: 0 };
  const counts = new Map<string, number>();
  let lines = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    lines += 1;
    const entry = parseEntry(line);
    if (!entry) {
      const key = `(text) ${line.slice(0, 160)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      continue;
    }
    if (entry.level < 40) continue;
    const level = entry.level >= 60 ? 'fatal' : entry.level >= 50 ? 'error' : 'warn';
    const detail = entry.err?.message ? `: ${String(entry.err.message).slice(0, 160)}` : '';
    // Ids and ports differ from line to line; without them, the same message counts as one.
    const key = `${level} ${entry.msg}${detail}`.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { lines, counts: [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, top) };
}

/** Warn/error counts and the last warnings of each process's log, for a failure report. */
export function logReport(processes: TestProcess[], { lines = 4 } = {}): string {
  const out: string[] = [];
  for (const child of processes) {
    const summary = summarizeLog(child.logFile);
    out.push(`--- ${child.name} (pid ${child.pid}, ${child.running ? 'running' : `exited ${JSON.stringify(child.exitInfo)}`}, ${summary.lines} log lines: ${child.logFile})`);
    if (summary.counts.length) {
      out.push('  most frequent warnings/errors:');
      for (const [message, count] of summary.counts) out.push(`    ${String(count).padStart(5)} × ${message}`);
    }
    const warnings = child.output.filter((line) => !/^\{.*"level":(10|20|30),/.test(line)).slice(-lines);
    const last = warnings.length ? warnings : child.output.slice(-3);
    out.push(warnings.length ? '  last warnings/errors:' : '  last lines (no warnings among the recent ones):');
    for (const line of last) out.push(`    ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`);
  }
  return out.join('\n');
}

/** Processes that exited by themselves (not stopped or killed on purpose), with why. */
export function crashes(processes: TestProcess[]): Array<{ name: string; pid: number; exit: TestProcess['exitInfo']; error: string }> {
  return processes
    .filter((child) => !child.running && !child.stopping)
    .map((child) => {
      const text = child.output.filter((line) => !line.startsWith('{'));
      const error = text.find((line) => /^\w*Error\b|^Error:/.test(line.trim())) ?? text.find(Boolean) ?? '';
      const fatal = child.output.filter((line) => line.includes('"level":60')).at(-1);
      const fatalMessage = fatal === undefined ? undefined : parseEntry(fatal)?.msg;
      return { name: child.name, pid: child.pid, exit: child.exitInfo, error: (error || fatalMessage || '').trim() };
    });
}
