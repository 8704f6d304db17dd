/**
 * The keys a watcher covers: one key (`end` undefined), every key >= `key`
 * (`end` 'unbounded', etcd's range_end "\0"), or the half-open range [key, end).
 */
export interface WatchKeyRange {
  readonly key: Buffer;
  readonly end: Buffer | 'unbounded' | undefined;
}

export function rangeContains(range: WatchKeyRange, key: Buffer): boolean {
  if (range.end === undefined) return range.key.equals(key);
  if (Buffer.compare(key, range.key) < 0) return false;
  return range.end === 'unbounded' || Buffer.compare(key, range.end) < 0;
}

/** True when the range holds no key at all (etcd refuses such watchers). */
export function rangeIsEmpty(range: WatchKeyRange): boolean {
  return range.end instanceof Buffer && Buffer.compare(range.key, range.end) >= 0;
}
