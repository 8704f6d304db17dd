// One row of results: a workload at one client count against one target.

import type { MergedRecord } from './worker-pool.js';
import type { ServerUsage } from './server-cluster.js';
import type { TargetName } from './targets.js';
import { concatSamples, summarizeLatencies, type LatencySummary } from './stats.js';

export type CaseStatus = 'ok' | 'unsupported' | 'failed' | 'skipped';

export interface CaseResult {
  workload: string;
  target: TargetName;
  memberCount: number;
  clientCount: number;
  connectionCount: number | null;
  workerCount: number | null;
  status: CaseStatus;
  note: string | null;
  /** Successful headline operations (for watch: events delivered). */
  requestCount: number;
  errorCount: number;
  durationSeconds: number;
  requestsPerSecond: number;
  latency: LatencySummary | null;
  latencyByKind: Record<string, LatencySummary>;
  server: { cpuSeconds: number; cpuMillisecondsPerRequest: number; peakRssBytes: number } | null;
  loadGenerator: { cpuSeconds: number; cpuPercentOfOneCore: number } | null;
  /** Workload-specific numbers (watch-scale: memory per watcher; lease-scale: CPU of the keep-alive period, ...). */
  metrics: Record<string, number> | null;
}

export function statusOnlyResult(base: { workload: string; target: TargetName; memberCount: number; clientCount: number }, status: CaseStatus, note: string): CaseResult {
  return {
    ...base,
    connectionCount: null,
    workerCount: null,
    status,
    note,
    requestCount: 0,
    errorCount: 0,
    durationSeconds: 0,
    requestsPerSecond: 0,
    latency: null,
    latencyByKind: {},
    server: null,
    loadGenerator: null,
    metrics: null,
  };
}

export function resultFromRecord(
  base: { workload: string; target: TargetName; memberCount: number; clientCount: number },
  headlineKinds: string[],
  record: MergedRecord,
  serverBefore: ServerUsage,
  serverAfter: ServerUsage,
  metrics: Record<string, number> | null = null,
): CaseResult {
  const latencyByKind: Record<string, LatencySummary> = {};
  for (const [kind, parts] of Object.entries(record.samplesByKind)) latencyByKind[kind] = summarizeLatencies(concatSamples(parts));
  const headline = concatSamples(headlineKinds.flatMap((kind) => record.samplesByKind[kind] ?? []));
  const durationSeconds = record.durationMs / 1000;
  const requestCount = headline.length;
  const serverCpuSeconds = serverAfter.cpuSeconds - serverBefore.cpuSeconds;
  const unsupported = record.unsupportedReason !== undefined;
  const notes: string[] = [];
  if (unsupported) notes.push(`unsupported by target: ${record.unsupportedReason}`);
  if (record.errorCount > 0) notes.push(`${record.errorCount} errors, e.g. ${record.errorMessages[0]}`);
  return {
    ...base,
    connectionCount: record.layout.connectionCount,
    workerCount: record.layout.workerCount,
    status: unsupported ? 'unsupported' : requestCount === 0 ? 'failed' : 'ok',
    note: notes.length > 0 ? notes.join('; ') : null,
    requestCount,
    errorCount: record.errorCount,
    durationSeconds,
    requestsPerSecond: durationSeconds > 0 ? requestCount / durationSeconds : 0,
    latency: requestCount > 0 ? summarizeLatencies(headline) : null,
    latencyByKind,
    server: {
      cpuSeconds: serverCpuSeconds,
      cpuMillisecondsPerRequest: requestCount > 0 ? (serverCpuSeconds * 1000) / requestCount : Number.NaN,
      peakRssBytes: serverAfter.peakRssBytes,
    },
    loadGenerator: {
      cpuSeconds: record.loadGeneratorCpuSeconds,
      cpuPercentOfOneCore: durationSeconds > 0 ? (100 * record.loadGeneratorCpuSeconds) / durationSeconds : Number.NaN,
    },
    metrics,
  };
}
