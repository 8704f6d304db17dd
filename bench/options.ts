// The command line: `npm run bench:node -- --target both --workloads put,range ...`.
// Defaults finish in a few minutes on a 2-core machine.

import { parseArgs } from 'node:util';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PROJECT_ROOT, TARGET_NAMES, type TargetName } from './targets.js';
import { DEFAULT_WORKLOAD_OPTIONS, parseWatchScaleCases, type WorkloadOptions } from './workload-options.js';
import { WORKLOADS } from './workloads/index.js';

export interface BenchOptions {
  targets: TargetName[];
  workloadNames: string[];
  clientCounts: number[];
  /** Total gRPC connections per case; undefined = one per 10 clients (at least one per worker). */
  connectionCount: number | undefined;
  workerCount: number;
  requestsTotal: number;
  maxSecondsPerCase: number;
  memberCount: number;
  /** Try a multi-member etcd-ts cluster even though targets.ts says it is unsupported. */
  dataRoot: string;
  resultsDir: string;
  writeResults: boolean;
  etcdBinary: string;
  serverFlags: string[];
  seed: number;
  workload: WorkloadOptions;
}

export const USAGE = `Usage: npm run bench:node -- [options]

The TypeScript load generator (grpc-js in worker threads), for what etcd's Go
benchmark tool cannot do: k8s-like, watch-scale, lease-scale, key-memory. It
takes 1.5 of 2 cores itself, so its put/range/txn-put numbers are client-bound:
npm run bench measures those with the Go tool.

Targets and shape
  --target both|etcd-ts|etcd     servers to start (default both; "both" alternates them per workload)
  --workloads LIST               ${WORKLOADS.map((workload) => workload.name).join(',')}
                                 (default: all but the opt-in ${WORKLOADS.filter((workload) => workload.optIn).map((workload) => workload.name).join(', ')})
  --clients LIST                 client counts, one case each (default 1,10,100)
  --conns N                      gRPC connections per case (default: clients/10, at least one per worker)
  --workers N                    load-generator worker threads (default 2)
  --total N                      requests per case (default 5000)
  --max-seconds S                stop issuing requests after S seconds per case (default 8)
  --members 1|3                  members per server cluster (default 1)
  --data-dir-root DIR            where fresh data dirs are made, same for every target (default ${tmpdir()})
  --results-dir DIR              where JSON and Markdown go (default bench/results)
  --no-write                     print only, write no result files
  --etcd-binary PATH             the real etcd (default /usr/bin/etcd)
  --server-flag FLAG             extra flag for every server, repeatable (e.g. --server-flag=--snapshot-count=10000)
  --seed N                       seed for keys and operation mixes (default 1)

Workload knobs
  --key-size N --val-size N      put/txn-put/range key and value bytes (default 8, 256)
  --key-space N                  distinct keys for put/txn-put (default 100000)
  --sequential-keys              put keys in order instead of at random
  --consistency l|s              range: linearizable or serializable (default l)
  --range-keys N                 keys per range request (default 1)
  --txn-ops N                    puts per txn-put transaction (default 1)
  --watch-puts N                 watch: puts observed by every watcher (default 500)
  --watch-put-rate N             watch: puts per second (default 250)
  --k8s-namespaces N             k8s-like: namespaces, each listed as a unit (default 10)
  --k8s-seed-objects N           k8s-like: objects written before the case (default 1000)
  --k8s-page-size N              k8s-like: list page size (default 100)
  --k8s-val-size N               k8s-like: object bytes (default 1024)
  --k8s-watchers N               k8s-like: prefix watchers per worker thread (default 2)
  --watch-scale-cases LIST       watch-scale: STREAMSxWATCHERS_PER_STREAM per case, replaces --clients (default 1x10000,1000x10)
  --watch-scale-keys N           watch-scale: distinct watched keys; watcher i watches key i mod N (default 1000)
  --watch-scale-put-rate N       watch-scale: puts per second, round-robin over the keys (default 50)
  --watch-scale-seconds S        watch-scale: measured period per case, replaces --max-seconds (default 10)
  --lease-scale-leases N         lease-scale: live leases (default 100000)
  --lease-scale-streams N        lease-scale: LeaseKeepAlive streams sharing them, replaces --clients (default 4)
  --lease-scale-ttl S            lease-scale: lease TTL in seconds (default 60)
  --lease-scale-sweep-seconds S  lease-scale: every lease is renewed once per S seconds (default 20)
  --lease-scale-seconds S        lease-scale: measured keep-alive period, replaces --max-seconds (default 30)
  --key-memory-keys N            key-memory: keys of --val-size bytes loaded before measuring RSS (default 1000000)
`;

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} wants a positive integer, got "${text}"`);
  return value;
}

function list(text: string): string[] {
  return text.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
}

export function parseOptions(argv: string[]): BenchOptions | 'help' {
  const integer = { type: 'string' } as const;
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      target: { type: 'string', default: 'both' },
      workloads: { type: 'string', default: WORKLOADS.filter((workload) => !workload.optIn).map((workload) => workload.name).join(',') },
      clients: { type: 'string', default: '1,10,100' },
      conns: integer,
      workers: { type: 'string', default: '2' },
      total: { type: 'string', default: '5000' },
      'max-seconds': { type: 'string', default: '8' },
      members: { type: 'string', default: '1' },
      'data-dir-root': { type: 'string', default: tmpdir() },
      'results-dir': { type: 'string', default: join(PROJECT_ROOT, 'bench', 'results') },
      'no-write': { type: 'boolean', default: false },
      'etcd-binary': { type: 'string', default: '/usr/bin/etcd' },
      'server-flag': { type: 'string', multiple: true, default: [] },
      seed: { type: 'string', default: '1' },
      'key-size': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.keySizeBytes) },
      'val-size': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.valueSizeBytes) },
      'key-space': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.keySpaceSize) },
      'sequential-keys': { type: 'boolean', default: false },
      consistency: { type: 'string', default: DEFAULT_WORKLOAD_OPTIONS.rangeConsistency },
      'range-keys': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.rangeKeyCount) },
      'txn-ops': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.txnOpsPerRequest) },
      'watch-puts': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.watchPutCount) },
      'watch-put-rate': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.watchPutRatePerSecond) },
      'k8s-namespaces': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.k8sNamespaceCount) },
      'k8s-seed-objects': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.k8sSeedObjectCount) },
      'k8s-page-size': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.k8sPageSize) },
      'k8s-val-size': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.k8sValueSizeBytes) },
      'k8s-watchers': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.k8sWatchersPerWorker) },
      'watch-scale-cases': { type: 'string', default: DEFAULT_WORKLOAD_OPTIONS.watchScaleCases.map((item) => `${item.streams}x${item.watchersPerStream}`).join(',') },
      'watch-scale-keys': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.watchScaleKeyCount) },
      'watch-scale-put-rate': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.watchScalePutRatePerSecond) },
      'watch-scale-seconds': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.watchScaleSeconds) },
      'lease-scale-leases': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.leaseScaleLeaseCount) },
      'lease-scale-streams': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.leaseScaleStreams) },
      'lease-scale-ttl': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.leaseScaleTtlSeconds) },
      'lease-scale-sweep-seconds': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.leaseScaleSweepSeconds) },
      'lease-scale-seconds': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.leaseScaleSeconds) },
      'key-memory-keys': { type: 'string', default: String(DEFAULT_WORKLOAD_OPTIONS.keyMemoryKeyCount) },
    },
  });
  if (values.help) return 'help';

  const target = values.target!;
  if (target !== 'both' && !TARGET_NAMES.includes(target as TargetName)) throw new Error(`--target wants both, etcd-ts or etcd, got "${target}"`);
  const workloadNames = list(values.workloads!);
  for (const name of workloadNames) {
    if (!WORKLOADS.some((workload) => workload.name === name)) throw new Error(`unknown workload "${name}" (known: ${WORKLOADS.map((workload) => workload.name).join(', ')})`);
  }
  const consistency = values.consistency!;
  if (consistency !== 'l' && consistency !== 's') throw new Error(`--consistency wants l or s, got "${consistency}"`);
  const number = (name: keyof typeof values) => positiveInteger(name, values[name] as string);

  return {
    targets: target === 'both' ? [...TARGET_NAMES] : [target as TargetName],
    workloadNames,
    clientCounts: list(values.clients!).map((text) => positiveInteger('clients', text)),
    connectionCount: values.conns === undefined ? undefined : positiveInteger('conns', values.conns),
    workerCount: number('workers'),
    requestsTotal: number('total'),
    maxSecondsPerCase: number('max-seconds'),
    memberCount: number('members'),
    dataRoot: resolve(values['data-dir-root']!),
    resultsDir: resolve(values['results-dir']!),
    writeResults: !values['no-write'],
    etcdBinary: values['etcd-binary']!,
    serverFlags: values['server-flag']!,
    seed: number('seed'),
    workload: {
      keySizeBytes: number('key-size'),
      valueSizeBytes: number('val-size'),
      keySpaceSize: number('key-space'),
      sequentialKeys: values['sequential-keys']!,
      rangeConsistency: consistency,
      rangeKeyCount: number('range-keys'),
      txnOpsPerRequest: number('txn-ops'),
      watchPutCount: number('watch-puts'),
      watchPutRatePerSecond: number('watch-put-rate'),
      leaseTtlSeconds: DEFAULT_WORKLOAD_OPTIONS.leaseTtlSeconds,
      k8sNamespaceCount: number('k8s-namespaces'),
      k8sSeedObjectCount: number('k8s-seed-objects'),
      k8sPageSize: number('k8s-page-size'),
      k8sValueSizeBytes: number('k8s-val-size'),
      k8sWatchersPerWorker: Number(values['k8s-watchers']),
      watchScaleCases: parseWatchScaleCases(values['watch-scale-cases']!),
      watchScaleKeyCount: number('watch-scale-keys'),
      watchScalePutRatePerSecond: number('watch-scale-put-rate'),
      watchScaleSeconds: number('watch-scale-seconds'),
      leaseScaleLeaseCount: number('lease-scale-leases'),
      leaseScaleStreams: number('lease-scale-streams'),
      leaseScaleTtlSeconds: number('lease-scale-ttl'),
      leaseScaleSweepSeconds: number('lease-scale-sweep-seconds'),
      leaseScaleSeconds: number('lease-scale-seconds'),
      keyMemoryKeyCount: number('key-memory-keys'),
    },
  };
}

export function connectionsFor(options: BenchOptions, clientCount: number): number {
  return options.connectionCount ?? Math.ceil(clientCount / 10);
}
