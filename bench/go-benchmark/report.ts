// Results of `npm run bench` (etcd's Go load generator): per (case, target,
// mode) the median over the rounds of req/s and p99 with min–max, etcd's
// absolute numbers next to etcd-ts's, the etcd-ts / etcd ratio of the
// medians and which cases were client-bound; then the TLS cost per target
// (TLS req/s ÷ plain req/s), the auth cost per target (auth-simple and
// auth-jwt req/s ÷ plain req/s) and every single run, as Markdown for people
// and JSON for later.

import { escapeCell, reportHeader, type RunMetadata } from '../report.js';
import { ratio } from '../stats.js';
import { caseCells, CLIENT_BOUND_CORES, findCell, generatorCores, isClientBound, type CaseCell } from './aggregate.js';
import type { Command } from './cases.js';
import type { TargetName } from '../targets.js';
import type { BenchmarkSummary } from './benchmark-tool.js';
import { AUTH_MODES, isAuthMode, MODES, type AuthMode, type CaseName, type Mode, type Transport } from './options.js';

export interface GoCaseResult {
  case: CaseName;
  command: Command;
  clients: number;
  conns: number;
  total: number;
  target: TargetName;
  /** What went over the wire: 'tls' only in mode tls (the auth modes are plain gRPC). */
  transport: Transport;
  /** plain, tls, auth-simple or auth-jwt; absent in results written before the auth modes (then it is the transport). */
  mode?: Mode;
  status: 'ok' | 'failed';
  note?: string;
  /** 1-based round of --rounds; absent in results written before rounds (one round). */
  round?: number;
  /** Position in the run (0 = first measured), to see the alternating order. */
  order: number;
  requestsPerSecond: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  errorCount: number | null;
  /** utime + stime of the server under test during the case. */
  serverCpuSeconds: number | null;
  serverCpuMsPerRequest: number | null;
  /** utime + stime of the Go benchmark process (all its threads). */
  generatorCpuSeconds: number | null;
  /** CPU used meanwhile by the other, idle servers of this run (they stay up between cases). */
  idleServersCpuSeconds: number | null;
  wallSeconds: number | null;
  benchmarkArgs: string[];
  summary?: BenchmarkSummary;
}

export interface GoRatioRow {
  case: CaseName;
  /** etcd-ts req/s ÷ etcd req/s. */
  plainThroughput: number | null;
  tlsThroughput: number | null;
  /** TLS req/s ÷ plain req/s, per target. */
  tlsCost: Partial<Record<TargetName, number | null>>;
  /** TLS server CPU per request ÷ plain server CPU per request, per target. */
  tlsServerCpuPerRequest: Partial<Record<TargetName, number | null>>;
  /** etcd-ts req/s ÷ etcd req/s, per mode that ran. */
  throughput: Partial<Record<Mode, number | null>>;
  /** Auth mode req/s ÷ plain req/s, per auth mode that ran, per target. */
  authCost: Partial<Record<AuthMode, Partial<Record<TargetName, number | null>>>>;
  /** Auth mode server CPU per request ÷ plain server CPU per request, per auth mode that ran, per target. */
  authServerCpuPerRequest: Partial<Record<AuthMode, Partial<Record<TargetName, number | null>>>>;
}

export function modeOf(result: GoCaseResult): Mode {
  return result.mode ?? result.transport;
}

/** The end of a results file's name: go-auth when an auth mode ran, go-tls when tls did, else go; -cluster3 for three members. */
export function resultsStemSuffix(modes: readonly Mode[], members = 1): string {
  const base = modes.some(isAuthMode) ? 'go-auth' : modes.includes('tls') ? 'go-tls' : 'go';
  return members > 1 ? `${base}-cluster${members}` : base;
}

export function roundOf(result: GoCaseResult): number {
  return result.round ?? 1;
}

/** The modes that appear in the results, in the canonical order. */
function modesIn(results: GoCaseResult[]): Mode[] {
  const present = new Set(results.map(modeOf));
  return MODES.filter((mode) => present.has(mode));
}

