// Results of `npm run bench:go`: one row per (case, target, mode), the
// etcd-ts / etcd ratios per mode, the TLS cost per target (TLS req/s ÷ plain
// req/s) and the auth cost per target (auth-simple and auth-jwt req/s ÷
// plain req/s), as Markdown for people and JSON for later.

import { escapeCell, reportHeader, type RunMetadata } from '../report.js';
import { ratio } from '../stats.js';
import type { TargetName } from '../targets.js';
import type { BenchmarkSummary } from './benchmark-tool.js';
import { AUTH_MODES, isAuthMode, MODES, type AuthMode, type CaseName, type Mode, type Transport } from './options.js';

export interface GoCaseResult {
  case: CaseName;
  command: 'put' | 'range';
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

/** The end of a results file's name: go-auth when an auth mode ran, else go-tls (as before the auth modes). */
export function resultsStemSuffix(modes: readonly Mode[]): string {
  return modes.some(isAuthMode) ? 'go-auth' : 'go-tls';
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
  const head = `${result.case.padEnd(9)} ${result.target.padEnd(7)} ${modeOf(result).padEnd(11)} clients=${String(result.clients).padEnd(4)} conns=${String(result.conns).padEnd(3)} total=${String(result.total).padEnd(6)}`;
  if (result.status !== 'ok') return `${head} FAILED: ${(result.note ?? '').split('\n')[0]}`;
  return (
    `${head} ${fixed(result.requestsPerSecond, 0).padStart(7)} req/s  p50 ${fixed(result.p50Ms, 2)} p99 ${fixed(result.p99Ms, 2)} ms | ` +
    `server cpu ${fixed(result.serverCpuSeconds, 2)} s (${fixed(result.serverCpuMsPerRequest, 3)} ms/req) | generator cpu ${fixed(result.generatorCpuSeconds, 2)} s` +
    (result.errorCount ? ` | ${result.errorCount} errors` : '')
  );
}

function find(results: GoCaseResult[], caseName: CaseName, target: TargetName, mode: Mode): GoCaseResult | undefined {
  return results.find((result) => result.case === caseName && result.target === target && modeOf(result) === mode && result.status === 'ok');
}

export function ratioRows(results: GoCaseResult[]): GoRatioRow[] {
  const rows: GoRatioRow[] = [];
  const targets = [...new Set(results.map((result) => result.target))];
  const modes = modesIn(results);
  const authModes = AUTH_MODES.filter((mode) => modes.includes(mode));
  for (const caseName of [...new Set(results.map((result) => result.case))]) {
    const rps = (target: TargetName, mode: Mode) => find(results, caseName, target, mode)?.requestsPerSecond;
    const cpu = (target: TargetName, mode: Mode) => find(results, caseName, target, mode)?.serverCpuMsPerRequest;
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

export function resultsTable(results: GoCaseResult[]): string[] {
  const lines = [
    '| case | clients | conns | requests | target | mode | req/s | p50 ms | p99 ms | errors | server CPU s | server CPU ms/req | generator CPU s |',
    '|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const result of results) {
    const head = `| ${result.case} | ${result.clients} | ${result.conns} | ${result.total} | ${result.target} | ${modeOf(result)} |`;
    if (result.status !== 'ok') {
      lines.push(`${head} **failed**: ${escapeCell((result.note ?? '').split('\n')[0]!)} | | | | | | |`);
      continue;
    }
    lines.push(
      `${head} ${fixed(result.requestsPerSecond, 0)} | ${fixed(result.p50Ms, 2)} | ${fixed(result.p99Ms, 2)} | ${result.errorCount ?? '–'} | ` +
        `${fixed(result.serverCpuSeconds, 2)} | ${fixed(result.serverCpuMsPerRequest, 3)} | ${fixed(result.generatorCpuSeconds, 2)} |`,
    );
  }
  return lines;
}

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `|---|${header.slice(1).map(() => '---:').join('|')}|`, ...rows.map((cells) => `| ${cells.join(' | ')} |`)];
}

/** etcd-ts req/s ÷ etcd req/s per mode; empty unless both targets ran. */
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
  const lines = [
    ...reportHeader(`Go benchmark, ${modes.join(' vs ')}`, metadata),
    "Load generator: etcd's `tools/benchmark` (Go, etcd 3.4). Modes: " + modes.map((mode) => MODE_DESCRIPTIONS[mode]).join('; ') + '.',
    'req/s is higher-is-better; a cost is that mode\'s req/s ÷ plain req/s of the same target (1× = free).',
    '',
  ];
  for (const note of notes) lines.push(`> ${note}`, '');
  lines.push('## Cases', '', ...resultsTable(results), '');
  const rows = ratioRows(results);
  const throughput = throughputTable(rows, targets, modes);
  if (throughput.length > 0) lines.push('## etcd-ts / etcd', '', ...throughput, '');
  const tls = tlsCostTable(rows, targets, modes);
  if (tls.length > 0) lines.push('## TLS cost', '', ...tls, '');
  const auth = authCostTable(rows, targets, modes);
  if (auth.length > 0) lines.push('## Auth cost', '', ...auth, '');
  return lines.join('\n');
}
