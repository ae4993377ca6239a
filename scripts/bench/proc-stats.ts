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

/** Pids of every running process named `postgres` (the server and its backends). */
export function postgresPids(): number[] {
  const out = execFileSync('pgrep', ['-x', 'postgres'], { encoding: 'utf8' }).trim();
  return out ? out.split('\n').map(Number) : [];
}

export type CpuByRole = Record<string, number>;

/** CPU ms so far of each role's processes (summed); a process that is gone counts 0. */
export function cpuByRole(roles: Record<string, number[]>): CpuByRole {
  return Object.fromEntries(
    Object.entries(roles).map(([role, pids]) => [
      role,
      pids.reduce((sum, pid) => {
        try {
          return sum + cpuMs(pid);
        } catch {
          return sum;
        }
      }, 0),
    ]),
  );
}
