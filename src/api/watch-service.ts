// etcdserverpb.Watch: one bidirectional stream carries many watchers, as etcd's
// v3rpc serverWatchStream. Control responses (created, canceled) are written at once;
// event, progress and compaction responses come from the stream's bounded queue and
// are written as fast as the client reads them (gRPC write back-pressure), so a slow
// client only ever makes its own watchers fall behind.

import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import type { AuthInfo } from '../auth/types.js';
import { EtcdError } from '../pkg/etcd-error.js';
import type { CallIdentity } from './callers.js';
import type { Event } from '../mvcc/events.js';
import {
  invalidWatchId,
  splitIntoFragments,
  type WatchableStore,
  type WatchResponse,
  type WatchStream,
  type WireWatchResponse,
} from '../mvcc/watch/index.js';

/** What the Watch service needs from the member. */
export interface WatchServiceDeps {
  readonly watchableStore: WatchableStore;
  /** The response header for a revision (cluster id, member id, raft term). */
  header(revision: number): WireWatchResponse['header'];
  /** etcd's --experimental-watch-progress-notify-interval (default 10 minutes, at least 100 ms). */
  readonly progressNotifyIntervalMs?: number;
  /** Responses of fragmenting watchers are split at this size (etcd: --max-request-bytes + 512 KiB). */
  readonly maxResponseBytes?: number;
  /** Who may watch what; without it every watch is allowed. */
  readonly access?: WatchAccess;
}

/** The auth checks a watch stream needs. */
export interface WatchAccess {
  enabled(): boolean;
  /** Changes with every change to users, roles and permissions. */
  revision(): number;
  /** Who the stream runs as; throws for a bad token. */
  callerOf(call: CallIdentity): AuthInfo | undefined;
  /** Throws (an EtcdError) unless `caller` may read [key, rangeEnd). */
  checkRead(caller: AuthInfo | undefined, key: Buffer, rangeEnd: Buffer): void;
}

/** A watcher's grant: checked again whenever the auth state changes. */
interface WatchGrant {
  username: string | undefined;
  key: Buffer;
  rangeEnd: Buffer;
  checkedAtRevision: number;
}

interface WireCreateRequest {
  key: Buffer;
  range_end: Buffer;
  start_revision: number;
  progress_notify: boolean;
  filters: number[];
  prev_kv: boolean;
  watch_id: number;
  fragment: boolean;
}

interface WireWatchRequest {
  request_union?: 'create_request' | 'cancel_request' | 'progress_request';
  create_request?: WireCreateRequest | null;
  cancel_request?: { watch_id: number } | null;
  progress_request?: object | null;
}

const defaultProgressNotifyIntervalMs = 10 * 60 * 1000;
const minimumProgressNotifyIntervalMs = 100;
const defaultMaxResponseBytes = 1.5 * 1024 * 1024 + 512 * 1024;
const filterNoPut = 0;
const filterNoDelete = 1;
const compactedReason = 'mvcc: required revision has been compacted';

export function watchService(deps: WatchServiceDeps): UntypedServiceImplementation {
  const progressNotifyIntervalMs = Math.max(deps.progressNotifyIntervalMs ?? defaultProgressNotifyIntervalMs, minimumProgressNotifyIntervalMs);
  return {
    Watch: (call: ServerDuplexStream<WireWatchRequest, WireWatchResponse>) => {
      new WatchSession(call, deps, progressNotifyIntervalMs).start();
    },
  };
}

class WatchSession {
  private readonly stream: WatchStream;
  private readonly fragmentingWatchIds = new Set<number>();
  /** With auth on: who opened each watcher, for the checks after a permission change. */
  private readonly grants = new Map<number, WatchGrant>();
  /** Watchers canceled for a lost permission: responses still queued for them are dropped. */
  private readonly deniedWatchIds = new Set<number>();
  private readonly maxResponseBytes: number;
  private writable = true;
  private closed = false;

  constructor(
    private readonly call: ServerDuplexStream<WireWatchRequest, WireWatchResponse>,
    private readonly deps: WatchServiceDeps,
    progressNotifyIntervalMs: number,
  ) {
    this.stream = deps.watchableStore.newStream({ progressNotifyIntervalMs });
    this.maxResponseBytes = deps.maxResponseBytes ?? defaultMaxResponseBytes;
  }

  start(): void {
    // The stream outlives a snapshot from the leader: the store is restored in
    // place and its watchers catch up from their next revision.
    this.stream.onReadable = () => this.pump();
    this.call.on('data', (request: WireWatchRequest) => this.handle(request));
    // A client's half-close does not end the watch (etcd keeps sending until the
    // client cancels the call); cancellation, errors and close end it.
    this.call.on('cancelled', () => this.close());
    this.call.on('error', () => this.close());
    this.call.on('close', () => this.close());
    this.call.on('drain', () => {
      this.writable = true;
      this.call.resume();
      this.pump();
    });
  }

  private handle(request: WireWatchRequest): void {
    if (this.closed) return;
    try {
      switch (request.request_union) {
        case 'create_request':
          if (request.create_request) this.create(request.create_request);
          break;
        case 'cancel_request':
          if (request.cancel_request) this.cancel(request.cancel_request.watch_id);
          break;
        case 'progress_request':
          if (request.progress_request) this.stream.requestProgressAll();
          break;
        default:
          break; // etcd ignores unknown requests rather than ending the stream
      }
    } catch {
      this.close();
      this.call.destroy();
    }
  }

