// Keys, values and seeded randomness for the workloads.

import { absoluteNowMs } from '../recorder.js';

/** mulberry32: small, fast, seeded; good enough to pick keys and operations. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

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