function fixed(value: number | null | undefined, digits: number): string {
  return value == null || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function times(value: number | null | undefined): string {
  return value == null ? '–' : `${value.toFixed(2)}×`;
}

export function caseLine(result: GoCaseResult): string {
  const head = `${result.case.padEnd(15)} ${result.target.padEnd(7)} ${modeOf(result).padEnd(11)} clients=${String(result.clients).padEnd(4)} conns=${String(result.conns).padEnd(3)} total=${String(result.total).padEnd(6)}`;
  if (result.status !== 'ok') return `${head} FAILED: ${(result.note ?? '').split('\n')[0]}`;
  const cores = generatorCores(result);
  return (
    `${head} ${fixed(result.requestsPerSecond, 0).padStart(7)} req/s  p50 ${fixed(result.p50Ms, 2)} p99 ${fixed(result.p99Ms, 2)} ms | ` +
    `server cpu ${fixed(result.serverCpuSeconds, 2)} s (${fixed(result.serverCpuMsPerRequest, 3)} ms/req) | generator cpu ${fixed(result.generatorCpuSeconds, 2)} s (${fixed(cores, 2)} cores)` +
    (isClientBound(cores) ? ' CLIENT-BOUND' : '') +
    (result.errorCount ? ` | ${result.errorCount} errors` : '')
  );
}

/** Ratios of the medians over the rounds (with one round, of the single runs). */
export function ratioRows(results: GoCaseResult[]): GoRatioRow[] {
  const rows: GoRatioRow[] = [];
  const cells = caseCells(results);
  const targets = [...new Set(results.map((result) => result.target))];
  const modes = modesIn(results);
  const authModes = AUTH_MODES.filter((mode) => modes.includes(mode));
  for (const caseName of [...new Set(results.map((result) => result.case))]) {
    const rps = (target: TargetName, mode: Mode) => findCell(cells, caseName, target, mode)?.requestsPerSecond;
    const cpu = (target: TargetName, mode: Mode) => findCell(cells, caseName, target, mode)?.serverCpuMsPerRequest;
    const perTarget = (value: (target: TargetName) => number | null) => Object.fromEntries(targets.map((target) => [target, value(target)]));
    rows.push({
      case: caseName,
      plainThroughput: ratio(rps('etcd-ts', 'plain'), rps('etcd', 'plain')),
      tlsThroughput: ratio(rps('etcd-ts', 'tls'), rps('etcd', 'tls')),
      tlsCost: perTarget((target) => ratio(rps(target, 'tls'), rps(target, 'plain'))),
      tlsServerCpuPerRequest: perTarget((target) => ratio(cpu(target, 'tls'), cpu(target, 'plain'))),
      throughput: Object.fromEntries(modes.map((mode) => [mode, ratio(rps('etcd-ts', mode), rps('etcd', mode))])),
      authCost: Object.fromEntries(authModes.map((mode) => [mode, perTarget((target) => ratio(rps(target, mode), rps(target, 'plain')))])),
      authServerCpuPerRequest: Object.fromEntries(authModes.map((mode) => [mode, perTarget((target) => ratio(cpu(target, mode), cpu(target, 'plain')))])),
    });
  }
  return rows;
}

/** Every run, in run order. */
export function resultsTable(results: GoCaseResult[]): string[] {
  const lines = [
    '| round | case | clients | conns | requests | target | mode | req/s | p50 ms | p99 ms | errors | server CPU s | server CPU ms/req | generator CPU s | generator cores |',
    '|---:|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const result of results) {
    const head = `| ${roundOf(result)} | ${result.case} | ${result.clients} | ${result.conns} | ${result.total} | ${result.target} | ${modeOf(result)} |`;
    if (result.status !== 'ok') {
      lines.push(`${head} **failed**: ${escapeCell((result.note ?? '').split('\n')[0]!)} | | | | | | | |`);
      continue;
    }
    const cores = generatorCores(result);
    lines.push(
      `${head} ${fixed(result.requestsPerSecond, 0)} | ${fixed(result.p50Ms, 2)} | ${fixed(result.p99Ms, 2)} | ${result.errorCount ?? '–'} | ` +
        `${fixed(result.serverCpuSeconds, 2)} | ${fixed(result.serverCpuMsPerRequest, 3)} | ${fixed(result.generatorCpuSeconds, 2)} | ${fixed(cores, 2)}${isClientBound(cores) ? ' **client-bound**' : ''} |`,
    );
  }
  return lines;
}

/** "1234 (1100–1300)": the median req/s and its range over the rounds, bold-marked when client-bound. */
function throughputCell(cell: CaseCell | undefined): string {
  if (!cell || cell.requestsPerSecond == null) return cell && cell.failedRuns > 0 ? '**failed**' : '–';
  const range = cell.requestsPerSecondRange && cell.okRuns > 1 ? ` (${cell.requestsPerSecondRange.min.toFixed(0)}–${cell.requestsPerSecondRange.max.toFixed(0)})` : '';
  const failed = cell.failedRuns > 0 ? `, ${cell.failedRuns} failed` : '';
  return `${cell.requestsPerSecond.toFixed(0)}${range}${failed}`;
}

function coresCell(cell: CaseCell | undefined): string {
  if (!cell) return '–';
  return `${fixed(cell.generatorCores, 2)}${cell.clientBound ? ' **client-bound**' : ''}`;
}

/**
 * The headline table: per case (and mode, when more than one ran) and per target the
 * median req/s with min–max, median p99, median generator cores (marked when
 * client-bound) and median server CPU per request; then etcd-ts / etcd of the medians.
 */
export function summaryTable(cells: readonly CaseCell[], targets: readonly TargetName[], modes: readonly Mode[]): string[] {
  const ordered = [...targets].sort((a, b) => (a === 'etcd' ? -1 : b === 'etcd' ? 1 : 0));
  const withMode = modes.length > 1;
  const both = targets.includes('etcd') && targets.includes('etcd-ts');
  const header = [
    'case',
    ...(withMode ? ['mode'] : []),
    'clients',
    'conns',
    ...ordered.flatMap((target) => [`${target} req/s (min–max)`, `${target} p99 ms`, `${target} generator cores`, `${target} server CPU ms/req`]),
    ...(both ? ['etcd-ts / etcd req/s', 'etcd-ts / etcd p99'] : []),
  ];
  const rows: string[][] = [];
  const caseNames = [...new Set(cells.map((cell) => cell.case))];
  for (const mode of modes) {
    for (const caseName of caseNames) {
      const byTarget = (target: TargetName) => findCell(cells, caseName, target, mode);
      const any = ordered.map(byTarget).find((cell) => cell !== undefined);
      if (!any) continue;
      rows.push([
        caseName,
        ...(withMode ? [mode] : []),
        String(any.clients),
        String(any.conns),
        ...ordered.flatMap((target) => {
          const cell = byTarget(target);
          return [throughputCell(cell), fixed(cell?.p99Ms, 2), coresCell(cell), fixed(cell?.serverCpuMsPerRequest, 3)];
        }),
        ...(both
          ? [
              times(ratio(byTarget('etcd-ts')?.requestsPerSecond, byTarget('etcd')?.requestsPerSecond)),
              // watch's p99 is the time to hand on an already received event, near zero: no ratio.
              any.command === 'watch' ? '–' : times(ratio(byTarget('etcd-ts')?.p99Ms, byTarget('etcd')?.p99Ms)),
            ]
          : []),
      ]);
    }
  }
  if (rows.length === 0) return [];
  const [head, , ...body] = table(header, rows);
  // Text columns (case, mode) left-aligned, numbers right-aligned.
  const separator = `|${header.map((name) => (name === 'case' || name === 'mode' ? '---' : '---:')).join('|')}|`;
  return [head!, separator, ...body];
}

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|---|${header.slice(1).map(() => '---:').join('|')}|`, ...rows.map((cells) => `| ${cells.join(' | ')} |`)];
}

/** etcd-ts req/s ÷ etcd req/s per mode (of the medians); empty unless both targets ran. */
export function throughputTable(rows: GoRatioRow[], targets: TargetName[], modes: Mode[]): string[] {
  if (rows.length === 0 || !(targets.includes('etcd') && targets.includes('etcd-ts'))) return [];
  return table(
    ['case', ...modes.map((mode) => `etcd-ts / etcd req/s, ${mode}`)],
    rows.map((row) => [row.case, ...modes.map((mode) => times(row.throughput[mode]))]),
  );
}

/** TLS ÷ plain req/s and server CPU per request, per target; empty unless plain and tls both ran. */
export function tlsCostTable(rows: GoRatioRow[], targets: TargetName[], modes: Mode[]): string[] {
  if (rows.length === 0 || !modes.includes('plain') || !modes.includes('tls')) return [];
  return table(
    ['case', ...targets.map((target) => `TLS cost ${target} (TLS ÷ plain req/s)`), ...targets.map((target) => `${target} server CPU/req, TLS ÷ plain`)],
    rows.map((row) => [row.case, ...targets.map((target) => times(row.tlsCost[target])), ...targets.map((target) => times(row.tlsServerCpuPerRequest[target]))]),
  );
}

/** Auth mode ÷ plain req/s and server CPU per request, per target and auth mode; empty unless plain and an auth mode ran. */
export function authCostTable(rows: GoRatioRow[], targets: TargetName[], modes: Mode[]): string[] {
  const authModes = AUTH_MODES.filter((mode) => modes.includes(mode));
  if (rows.length === 0 || !modes.includes('plain') || authModes.length === 0) return [];
  const pairs = targets.flatMap((target) => authModes.map((mode) => ({ target, mode })));
  return table(
    ['case', ...pairs.map(({ target, mode }) => `${target} ${mode} ÷ plain req/s`), ...pairs.map(({ target, mode }) => `${target} server CPU/req, ${mode} ÷ plain`)],
    rows.map((row) => [
      row.case,
      ...pairs.map(({ target, mode }) => times(row.authCost[mode]?.[target])),
      ...pairs.map(({ target, mode }) => times(row.authServerCpuPerRequest[mode]?.[target])),
    ]),
  );
}

const MODE_DESCRIPTIONS: Record<Mode, string> = {
  plain: 'plain = plain gRPC, auth off',
  tls: 'tls = https client URL with `--client-cert-auth`; the generator presents a client certificate',
  'auth-simple': 'auth-simple = plain gRPC, auth enabled, `--auth-token=simple`; the generator runs as the non-root user `bench` (readwrite on every key)',
  'auth-jwt': 'auth-jwt = the same with `--auth-token=jwt,...,sign-method=RS256,ttl=10m` (a 2048-bit RSA key pair made for the run)',
};

export function markdownReport(metadata: RunMetadata, results: GoCaseResult[], targets: TargetName[], modes: Mode[], notes: string[]): string {
  const rounds = Math.max(1, ...results.map(roundOf));
  const lines = [
    ...reportHeader(`Go benchmark, ${modes.join(' vs ')}`, metadata),
    "Load generator: etcd's `tools/benchmark` (Go, etcd 3.4). Modes: " + modes.map((mode) => MODE_DESCRIPTIONS[mode]).join('; ') + '.',
    `Each number is the median over ${rounds} round(s) (min–max in brackets when more than one); the targets alternate within a round and who goes first alternates between rounds; every round starts fresh servers with fresh data dirs.`,
    `req/s is higher-is-better; for watch it is events received per second (its p99 is the tool's per-event receive time, near zero). ` +
      `**client-bound**: the generator used more than ${CLIENT_BOUND_CORES} of a core (generator CPU s ÷ wall s), so that target may be held back by the client, not the server; compare etcd's absolute req/s before reading a ratio. ` +
      "A cost is that mode's req/s ÷ plain req/s of the same target (1× = free).",
    '',
  ];
  for (const note of notes) lines.push(`> ${note}`, '');
  const summary = summaryTable(caseCells(results), targets, modes);
  if (summary.length > 0) lines.push(`## Medians over ${rounds} round(s)`, '', ...summary, '');
  const rows = ratioRows(results);
  const throughput = modes.length > 1 ? throughputTable(rows, targets, modes) : [];
  if (throughput.length > 0) lines.push('## etcd-ts / etcd per mode', '', ...throughput, '');
  const tls = tlsCostTable(rows, targets, modes);
  if (tls.length > 0) lines.push('## TLS cost', '', ...tls, '');
  const auth = authCostTable(rows, targets, modes);
  if (auth.length > 0) lines.push('## Auth cost', '', ...auth, '');
  lines.push('## Cases: every run', '', ...resultsTable(results), '');
  return lines.join('\n');
}
