// CPU time and resident memory of a process, read from /proc (Linux): how the benchmarks charge a
// server or worker for the work it did, from outside, without instrumenting it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** User + system CPU time the process has used so far, in ms (resolution: one clock tick, usually 10 ms). */
export function cpuMs(pid: number): number {
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = statFields(pid);
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

/**
 * CPU ms so far of the Postgres server: the postmaster's own, its reaped children's (backends that
 * have exited: the kernel adds them to cutime/cstime) and its live children's. A delta of two
 * readings is what the server did in between, however many backends came and went; it includes
 * every client's work, not only the benchmark's.
 */
export function postgresCpuMs(): number {
  const postmaster = Number(execFileSync('pgrep', ['-o', '-x', 'postgres'], { encoding: 'utf8' }).trim());
  const fields = statFields(postmaster);
  const own = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  const children = readFileSync(`/proc/${postmaster}/task/${postmaster}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  let live = 0;
  for (const child of children) {
    try {
      const f = statFields(child);
      live += Number(f[11]) + Number(f[12]);
    } catch {
      // exited meanwhile: counted in the postmaster's cutime from now on
    }
  }
  return ((own + live) * 1000) / CLOCK_TICKS_PER_SECOND;
}

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

export type CpuByRole = Record<string, number>;

/** CPU ms so far of each role's processes (summed; a process that is gone counts 0), and of Postgres. */
export function cpuByRole(roles: Record<string, number[]>): CpuByRole {
  const sums: CpuByRole = {};
  for (const [role, pids] of Object.entries(roles)) {
    sums[role] = 0;
    for (const pid of pids) {
      try {
        sums[role] += cpuMs(pid);
      } catch {
        // gone: counts 0
      }
    }
  }
  try {
    sums.Postgres = postgresCpuMs();
  } catch {
    // no Postgres process visible here (e.g. another host): no figure for it
  }
  return sums;
}