  private create(request: WireCreateRequest): void {
    // The empty key means "\0", the smallest key (etcd's v3rpc does the same).
    const key = request.key.length === 0 ? Buffer.from([0]) : request.key;
    const rangeEnd = request.range_end;
    const end = rangeEnd.length === 0 ? undefined : rangeEnd.length === 1 && rangeEnd[0] === 0 ? 'unbounded' : rangeEnd;
    const startRevision = Number(request.start_revision);
    if (startRevision < 0) {
      this.writeControl({ watch_id: invalidWatchId, created: true, canceled: true, cancel_reason: compactedReason });
      return;
    }
    const access = this.deps.access;
    let grant: WatchGrant | undefined;
    if (access?.enabled()) {
      try {
        const caller = access.callerOf(this.call);
        access.checkRead(caller, key, rangeEnd);
        grant = { username: caller?.username, key, rangeEnd, checkedAtRevision: access.revision() };
      } catch (error) {
        this.writeControl({ watch_id: invalidWatchId, created: true, canceled: true, cancel_reason: cancelReasonOf(error) });
        return;
      }
    }
    let id: number;
    try {
      id = this.stream.watch({
        id: Number(request.watch_id),
        key,
        end,
        startRevision,
        filters: { noPut: request.filters.includes(filterNoPut), noDelete: request.filters.includes(filterNoDelete) },
        prevKv: request.prev_kv,
        progressNotify: request.progress_notify,
      });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.writeControl({ watch_id: invalidWatchId, created: true, canceled: true, cancel_reason: reason });
      return;
    }
    if (request.fragment) this.fragmentingWatchIds.add(id);
    this.deniedWatchIds.delete(id);
    if (grant) this.grants.set(id, grant);
    this.writeControl({ watch_id: id, created: true });
  }

  private cancel(watchId: number): void {
    const id = Number(watchId);
    // An unknown id gets no answer, as in etcd.
    if (!this.stream.cancel(id)) return;
    this.fragmentingWatchIds.delete(id);
    this.grants.delete(id);
    this.writeControl({ watch_id: id, canceled: true });
  }

  private writeControl(fields: Partial<WireWatchResponse>): void {
    this.write({ ...this.emptyResponse(this.stream.currentRevision), ...fields });
  }

  // Moves queued responses to the gRPC stream while it accepts them.
  private pump(): void {
    while (this.writable && !this.closed) {
      const response = this.stream.take();
      if (response === undefined) return;
      if (!this.stillPermitted(response.watchId)) continue;
      const wire = this.toWire(response);
      if (this.fragmentingWatchIds.has(response.watchId)) {
        for (const fragment of splitIntoFragments(wire, this.maxResponseBytes)) this.write(fragment);
      } else {
        this.write(wire);
      }
    }
  }

  /**
   * A watcher whose user lost the right to read its range (a role revoked, a
   * permission taken away, the user deleted) is canceled with the reason,
   * instead of delivering what the user may no longer read.
   */
  private stillPermitted(watchId: number): boolean {
    if (this.deniedWatchIds.has(watchId)) return false;
    const grant = this.grants.get(watchId);
    const access = this.deps.access;
    if (grant === undefined || access === undefined) return true;
    if (!access.enabled()) {
      this.grants.delete(watchId);
      return true;
    }
    const revision = access.revision();
    if (grant.checkedAtRevision === revision) return true;
    try {
      access.checkRead(grant.username === undefined ? undefined : { username: grant.username, revision }, grant.key, grant.rangeEnd);
      grant.checkedAtRevision = revision;
      return true;
    } catch (error) {
      this.stream.cancel(watchId);
      this.grants.delete(watchId);
      this.deniedWatchIds.add(watchId);
      this.fragmentingWatchIds.delete(watchId);
      this.writeControl({ watch_id: watchId, canceled: true, cancel_reason: cancelReasonOf(error) });
      return false;
    }
  }

  private write(response: WireWatchResponse): void {
    if (this.closed) return;
    if (!this.call.write(response)) {
      // The client reads slowly: stop reading its requests too, so control responses
      // cannot pile up either, until gRPC drained what it holds.
      this.writable = false;
      this.call.pause();
    }
  }

  private toWire(response: WatchResponse): WireWatchResponse {
    return {
      ...this.emptyResponse(response.revision),
      watch_id: response.watchId,
      compact_revision: response.compactRevision,
      canceled: response.compactRevision !== 0,
      events: response.events as Event[],
    };
  }

  private emptyResponse(revision: number): WireWatchResponse {
    return {
      header: this.deps.header(revision),
      watch_id: 0,
      created: false,
      canceled: false,
      compact_revision: 0,
      cancel_reason: '',
      fragment: false,
      events: [],
    };
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.close();
  }
}

/** What a Go client prints for a gRPC status error: etcd puts that text in cancel_reason. */
function cancelReasonOf(error: unknown): string {
  if (error instanceof EtcdError) return `rpc error: code = ${error.grpcCode} desc = ${error.grpcMessage}`;
  return error instanceof Error ? error.message : String(error);
}
