// etcd's Go load generator (tools/benchmark from etcd 3.4): run it as a child
// process, measure the CPU it used, and parse its summary.
//
// The generator's CPU time is its rusage, read the way the kernel keeps it
// for a parent: once Node has reaped the child (before ChildProcess 'exit'
// fires), the child's user + system time, all of its threads included, is
// added to cutime + cstime in /proc/self/stat. The difference across one run
// is exactly that child's CPU, as long as no other child of this process is
// reaped meanwhile: the servers live until the end of the run and nothing
// else is spawned while a case runs.

import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { clockTicks } from '../proc-stats.js';

const OUTPUT_TAIL_CHARS = 4000;


/** CPU seconds (user + system) of every child this process has waited for so far. */
export function reapedChildrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name: state is index 0, cutime index 13, cstime index 14 (fields 16 and 17 of proc(5)).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / clockTicks();
}

export function benchmarkBinaryMissing(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return false;
  } catch {
    return true;
  }
}

export interface BenchmarkSummary {
  totalSeconds: number;
  requestsPerSecond: number;
  averageMs: number;
  slowestMs: number;
  fastestMs: number;
  /** "50" → milliseconds, for every percentile the tool printed (10, 25, 50, 75, 90, 95, 99, 99.9 when there were enough samples). */
  percentilesMs: Record<string, number>;
  /** Failed requests, from the tool's "Error distribution". */
  errorCount: number;
  errors: Record<string, number>;
}

export interface BenchmarkRun {
  summary: BenchmarkSummary;
  cpuSeconds: number;
  wallSeconds: number;
}

export class BenchmarkFailed extends Error {}

function secondsField(output: string, label: string): number {
  const match = new RegExp(`^\\s*${label}:\\s+([0-9.eE+-]+)`, 'm').exec(output);
  return match ? Number(match[1]) : Number.NaN;
}

/** Parses the summary the tool prints at the end (run with --precise for full-precision seconds). */
export function parseBenchmarkOutput(output: string): BenchmarkSummary {
  const summaryAt = output.lastIndexOf('Summary:');
  if (summaryAt < 0) throw new BenchmarkFailed('no "Summary:" in the benchmark output');
  const summary = output.slice(summaryAt);
  const requestsPerSecond = secondsField(summary, 'Requests/sec');
  if (!Number.isFinite(requestsPerSecond)) throw new BenchmarkFailed('no "Requests/sec" in the benchmark output');
  const percentilesMs: Record<string, number> = {};
  for (const match of summary.matchAll(/^\s*([0-9.]+)% in ([0-9.eE+-]+) secs/gm)) percentilesMs[match[1]!] = Number(match[2]) * 1000;
  const errors: Record<string, number> = {};
  let errorCount = 0;
  const errorsAt = summary.indexOf('Error distribution:');
  if (errorsAt >= 0) {
    for (const match of summary.slice(errorsAt).matchAll(/^\s*\[(\d+)\]\s+(.*)$/gm)) {
      errors[match[2]!] = Number(match[1]);
      errorCount += Number(match[1]);
    }
  }
  return {
    totalSeconds: secondsField(summary, 'Total'),
    requestsPerSecond,
    averageMs: secondsField(summary, 'Average') * 1000,
    slowestMs: secondsField(summary, 'Slowest') * 1000,
    fastestMs: secondsField(summary, 'Fastest') * 1000,
    percentilesMs,
    errorCount,
    errors,
  };
}

let runningChild: ChildProcess | undefined;

/** SIGKILLs the benchmark child by PID if one is running (for 'exit' and signal handlers). */
export function killRunningBenchmark(): void {
  if (runningChild && runningChild.exitCode === null && runningChild.signalCode === null) runningChild.kill('SIGKILL');
}

/** Runs the tool to completion (killed after timeoutMs) and returns its parsed summary and CPU use. */
export async function runBenchmark(binary: string, args: readonly string[], timeoutMs: number): Promise<BenchmarkRun> {
  if (runningChild) throw new Error('one benchmark at a time');
  const cpuBefore = reapedChildrenCpuSeconds();
  const startedAt = performance.now();
  const child = spawn(binary, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  runningChild = child;
  let stdout = '';
  let stderrTail = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderrTail = (stderrTail + chunk.toString()).slice(-OUTPUT_TAIL_CHARS)));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  try {
    const outcome = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      child.once('error', reject);
      // 'close' comes after 'exit' (the child is reaped) and after its output is drained.
      child.once('close', (code, signal) => resolve({ code, signal }));
    });
    const wallSeconds = (performance.now() - startedAt) / 1000;
    const cpuSeconds = reapedChildrenCpuSeconds() - cpuBefore;
    if (timedOut) throw new BenchmarkFailed(`benchmark did not finish within ${timeoutMs / 1000} s; stderr tail:\n${stderrTail}`);
    if (outcome.code !== 0) throw new BenchmarkFailed(`benchmark exited with ${outcome.code ?? outcome.signal}; stderr tail:\n${stderrTail}\nstdout tail:\n${stdout.slice(-OUTPUT_TAIL_CHARS)}`);
    return { summary: parseBenchmarkOutput(stdout), cpuSeconds, wallSeconds };
  } finally {
    clearTimeout(timer);
    runningChild = undefined;
  }
}
