// A watch over the gateway's /v3/watch stream that survives lost
// connections: after a failure it waits (backing off), and resumes from the
// last revision it saw plus one, so no event is missed or shown twice.

import { ApiError, type Gateway } from './api.js';
import { connection } from './connection.js';
import { prefixEnd, toBase64, utf8 } from './bytes.js';
import type { KeyValue, ResponseHeader } from './kv.js';

export interface WatchEvent {
  type?: 'PUT' | 'DELETE';
  kv: KeyValue;
  prev_kv?: KeyValue;
}

interface WatchResponse {
  header?: ResponseHeader;
  created?: boolean;
  canceled?: boolean;
  compact_revision?: string;
  cancel_reason?: string;
  events?: WatchEvent[];
}

export interface WatcherCallbacks {
  onEvents(events: WatchEvent[]): void;
  /** 'watching' (with the revision it started after), 'reconnecting', or 'failed' with a reason. */
  onState(state: 'watching' | 'reconnecting' | 'failed', detail: string): void;
}

export class Watcher {
  private readonly abort = new AbortController();
  /** The newest revision seen: the stream resumes at lastRevision + 1. */
  lastRevision = 0;
  private connectedSince = 0;

  constructor(
    private readonly gateway: Gateway,
    private readonly prefix: string,
    private readonly callbacks: WatcherCallbacks,
  ) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.abort.abort();
  }

  private async run(): Promise<void> {
    let delayMs = 250;
    while (!this.abort.signal.aborted) {
      const key = utf8(this.prefix);
      const request = {
        create_request: {
          key: toBase64(key.length ? key : new Uint8Array([0])),
          range_end: toBase64(prefixEnd(key)),
          prev_kv: true,
          ...(this.lastRevision > 0 ? { start_revision: String(this.lastRevision + 1) } : {}),
        },
      };
      let failure: string | undefined;
      try {
        await this.gateway.stream('/v3/watch', request, (message) => this.receive(message as WatchResponse), this.abort.signal);
        failure = 'the stream ended';
      } catch (error) {
        if (error instanceof ApiError || error instanceof WatchCanceled) {
          this.callbacks.onState('failed', error.message);
          return;
        }
        if (error instanceof WatchCompacted) continue;
        failure = (error as Error).message;
      }
      if (this.abort.signal.aborted) return;
      connection.lost();
      this.callbacks.onState('reconnecting', failure);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      delayMs = this.connectedSince > Date.now() - 10_000 ? Math.min(delayMs * 2, 4000) : 250;
    }
  }

  private receive(message: WatchResponse): void {
    if (message.created) {
      connection.reached();
      this.connectedSince = Date.now();
      // Nothing seen yet: the watch covers what comes after the current revision.
      if (this.lastRevision === 0) this.lastRevision = Number(message.header?.revision ?? 0);
      this.callbacks.onState('watching', String(this.lastRevision + 1));
    }
    if (message.compact_revision && message.compact_revision !== '0') {
      // Resumed too late: what happened meanwhile is gone; go on from the compaction.
      this.lastRevision = Number(message.compact_revision) - 1;
      throw new WatchCompacted(`revisions before ${message.compact_revision} were compacted`);
    }
    if (message.canceled) throw new WatchCanceled(message.cancel_reason || 'the watch was canceled');
    const events = message.events ?? [];
    if (events.length === 0) return;
    for (const event of events) this.lastRevision = Math.max(this.lastRevision, Number(event.kv.mod_revision ?? 0));
    this.callbacks.onEvents(events);
  }
}

class WatchCompacted extends Error {}
class WatchCanceled extends Error {}
