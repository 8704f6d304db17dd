// Size accounting for entries, used to bound messages and Ready batches.

import type { Entry } from './types.js';

/** Fixed cost charged per entry for its header (term, index, type), so empty entries count too. */
const ENTRY_HEADER_BYTES = 16;

export function entrySizeBytes(entry: Entry): number {
  return entry.data.length + ENTRY_HEADER_BYTES;
}

export function payloadSizeBytes(entries: readonly Entry[]): number {
  let total = 0;
  for (const entry of entries) total += entry.data.length;
  return total;
}

/** The longest prefix of `entries` within maxSizeBytes, but always at least one entry. */
export function limitSize(entries: Entry[], maxSizeBytes: number): Entry[] {
  if (entries.length === 0) return entries;
  let total = entrySizeBytes(entries[0]!);
  let count = 1;
  while (count < entries.length) {
    total += entrySizeBytes(entries[count]!);
    if (total > maxSizeBytes) break;
    count++;
  }
  return count === entries.length ? entries : entries.slice(0, count);
}
