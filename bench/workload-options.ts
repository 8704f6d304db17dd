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
