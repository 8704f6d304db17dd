// Latency summaries: nearest-rank percentiles over every recorded sample
// (no histogram buckets, so p99.9 of a short run is an observed value, not
// an interpolation).

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

/** The nearest-rank percentile of samples already sorted ascending; NaN when empty. */
export function percentileOfSorted(sortedMs: ArrayLike<number>, percent: number): number {
  if (!(percent >= 0 && percent <= 100)) throw new RangeError(`percentile out of range: ${percent}`);
  const count = sortedMs.length;
  if (count === 0) return Number.NaN;
  // The epsilon keeps float noise (99.9 / 100 * 1000 = 999.0000000000001) from bumping the rank.
  const rank = Math.max(1, Math.ceil((percent / 100) * count - 1e-9));
  return sortedMs[rank - 1]!;
}

/** Sorts a copy (the caller's samples are left untouched) and summarises it. */
export function summarizeLatencies(samplesMs: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(samplesMs).sort();
  let totalMs = 0;
  for (let index = 0; index < sorted.length; index++) totalMs += sorted[index]!;
  return {
    count: sorted.length,
    meanMs: sorted.length === 0 ? Number.NaN : totalMs / sorted.length,
    p50Ms: percentileOfSorted(sorted, 50),
    p90Ms: percentileOfSorted(sorted, 90),
    p99Ms: percentileOfSorted(sorted, 99),
    p999Ms: percentileOfSorted(sorted, 99.9),
    maxMs: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!,
  };
}

/** Concatenates sample arrays from several workers into one. */
export function concatSamples(parts: ArrayLike<number>[]): Float64Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const merged = new Float64Array(total);
  let offset = 0;
  for (const part of parts) {
    merged.set(part, offset);
    offset += part.length;
  }
  return merged;
}

/** ours / theirs, or null when either side is missing or the divisor is zero. */
export function ratio(ours: number | undefined | null, theirs: number | undefined | null): number | null {
  if (ours == null || theirs == null || !Number.isFinite(ours) || !Number.isFinite(theirs) || theirs === 0) return null;
  return ours / theirs;
}

/** A growable buffer of float samples, cheaper than pushing onto a JS array. */
export class SampleBuffer {
  private samples = new Float64Array(1024);
  length = 0;

  push(valueMs: number): void {
    if (this.length === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.length++] = valueMs;
  }

  /** A trimmed copy, safe to transfer to another thread. */
  toArray(): Float64Array {
    return this.samples.slice(0, this.length);
  }
}

/** The median of the finite values (the mean of the middle two for an even count), or null when there are none. */
export function median(values: readonly (number | null | undefined)[]): number | null {
  const sorted = finite(values).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** The smallest and largest finite value, or null when there are none. */
export function minMax(values: readonly (number | null | undefined)[]): { min: number; max: number } | null {
  const present = finite(values);
  if (present.length === 0) return null;
  return { min: Math.min(...present), max: Math.max(...present) };
}

function finite(values: readonly (number | null | undefined)[]): number[] {
  return values.filter((value): value is number => value != null && Number.isFinite(value));
}
