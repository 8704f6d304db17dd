// What a server process costs, read from /proc: CPU seconds (utime + stime
// of /proc/<pid>/stat) and peak resident memory (VmHWM of /proc/<pid>/status).

import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clockTicksPerSecond: number | undefined;

/** Kernel clock ticks per second, the unit of /proc/<pid>/stat CPU times. */
export function clockTicks(): number {
  if (clockTicksPerSecond === undefined) {
    try {
      clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicksPerSecond = 100;
    }
  }
  return clockTicksPerSecond;
}

/** CPU seconds the process has used so far (user + system), or NaN when it is gone. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after it are fixed.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const userTicks = Number(fields[11]);
    const systemTicks = Number(fields[12]);
    return (userTicks + systemTicks) / clockTicks();
  } catch {
    return Number.NaN;
  }
}

/** Peak resident set size since the process started, in bytes, or NaN when it is gone. */
export function processPeakRssBytes(pid: number): number {
  return statusFieldBytes(pid, 'VmHWM');
}

export function processRssBytes(pid: number): number {
  return statusFieldBytes(pid, 'VmRSS');
}

function statusFieldBytes(pid: number, field: string): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}
