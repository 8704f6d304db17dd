import type { KeyValue, RangeOptions, RangeResult } from '../../mvcc/index.js';
import { responseHeader, SortOrder, SortTarget, type RangeRequest, type RangeResponse } from './types.js';

/** Something to range over: the store (latest state) or a write txn (sees its own writes). */
export interface RangeReader {
  range(key: Buffer, rangeEnd: Buffer | undefined, options: RangeOptions): RangeResult;
}

const emptyBuffer = Buffer.alloc(0);

/** etcd's executeRange: limit (+1 to detect `more`), revision filters, sorting, keys_only. */
export function executeRange(reader: RangeReader, request: RangeRequest): RangeResponse {
  const result = reader.range(request.key, request.range_end, {
    revision: request.revision,
    limit: rangeLimit(request),
    countOnly: request.count_only,
  });
  let kvs = filterByRevisions(result.kvs, request);
  kvs = sortKeyValues(kvs, request);
  let more = false;
  if (request.limit > 0 && kvs.length > request.limit) {
    kvs = kvs.slice(0, request.limit);
    more = true;
  }
  if (request.keys_only) kvs = kvs.map((kv) => ({ ...kv, value: emptyBuffer }));
  // As etcd: count is the number of keys in the range, before filters and limit.
  return { header: responseHeader(result.revision), kvs, more, count: result.count };
}

export function isDefaultOrdering(sortTarget: number, sortOrder: number): boolean {
  return sortOrder === SortOrder.NONE || (sortTarget === SortTarget.KEY && sortOrder === SortOrder.ASCEND);
}

export function hasRevisionFilters(request: RangeRequest): boolean {
  return (
    request.min_mod_revision !== 0 ||
    request.max_mod_revision !== 0 ||
    request.min_create_revision !== 0 ||
    request.max_create_revision !== 0
  );
}

function rangeLimit(request: RangeRequest): number {
  // Sorting or filtering needs every key; otherwise one more than asked tells `more`.
  if (!isDefaultOrdering(request.sort_target, request.sort_order) || hasRevisionFilters(request)) return 0;
  return request.limit > 0 ? request.limit + 1 : 0;
}

function filterByRevisions(kvs: KeyValue[], request: RangeRequest): KeyValue[] {
  if (!hasRevisionFilters(request)) return kvs;
  return kvs.filter(
    (kv) =>
      (request.max_mod_revision === 0 || kv.mod_revision <= request.max_mod_revision) &&
      (request.min_mod_revision === 0 || kv.mod_revision >= request.min_mod_revision) &&
      (request.max_create_revision === 0 || kv.create_revision <= request.max_create_revision) &&
      (request.min_create_revision === 0 || kv.create_revision >= request.min_create_revision),
  );
}

function sortKeyValues(kvs: KeyValue[], request: RangeRequest): KeyValue[] {
  let sortOrder = request.sort_order;
  // etcd: a sort target other than KEY with order NONE means ascending.
  if (request.sort_target !== SortTarget.KEY && sortOrder === SortOrder.NONE) sortOrder = SortOrder.ASCEND;
  if (isDefaultOrdering(request.sort_target, sortOrder)) return kvs;
  const compare = comparatorFor(request.sort_target);
  const sorted = [...kvs];
  if (sortOrder === SortOrder.DESCEND) sorted.sort((a, b) => compare(b, a));
  else sorted.sort(compare);
  return sorted;
}

function comparatorFor(sortTarget: number): (a: KeyValue, b: KeyValue) => number {
  switch (sortTarget) {
    case SortTarget.VERSION:
      return (a, b) => a.version - b.version;
    case SortTarget.CREATE:
      return (a, b) => a.create_revision - b.create_revision;
    case SortTarget.MOD:
      return (a, b) => a.mod_revision - b.mod_revision;
    case SortTarget.VALUE:
      return (a, b) => Buffer.compare(a.value, b.value);
    default:
      return (a, b) => Buffer.compare(a.key, b.key);
  }
}
