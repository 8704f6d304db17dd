// The leader's queue of ReadIndex requests waiting for a heartbeat round to
// confirm that it is still the leader (Raft thesis §6.4). A request is
// answered with the commit index recorded when it arrived, once a quorum
// acknowledged a heartbeat carrying its context (or a later one's).

import type { Message, NodeId } from './types.js';

export interface ReadIndexStatus {
  request: Message;
  index: number;
  acks: Set<NodeId>;
}

/** Bound on queued requests: beyond it new ones are refused. */
export const MAX_PENDING_READ_INDEX_REQUESTS = 65536;

export class ReadOnlyQueue {
  private readonly pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  get size(): number {
    return this.queue.length;
  }

  /** Queues a request; false if it is a duplicate or the queue is full. */
  addRequest(index: number, request: Message): boolean {
    const key = contextKey(request.context);
    if (this.pending.has(key) || this.queue.length >= MAX_PENDING_READ_INDEX_REQUESTS) return false;
    this.pending.set(key, { request, index, acks: new Set() });
    this.queue.push(key);
    return true;
  }

  /** Records that `id` acknowledged the heartbeat for `context`; returns the acks so far. */
  recvAck(id: NodeId, context: Uint8Array): Set<NodeId> | undefined {
    const status = this.pending.get(contextKey(context));
    if (!status) return undefined;
    status.acks.add(id);
    return status.acks;
  }

  /**
   * Dequeues the request with `context` and every request queued before it:
   * a quorum that confirmed leadership at a later point confirms it for
   * earlier requests too.
   */
  advance(context: Uint8Array): ReadIndexStatus[] {
    const key = contextKey(context);
    const position = this.queue.indexOf(key);
    if (position < 0) return [];
    const released = this.queue.slice(0, position + 1).map((k) => this.pending.get(k)!);
    for (const k of this.queue.slice(0, position + 1)) this.pending.delete(k);
    this.queue = this.queue.slice(position + 1);
    return released;
  }

  lastPendingRequestContext(): Uint8Array {
    if (this.queue.length === 0) return new Uint8Array(0);
    return this.pending.get(this.queue[this.queue.length - 1]!)!.request.context;
  }
}

function contextKey(context: Uint8Array): string {
  let key = '';
  for (const byte of context) key += String.fromCharCode(byte);
  return key;
}
