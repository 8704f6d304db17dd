// Results of `npm run bench:go`: one row per (case, target, transport), the
// etcd-ts / etcd ratios per transport, and the TLS cost per target
// (TLS req/s ÷ plain req/s), as Markdown for people and JSON for later.

import { escapeCell, reportHeader, type RunMetadata } from '../report.js';
import { ratio } from '../stats.js';
import type { TargetName } from '../targets.js';
import type { BenchmarkSummary } from './benchmark-tool.js';
import type { CaseName, Transport } from './options.js';

export interface GoCaseResult {
  case: CaseName;
  command: 'put' | 'range';
  clients: number;
  conns: number;
  total: number;
  target: TargetName;
  transport: Transport;
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
}

function fixed(value: number | null | undefined, digits: number): string {
  return value == null || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function times(value: number | null | undefined): string {
  return value == null ? '–' : `${value.toFixed(2)}×`;
}

export function caseLine(result: GoCaseResult): string {
  const head = `${result.case.padEnd(9)} ${result.target.padEnd(7)} ${result.transport.padEnd(5)} clients=${String(result.clients).padEnd(4)} conns=${String(result.conns).padEnd(3)} total=${String(result.total).padEnd(6)}`;
  if (result.status !== 'ok') return `${head} FAILED: ${(result.note ?? '').split('\n')[0]}`;
  return (
    `${head} ${fixed(result.requestsPerSecond, 0).padStart(7)} req/s  p50 ${fixed(result.p50Ms, 2)} p99 ${fixed(result.p99Ms, 2)} ms | ` +
    `server cpu ${fixed(result.serverCpuSeconds, 2)} s (${fixed(result.serverCpuMsPerRequest, 3)} ms/req) | generator cpu ${fixed(result.generatorCpuSeconds, 2)} s` +
    (result.errorCount ? ` | ${result.errorCount} errors` : '')
  );
}

function find(results: GoCaseResult[], caseName: CaseName, target: TargetName, transport: Transport): GoCaseResult | undefined {
  return results.find((result) => result.case === caseName && result.target === target && result.transport === transport && result.status === 'ok');
}

export function ratioRows(results: GoCaseResult[]): GoRatioRow[] {
  const rows: GoRatioRow[] = [];
  for (const caseName of [...new Set(results.map((result) => result.case))]) {
    const rps = (target: TargetName, transport: Transport) => find(results, caseName, target, transport)?.requestsPerSecond;
    const cpu = (target: TargetName, transport: Transport) => find(results, caseName, target, transport)?.serverCpuMsPerRequest;
    const targets = [...new Set(results.map((result) => result.target))];
    rows.push({
      case: caseName,
      plainThroughput: ratio(rps('etcd-ts', 'plain'), rps('etcd', 'plain')),
      tlsThroughput: ratio(rps('etcd-ts', 'tls'), rps('etcd', 'tls')),
      tlsCost: Object.fromEntries(targets.map((target) => [target, ratio(rps(target, 'tls'), rps(target, 'plain'))])),
      tlsServerCpuPerRequest: Object.fromEntries(targets.map((target) => [target, ratio(cpu(target, 'tls'), cpu(target, 'plain'))])),
    });
  }
  return rows;
}

export function resultsTable(results: GoCaseResult[]): string[] {
  const lines = [
    '| case | clients | conns | requests | target | transport | req/s | p50 ms | p99 ms | errors | server CPU s | server CPU ms/req | generator CPU s |',
    '|---|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const result of results) {
    const head = `| ${result.case} | ${result.clients} | ${result.conns} | ${result.total} | ${result.target} | ${result.transport === 'tls' ? 'TLS' : 'plain'} |`;
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

export function ratioTable(rows: GoRatioRow[], targets: TargetName[]): string[] {
  if (rows.length === 0) return [];
  const both = targets.includes('etcd') && targets.includes('etcd-ts');
  const header = [
    '| case',
    ...(both ? ['etcd-ts / etcd req/s, plain', 'etcd-ts / etcd req/s, TLS'] : []),
    ...targets.map((target) => `TLS cost ${target} (TLS ÷ plain req/s)`),
    ...targets.map((target) => `${target} server CPU/req, TLS ÷ plain`),
  ];
  const lines = [`${header.join(' | ')} |`, `|---|${header.slice(1).map(() => '---:').join('|')}|`];
  for (const row of rows) {
    const cells = [
      `| ${row.case}`,
      ...(both ? [times(row.plainThroughput), times(row.tlsThroughput)] : []),
      ...targets.map((target) => times(row.tlsCost[target])),
      ...targets.map((target) => times(row.tlsServerCpuPerRequest[target])),
    ];
    lines.push(`${cells.join(' | ')} |`);
  }
  return lines;
}

export function markdownReport(metadata: RunMetadata, results: GoCaseResult[], targets: TargetName[], notes: string[]): string {
  const lines = [
    ...reportHeader('Go benchmark, plain vs TLS', metadata),
    "Load generator: etcd's `tools/benchmark` (Go, etcd 3.4). TLS = https client URL with `--client-cert-auth`; the generator presents a client certificate.",
    'req/s is higher-is-better; TLS cost is TLS req/s ÷ plain req/s of the same target (1× = TLS is free).',
    '',
  ];
  for (const note of notes) lines.push(`> ${note}`, '');
  lines.push('## Cases', '', ...resultsTable(results), '');
  const ratios = ratioTable(ratioRows(results), targets);
  if (ratios.length > 0) lines.push('## Ratios', '', ...ratios, '');
  return lines.join('\n');
}
