import type { Event } from '../events.js';
import type { KeyValue } from '../key-value.js';

/** Numbers of a ResponseHeader may come as strings or bigints (uint64 ids). */
type WireNumber = number | string | bigint;

/** etcdserverpb.WatchResponse as @grpc/proto-loader presents it (the fields we send). */
export interface WireWatchResponse {
  header: { cluster_id: WireNumber; member_id: WireNumber; revision: WireNumber; raft_term: WireNumber };
  watch_id: number;
  created: boolean;
  canceled: boolean;
  compact_revision: number;
  cancel_reason: string;
  fragment: boolean;
  events: Event[];
}

/**
 * Splits a response whose encoding reaches `maxBytes` into fragments as etcd's
 * sendFragments does: each fragment repeats the other fields, carries as many whole
 * events as fit below the limit (at least one) and has `fragment` set, except the last.
 * A response below the limit, or with fewer than two events, is returned as it is.
 */
export function splitIntoFragments(response: WireWatchResponse, maxBytes: number): WireWatchResponse[] {
  const eventSizes = response.events.map(eventSizeBytes);
  const fixedSize = watchResponseSizeBytes({ ...response, events: [] });
  const total = eventSizes.reduce((sum, size) => sum + fieldSize(size), fixedSize);
  if (total < maxBytes || response.events.length < 2) return [response];
  // Every fragment but the last has `fragment: true` (2 more bytes).
  const fragmentFixedSize = watchResponseSizeBytes({ ...response, events: [], fragment: true });
  const fragments: WireWatchResponse[] = [];
  let position = 0;
  while (position < response.events.length) {
    let size = fragmentFixedSize;
    const start = position;
    for (; position < response.events.length; position++) {
      const next = size + fieldSize(eventSizes[position]!);
      if (position > start && next >= maxBytes) break;
      size = next;
    }
    fragments.push({ ...response, fragment: position < response.events.length, events: response.events.slice(start, position) });
  }
  return fragments;
}

/** The protobuf-encoded size of a WatchResponse. */
export function watchResponseSizeBytes(response: WireWatchResponse): number {
  const header = response.header;
  const headerSize =
    varintFieldSize(header.cluster_id) + varintFieldSize(header.member_id) + varintFieldSize(header.revision) + varintFieldSize(header.raft_term);
  let size = fieldSize(headerSize);
  size += varintFieldSize(response.watch_id);
  if (response.created) size += 2;
  if (response.canceled) size += 2;
  size += varintFieldSize(response.compact_revision);
  if (response.cancel_reason.length > 0) size += fieldSize(Buffer.byteLength(response.cancel_reason));
  if (response.fragment) size += 2;
  for (const event of response.events) size += fieldSize(eventSizeBytes(event));
  return size;
}

function eventSizeBytes(event: Event): number {
  let size = event.type === 0 ? 0 : 2;
  size += fieldSize(keyValueSizeBytes(event.kv));
  if (event.prev_kv !== undefined && event.prev_kv !== null) size += fieldSize(keyValueSizeBytes(event.prev_kv));
  return size;
}

function keyValueSizeBytes(kv: KeyValue): number {
  return (
    bytesFieldSize(kv.key.length) +
    varintFieldSize(kv.create_revision) +
    varintFieldSize(kv.mod_revision) +
    varintFieldSize(kv.version) +
    bytesFieldSize(kv.value.length) +
    varintFieldSize(kv.lease)
  );
}

/** A length-delimited field (tag < 16) holding `length` bytes, present even when empty. */
function fieldSize(length: number): number {
  return 1 + varintSize(BigInt(length)) + length;
}

/** A bytes field of proto3: omitted when empty. */
function bytesFieldSize(length: number): number {
  return length === 0 ? 0 : fieldSize(length);
}

function varintFieldSize(value: WireNumber): number {
  const big = BigInt(value);
  return big === 0n ? 0 : 1 + varintSize(big);
}

function varintSize(value: bigint): number {
  let remaining = BigInt.asUintN(64, value);
  let size = 1;
  while (remaining >= 128n) {
    remaining >>= 7n;
    size++;
  }
  return size;
}
