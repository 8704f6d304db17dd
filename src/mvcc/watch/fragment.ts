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
  const fragments: WireWatchResponse[] = [];
  let position = 0;
  while (position < response.events.length) {
    let size = fixedSize;
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

/**
 * The size of a WatchResponse as @grpc/proto-loader (protobufjs) encodes it: unlike Go,
 * it also writes scalar fields that are present with a zero value, and our objects
 * always carry every field.
 */
export function watchResponseSizeBytes(response: WireWatchResponse): number {
  const header = response.header;
  const headerSize =
    varintFieldSize(header.cluster_id) + varintFieldSize(header.member_id) + varintFieldSize(header.revision) + varintFieldSize(header.raft_term);
  let size = fieldSize(headerSize);
  size += varintFieldSize(response.watch_id);
  size += 2 + 2; // created, canceled
  size += varintFieldSize(response.compact_revision);
  size += fieldSize(Buffer.byteLength(response.cancel_reason));
  size += 2; // fragment
  for (const event of response.events) size += fieldSize(eventSizeBytes(event));
  return size;
}

function eventSizeBytes(event: Event): number {
  let size = 2; // type
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

function bytesFieldSize(length: number): number {
  return fieldSize(length);
}

function varintFieldSize(value: WireNumber): number {
  return 1 + varintSize(BigInt(value));
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
