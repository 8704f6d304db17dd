// From the runs of every round to one cell per (case, target, mode): the
// median req/s, its min and max, the median p99, server CPU per request and
// generator cores, and whether the generator held the case back.
//
// Client-bound rule: the generator used more than half a core (its CPU
// seconds ÷ the case's wall seconds > 0.5, median over the rounds). On a
// 2-core machine the server then has at most about 1.5 cores, and a faster
// server cannot show it.

import { median, minMax } from '../stats.js';
import type { TargetName } from '../targets.js';
import type { CaseName, Command } from './cases.js';
import type { Mode } from './options.js';
import { modeOf, type GoCaseResult } from './report.js';

export const CLIENT_BOUND_CORES = 0.5;

/** Cores the generator used during one run (CPU s ÷ wall s), or null when either is missing. */
export function generatorCores(result: Pick<GoCaseResult, 'generatorCpuSeconds' | 'wallSeconds'>): number | null {
  const { generatorCpuSeconds: cpu, wallSeconds: wall } = result;
  if (cpu == null || wall == null || !Number.isFinite(cpu) || !Number.isFinite(wall) || wall <= 0) return null;
  return cpu / wall;
}

export function isClientBound(cores: number | null | undefined): boolean {
  return cores != null && cores > CLIENT_BOUND_CORES;
}

export interface CaseCell {
  case: CaseName;
  command: Command;
  clients: number;
  conns: number;
  target: TargetName;
  mode: Mode;
  /** Rounds that measured the case, and rounds where it failed. */
  okRuns: number;
  failedRuns: number;
  /** Medians over the ok rounds (null when none). */
  requestsPerSecond: number | null;
  requestsPerSecondRange: { min: number; max: number } | null;
  p99Ms: number | null;
  serverCpuMsPerRequest: number | null;
  generatorCores: number | null;
  clientBound: boolean;
}

/** One cell per (case, target, mode), in the order they first appear in the results. */
export function caseCells(results: readonly GoCaseResult[]): CaseCell[] {
  const groups = new Map<string, GoCaseResult[]>();
  for (const result of results) {
    const key = JSON.stringify([result.case, result.target, modeOf(result)]);
    const group = groups.get(key);
    if (group) group.push(result);
    else groups.set(key, [result]);
  }
  return [...groups.values()].map((group) => {
    const first = group[0]!;
    const ok = group.filter((result) => result.status === 'ok');
    const cores = median(ok.map(generatorCores));
    return {
      case: first.case,
      command: first.command,
      clients: first.clients,
      conns: first.conns,
      target: first.target,
      mode: modeOf(first),
      okRuns: ok.length,
      failedRuns: group.length - ok.length,
      requestsPerSecond: median(ok.map((result) => result.requestsPerSecond)),
      requestsPerSecondRange: minMax(ok.map((result) => result.requestsPerSecond)),
      p99Ms: median(ok.map((result) => result.p99Ms)),
      serverCpuMsPerRequest: median(ok.map((result) => result.serverCpuMsPerRequest)),
      generatorCores: cores,
      clientBound: isClientBound(cores),
    };
  });
}

export function findCell(cells: readonly CaseCell[], caseName: CaseName, target: TargetName, mode: Mode): CaseCell | undefined {
  return cells.find((cell) => cell.case === caseName && cell.target === target && cell.mode === mode);
}
