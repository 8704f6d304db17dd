// Keys, values and seeded randomness for the workloads.

import { absoluteNowMs } from '../recorder.js';

export { seededRandom } from '../../src/pkg/seeded-random.js';

/** Key number `index` as a zero-padded decimal of at least keySizeBytes bytes (sorted = numeric order). */
export function numberedKey(prefix: string, index: number, keySizeBytes: number): Buffer {
  return Buffer.from(prefix + String(index).padStart(Math.max(1, keySizeBytes - prefix.length), '0'));
}

export function randomValue(sizeBytes: number, random: () => number): Buffer {
  const value = Buffer.allocUnsafe(sizeBytes);
  for (let index = 0; index < sizeBytes; index++) value[index] = 97 + Math.floor(random() * 26);
  return value;
}

const TIMESTAMP_BYTES = 8;

/** A copy of filler whose first 8 bytes carry the send time, so a watcher can compute delivery latency. */
export function timestampedValue(filler: Buffer): Buffer {
  const value = Buffer.alloc(Math.max(TIMESTAMP_BYTES, filler.length));
  filler.copy(value);
  value.writeDoubleLE(absoluteNowMs(), 0);
  return value;
}

export function timestampOf(value: Buffer): number | undefined {
  return value.length >= TIMESTAMP_BYTES ? value.readDoubleLE(0) : undefined;
}
