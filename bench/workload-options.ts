// Knobs of the workloads, shared by the CLI (options.ts), the main thread and
// the worker threads (so everything here must survive structured cloning).

export interface WorkloadOptions {
  keySizeBytes: number;
  valueSizeBytes: number;
  keySpaceSize: number;
  sequentialKeys: boolean;
  /** 'l' linearizable (ReadIndex) or 's' serializable (local read), as etcd's benchmark spells it. */
  rangeConsistency: 'l' | 's';
  /** Keys returned by one range request; 1 is a single-key get. */
  rangeKeyCount: number;
  txnOpsPerRequest: number;
  watchPutCount: number;
  watchPutRatePerSecond: number;
  leaseTtlSeconds: number;
  k8sNamespaceCount: number;
  k8sSeedObjectCount: number;
  k8sPageSize: number;
  k8sValueSizeBytes: number;
  k8sWatchersPerWorker: number;
  /** watch-scale: one case per shape, streams x watchers on each stream. */
  watchScaleCases: WatchScaleCase[];
  /** watch-scale: distinct keys watched (watcher i watches key i mod this), so a put reaches watchers/keys watchers. */
  watchScaleKeyCount: number;
  watchScalePutRatePerSecond: number;
  /** watch-scale: the measured period of puts, per case. */
  watchScaleSeconds: number;
  leaseScaleLeaseCount: number;
  /** lease-scale: LeaseKeepAlive streams sharing the leases (one client each). */
  leaseScaleStreams: number;
  leaseScaleTtlSeconds: number;
  /** lease-scale: every lease is renewed once per this many seconds. */
  leaseScaleSweepSeconds: number;
  /** lease-scale: the measured keep-alive period. */
  leaseScaleSeconds: number;
  /** key-memory: keys loaded before the measured period. */
  keyMemoryKeyCount: number;
}

export interface WatchScaleCase {
  streams: number;
  watchersPerStream: number;
}

/** "1x10000,1000x10": streams x watchers per stream. */
export function parseWatchScaleCases(text: string): WatchScaleCase[] {
  const cases = text.split(',').map((item) => item.trim()).filter((item) => item.length > 0).map((item) => {
    const match = /^(\d+)x(\d+)$/.exec(item);
    if (!match || Number(match[1]) < 1 || Number(match[2]) < 1) throw new Error(`--watch-scale-cases wants STREAMSxWATCHERS_PER_STREAM items like 1x10000, got "${item}"`);
    return { streams: Number(match[1]), watchersPerStream: Number(match[2]) };
  });
  if (new Set(cases.map((item) => item.streams)).size !== cases.length) throw new Error('--watch-scale-cases: one case per stream count');
  return cases;
}

export const DEFAULT_WORKLOAD_OPTIONS: WorkloadOptions = {
  keySizeBytes: 8,
  valueSizeBytes: 256,
  keySpaceSize: 100_000,
  sequentialKeys: false,
  rangeConsistency: 'l',
  rangeKeyCount: 1,
  txnOpsPerRequest: 1,
  watchPutCount: 500,
  watchPutRatePerSecond: 250,
  leaseTtlSeconds: 60,
  k8sNamespaceCount: 10,
  k8sSeedObjectCount: 1000,
  k8sPageSize: 100,
  k8sValueSizeBytes: 1024,
  k8sWatchersPerWorker: 2,
  watchScaleCases: [
    { streams: 1, watchersPerStream: 10_000 },
    { streams: 1000, watchersPerStream: 10 },
  ],
  watchScaleKeyCount: 1000,
  watchScalePutRatePerSecond: 50,
  watchScaleSeconds: 10,
  leaseScaleLeaseCount: 100_000,
  leaseScaleStreams: 4,
  leaseScaleTtlSeconds: 60,
  leaseScaleSweepSeconds: 20,
  leaseScaleSeconds: 30,
  keyMemoryKeyCount: 1_000_000,
};

/** Everything one (workload, target, client count) run needs. */
export interface CaseParameters {
  workloadName: string;
  options: WorkloadOptions;
  clientCount: number;
  requestsTotal: number;
  maxDurationMs: number;
  seed: number;
}

/** How many of requestsTotal this client issues: an even split, the first ones take the remainder. */
export function requestsForClient(clientId: number, clientCount: number, requestsTotal: number): number {
  const base = Math.floor(requestsTotal / clientCount);
  return base + (clientId < requestsTotal % clientCount ? 1 : 0);
}
