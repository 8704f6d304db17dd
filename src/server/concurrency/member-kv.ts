// What the concurrency recipes need from the member, in-process: its
// linearizable KV operations (run as the caller, so permissions apply),
// lease grants, and watches on its own watchable store. etcd's server gives
// its election and lock services a client connected to itself (v3client);
// here they call the member directly.

import type { AuthInfo } from '../../auth/types.js';
import { CompactedError, EventType, type Event } from '../../mvcc/index.js';
import type { WatchableStore, WatchResponse } from '../../mvcc/watch/index.js';
import type {
  DeleteRangeRequest,
  DeleteRangeResponse,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  ResponseHeader,
  TxnRequest,
  TxnResponse,
} from '../apply/types.js';
import { ConcurrencyCanceledError } from './errors.js';
import type { LeaseId } from '../../lease/index.js';

export interface ConcurrencyKv {
  range(request: RangeRequest, caller?: AuthInfo): Promise<RangeResponse>;
  put(request: PutRequest, caller?: AuthInfo): Promise<PutResponse>;
  deleteRange(request: DeleteRangeRequest, caller?: AuthInfo): Promise<DeleteRangeResponse>;
  txn(request: TxnRequest, caller?: AuthInfo): Promise<TxnResponse>;
  /** Grants a lease with a server-chosen id; returns the id. */
  grantLease(ttlSeconds: number, caller?: AuthInfo): Promise<LeaseId>;
  /** Throws unless the caller may read [key, end) (a watch's permission check). */
  checkWatch(caller: AuthInfo | undefined, key: Buffer, rangeEnd: Buffer): void;
  watchableStore: WatchableStore;
  header(revision: number): ResponseHeader;
}

export interface WatchBatch {
  header: ResponseHeader;
  revision: number;
  events: readonly Event[];
}

/**
 * Watches [key, end) from `startRevision` on the member's store and yields
 * each response with events. Throws CompactedError if the start revision
 * was compacted, ConcurrencyCanceledError once `signal` aborts.
 */
export async function* watchEvents(
  kv: ConcurrencyKv,
  range: { key: Buffer; end?: Buffer | 'unbounded' },
  startRevision: number,
  signal: AbortSignal,
): AsyncGenerator<WatchBatch, void, undefined> {
  if (signal.aborted) throw new ConcurrencyCanceledError();
  const stream = kv.watchableStore.newStream();
  let wake: (() => void) | undefined;
  const notify = () => {
    const resolve = wake;
    wake = undefined;
    resolve?.();
  };
  stream.onReadable = notify;
  signal.addEventListener('abort', notify);
  try {
    stream.watch({ key: range.key, ...(range.end === undefined ? {} : { end: range.end }), startRevision });
    for (;;) {
      let response: WatchResponse | undefined;
      while ((response = stream.take()) === undefined) {
        if (signal.aborted) throw new ConcurrencyCanceledError();
        await new Promise<void>((resolve) => (wake = resolve));
      }
      if (signal.aborted) throw new ConcurrencyCanceledError();
      if (response.compactRevision > 0) throw new CompactedError();
      if (response.events.length === 0) continue;
      yield { header: kv.header(response.revision), revision: response.revision, events: response.events };
    }
  } finally {
    signal.removeEventListener('abort', notify);
    stream.close();
  }
}

export function isDelete(event: Event): boolean {
  return event.type === EventType.DELETE;
}
