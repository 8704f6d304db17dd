// Human-readable output: one console line per case while running, and the
// Markdown report (per workload: every case, then etcd-ts/etcd ratios).

import type { CaseResult } from './case-result.js';
import { ratio } from './stats.js';

export interface RunMetadata {
  startedAt: string;
  label: string;
  commandLine: string;
  gitCommit: string;
  nodeVersion: string;
  etcdVersion: string;
  cpuModel: string;
  cpuCount: number;
  dataRootFilesystem: string;
  settings: Record<string, unknown>;
}

const megabyte = 1024 * 1024;

function fixed(value: number | null | undefined, digits: number): string {
  return value == null || !Number.isFinite(value) ? '–' : value.toFixed(digits);
}

function times(value: number | null): string {
  return value == null ? '–' : `${value.toFixed(2)}×`;
}

export function caseLine(result: CaseResult): string {
  const head = `${result.workload.padEnd(15)} ${result.target.padEnd(7)} clients=${String(result.clientCount).padEnd(5)}`;
  if (result.status !== 'ok') return `${head} ${result.status.toUpperCase()}: ${result.note ?? ''}`;
  const latency = result.latency!;
  return (
    `${head} conns=${String(result.connectionCount).padEnd(4)} ${String(result.requestCount).padStart(6)} ops ` +
    `${fixed(result.requestsPerSecond, 0).padStart(7)}/s  p50 ${fixed(latency.p50Ms, 2)} p90 ${fixed(latency.p90Ms, 2)} ` +
    `p99 ${fixed(latency.p99Ms, 2)} p99.9 ${fixed(latency.p999Ms, 2)} ms | server cpu ${fixed(result.server?.cpuSeconds, 2)} s ` +
    `peak rss ${fixed((result.server?.peakRssBytes ?? Number.NaN) / megabyte, 0)} MB | bench cpu ${fixed(result.loadGenerator?.cpuPercentOfOneCore, 0)}%` +
    (result.metrics ? ` | ${Object.entries(result.metrics).map(([name, value]) => `${name} ${formatMetric(value)}`).join(' ')}` : '') +
    (result.note ? `  (${result.note})` : '')
  );
}

function formatMetric(value: number): string {
  if (!Number.isFinite(value)) return '–';
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(3);
}

/** Workload-specific numbers (metrics), one row per case, and etcd-ts / etcd per metric where both ran. */
function metricsTable(results: CaseResult[]): string[] {
  const names = [...new Set(results.flatMap((result) => Object.keys(result.metrics ?? {})))];
  if (names.length === 0) return [];
  const lines = ['', 'Workload metrics:', '', `| clients | target | ${names.join(' | ')} |`, `|---:|---|${names.map(() => '---:').join('|')}|`];
  for (const result of results) {
    if (!result.metrics) continue;
    lines.push(`| ${result.clientCount} | ${result.target} | ${names.map((name) => formatMetric(result.metrics![name] ?? Number.NaN)).join(' | ')} |`);
  }
  for (const ours of results) {
    const theirs = results.find((candidate) => candidate.target === 'etcd' && candidate.metrics && candidate.clientCount === ours.clientCount);
    if (ours.target !== 'etcd-ts' || !ours.metrics || !theirs) continue;
    lines.push(`| ${ours.clientCount} | etcd-ts / etcd | ${names.map((name) => times(ratio(ours.metrics![name], theirs.metrics![name]))).join(' | ')} |`);
  }
  return lines;
}

function caseTable(results: CaseResult[]): string[] {
  const lines = [
    '| clients | conns | target | ops/s | p50 ms | p90 ms | p99 ms | p99.9 ms | errors | server CPU s | server CPU ms/op | server peak RSS MB | bench CPU % of a core |',
    '|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const result of results) {
    if (result.status !== 'ok') {
      lines.push(`| ${result.clientCount} | | ${result.target} | **${result.status}**: ${escapeCell(result.note ?? '')} | | | | | | | | | |`);
      continue;
    }
    const latency = result.latency!;
    lines.push(
      `| ${result.clientCount} | ${result.connectionCount} | ${result.target} | ${fixed(result.requestsPerSecond, 0)} | ${fixed(latency.p50Ms, 2)} | ${fixed(latency.p90Ms, 2)} | ` +
        `${fixed(latency.p99Ms, 2)} | ${fixed(latency.p999Ms, 2)} | ${result.errorCount} | ${fixed(result.server?.cpuSeconds, 2)} | ` +
        `${fixed(result.server?.cpuMillisecondsPerRequest, 3)} | ${fixed((result.server?.peakRssBytes ?? Number.NaN) / megabyte, 0)} | ${fixed(result.loadGenerator?.cpuPercentOfOneCore, 0)} |`,
    );
  }
  return lines;
}

