// The member's own /metrics (Prometheus text), sampled every few seconds
// into the series the cluster view charts: rates from counters, mean
// latencies from histogram sums and counts, and gauges as they are.

export type Sample = Map<string, number>;

/** Sums every series of each metric name (labels dropped), e.g. 'etcd_mvcc_put_total'. */
export function parsePrometheus(body: string): Sample {
  const values: Sample = new Map();
  for (const line of body.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    values.set(match[1]!, (values.get(match[1]!) ?? 0) + value);
  }
  return values;
}

export interface ChartSeries {
  name: string;
  points: number[];
}

export interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  series: Array<{ name: string; value: (now: Sample, before: Sample | undefined, seconds: number) => number | undefined }>;
}

const rate = (metric: string) => (now: Sample, before: Sample | undefined, seconds: number) =>
  before === undefined || seconds <= 0 ? undefined : Math.max(0, ((now.get(metric) ?? 0) - (before.get(metric) ?? 0)) / seconds);
const meanMs = (histogram: string) => (now: Sample, before: Sample | undefined) => {
  if (before === undefined) return undefined;
  const count = (now.get(`${histogram}_count`) ?? 0) - (before.get(`${histogram}_count`) ?? 0);
  const sum = (now.get(`${histogram}_sum`) ?? 0) - (before.get(`${histogram}_sum`) ?? 0);
  return count > 0 ? (sum / count) * 1000 : 0;
};
const gauge = (metric: string) => (now: Sample) => now.get(metric);

export const CHARTS: ChartSpec[] = [
  {
    id: 'requests',
    title: 'Requests per second',
    unit: '/s',
    series: [
      { name: 'range', value: rate('etcd_mvcc_range_total') },
      { name: 'put', value: rate('etcd_mvcc_put_total') },
      { name: 'delete', value: rate('etcd_mvcc_delete_total') },
      { name: 'txn', value: rate('etcd_mvcc_txn_total') },
    ],
  },
  {
    id: 'latency',
    title: 'WAL fsync and backend commit (mean)',
    unit: 'ms',
    series: [
      { name: 'wal fsync', value: meanMs('etcd_disk_wal_fsync_duration_seconds') },
      { name: 'backend commit', value: meanMs('etcd_disk_backend_commit_duration_seconds') },
    ],
  },
  { id: 'proposals', title: 'Proposals pending', unit: '', series: [{ name: 'pending', value: gauge('etcd_server_proposals_pending') }] },
  {
    id: 'db-size',
    title: 'Database size',
    unit: 'B',
    series: [
      { name: 'total', value: gauge('etcd_mvcc_db_total_size_in_bytes') },
      { name: 'in use', value: gauge('etcd_mvcc_db_total_size_in_use_in_bytes') },
    ],
  },
  { id: 'leader-changes', title: 'Leader changes seen', unit: '', series: [{ name: 'changes', value: gauge('etcd_server_leader_changes_seen_total') }] },
];

/** Samples /metrics every `intervalMs`, keeping `keep` points per series. */
export class MetricsHistory {
  readonly series = new Map<string, number[]>();
  private previous: { sample: Sample; at: number } | undefined;
  private timer: number | undefined;
  lastError = '';

  constructor(
    private readonly onUpdate: () => void,
    private readonly intervalMs = 2000,
    private readonly keep = 150,
  ) {}

  start(): void {
    if (this.timer !== undefined) return;
    void this.sample();
    this.timer = window.setInterval(() => void this.sample(), this.intervalMs);
  }

  stop(): void {
    window.clearInterval(this.timer);
    this.timer = undefined;
  }

  private async sample(): Promise<void> {
    let sample: Sample;
    try {
      const response = await fetch('/metrics', { signal: AbortSignal.timeout(this.intervalMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      sample = parsePrometheus(await response.text());
      this.lastError = '';
    } catch (error) {
      this.lastError = `metrics unavailable: ${(error as Error).message}`;
      this.onUpdate();
      return;
    }
    const at = Date.now();
    const seconds = this.previous ? (at - this.previous.at) / 1000 : 0;
    for (const chart of CHARTS) {
      for (const series of chart.series) {
        const value = series.value(sample, this.previous?.sample, seconds);
        if (value === undefined) continue;
        const key = `${chart.id}/${series.name}`;
        const points = this.series.get(key) ?? [];
        points.push(value);
        if (points.length > this.keep) points.shift();
        this.series.set(key, points);
      }
    }
    this.previous = { sample, at };
    this.onUpdate();
  }
}
