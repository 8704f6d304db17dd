import type { KeyValue } from '../../mvcc/index.js';
import type { RangeReader } from './range.js';
import { CompareResult, CompareTarget, type Compare } from './types.js';
import { compareInt64 } from '../../pkg/int64.js';

const emptyBuffer = Buffer.alloc(0);
const missingKeyValue: KeyValue = { key: emptyBuffer, create_revision: 0, mod_revision: 0, version: 0, value: emptyBuffer, lease: 0 };

/** True when every compare holds (etcd's applyCompares). */
export function applyCompares(reader: RangeReader, compares: readonly Compare[]): boolean {
  return compares.every((compare) => applyCompare(reader, compare));
}

/**
 * etcd's applyCompare: every key in the compare's range must satisfy it. With no key,
 * a VALUE compare fails and the others compare against zeros (so "version = 0" or
 * "create_revision = 0" test that a key does not exist).
 */
export function applyCompare(reader: RangeReader, compare: Compare): boolean {
  let kvs: KeyValue[];
  try {
    kvs = reader.range(compare.key, compare.range_end, {}).kvs;
  } catch {
    return false;
  }
  if (kvs.length === 0) {
    if (compare.target === CompareTarget.VALUE) return false;
    return compareKeyValue(compare, missingKeyValue);
  }
  return kvs.every((kv) => compareKeyValue(compare, kv));
}

function compareKeyValue(compare: Compare, kv: KeyValue): boolean {
  let order: number;
  switch (compare.target) {
    case CompareTarget.VALUE:
      order = Buffer.compare(kv.value, compare.target_union === 'value' ? (compare.value ?? emptyBuffer) : emptyBuffer);
      break;
    case CompareTarget.CREATE:
      order = sign(kv.create_revision - (compare.target_union === 'create_revision' ? (compare.create_revision ?? 0) : 0));
      break;
    case CompareTarget.MOD:
      order = sign(kv.mod_revision - (compare.target_union === 'mod_revision' ? (compare.mod_revision ?? 0) : 0));
      break;
    case CompareTarget.VERSION:
      order = sign(kv.version - (compare.target_union === 'version' ? (compare.version ?? 0) : 0));
      break;
    case CompareTarget.LEASE:
      order = compareInt64(kv.lease, compare.target_union === 'lease' ? (compare.lease ?? 0) : 0);
      break;
    default:
      order = 0;
  }
  switch (compare.result) {
    case CompareResult.EQUAL:
      return order === 0;
    case CompareResult.NOT_EQUAL:
      return order !== 0;
    case CompareResult.GREATER:
      return order > 0;
    case CompareResult.LESS:
      return order < 0;
    default:
      return true;
  }
}

function sign(difference: number): number {
  return difference < 0 ? -1 : difference > 0 ? 1 : 0;
}