function kindTable(results: CaseResult[]): string[] {
  const kinds = [...new Set(results.flatMap((result) => Object.keys(result.latencyByKind)))];
  if (kinds.length <= 1) return [];
  const lines = ['', 'By operation kind:', '', '| clients | target | kind | count | p50 ms | p99 ms | max ms |', '|---:|---|---|---:|---:|---:|---:|'];
  for (const result of results) {
    for (const kind of kinds) {
      const summary = result.latencyByKind[kind];
      if (summary) lines.push(`| ${result.clientCount} | ${result.target} | ${kind} | ${summary.count} | ${fixed(summary.p50Ms, 2)} | ${fixed(summary.p99Ms, 2)} | ${fixed(summary.maxMs, 2)} |`);
    }
  }
  return lines;
}

export interface RatioRow {
  workload: string;
  clientCount: number;
  throughput: number | null;
  p50: number | null;
  p99: number | null;
  serverCpuPerOp: number | null;
  serverPeakRss: number | null;
}

/** etcd-ts / etcd for every case both targets completed. */
export function ratioRows(results: CaseResult[]): RatioRow[] {
  const rows: RatioRow[] = [];
  for (const ours of results) {
    if (ours.target !== 'etcd-ts' || ours.status !== 'ok') continue;
    const theirs = results.find((candidate) => candidate.target === 'etcd' && candidate.status === 'ok' && candidate.workload === ours.workload && candidate.clientCount === ours.clientCount);
    if (!theirs) continue;
    rows.push({
      workload: ours.workload,
      clientCount: ours.clientCount,
      throughput: ratio(ours.requestsPerSecond, theirs.requestsPerSecond),
      p50: ratio(ours.latency?.p50Ms, theirs.latency?.p50Ms),
      p99: ratio(ours.latency?.p99Ms, theirs.latency?.p99Ms),
      serverCpuPerOp: ratio(ours.server?.cpuMillisecondsPerRequest, theirs.server?.cpuMillisecondsPerRequest),
      serverPeakRss: ratio(ours.server?.peakRssBytes, theirs.server?.peakRssBytes),
    });
  }
  return rows;
}

export function ratioTable(rows: RatioRow[]): string[] {
  if (rows.length === 0) return [];
  return [
    '| workload | clients | ops/s | p50 | p99 | server CPU per op | server peak RSS |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map((row) => `| ${row.workload} | ${row.clientCount} | ${times(row.throughput)} | ${times(row.p50)} | ${times(row.p99)} | ${times(row.serverCpuPerOp)} | ${times(row.serverPeakRss)} |`),
  ];
}

export function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A result file's title, command line, code, machine and settings. */
export function reportHeader(title: string, metadata: RunMetadata): string[] {
  return [
    `# ${title} ${metadata.startedAt} (${metadata.label})`,
    '',
    `\`${metadata.commandLine}\``,
    '',
    `- commit ${metadata.gitCommit}, node ${metadata.nodeVersion}, ${metadata.etcdVersion}`,
    `- ${metadata.cpuCount} × ${metadata.cpuModel}; data dirs on ${metadata.dataRootFilesystem}`,
    `- settings: ${escapeCell(JSON.stringify(metadata.settings))}`,
    '',
  ];
}

export function markdownReport(metadata: RunMetadata, results: CaseResult[], notes: string[]): string {
  const lines = [
    ...reportHeader('Benchmark', metadata),
    'Ratios are etcd-ts / etcd: above 1× is better for ops/s; below 1× is better for latency, CPU and memory.',
    '',
  ];
  for (const note of notes) lines.push(`> ${note}`, '');
  const overall = ratioTable(ratioRows(results));
  if (overall.length > 0) lines.push('## etcd-ts / etcd', '', ...overall, '');
  for (const workload of [...new Set(results.map((result) => result.workload))]) {
    const rows = results.filter((result) => result.workload === workload);
    const completed = rows.filter((row) => row.status === 'ok');
    lines.push(`## ${workload}`, '', ...caseTable(rows), ...kindTable(completed), ...metricsTable(completed), '');
  }
  return lines.join('\n');
}
