// CPU time and resident memory of a process, read from /proc (Linux): how the benchmarks charge a
// server or worker for the work it did, from outside, without instrumenting it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU time the process has used so far, in ms (resolution: one clock tick, usually 10 ms). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size of the process, in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** CPU ms a process spends over `fn`, and what `fn` returned. */
export async function chargeCpu<T>(pids: number[], fn: () => Promise<T>): Promise<{ result: T; cpuMs: number; wallMs: number }> {
  const before = pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  const started = performance.now();
  const result = await fn();
  const wallMs = performance.now() - started;
  const after = pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  return { result, cpuMs: after - before, wallMs };
}
