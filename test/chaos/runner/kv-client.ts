// The few etcd requests a chaos client makes, typed, over the project's
// proto loader (test/support/grpc-client.ts). Channels reconnect quickly so
// a restarted member gets its clients back within a fraction of a second.

import type * as grpc from '@grpc/grpc-js';
import { connect, type EtcdGrpcClient } from '../../support/grpc-client.js';
import type { RegisterValue } from '../linearizability/index.js';

export const FAST_RECONNECT: grpc.ChannelOptions = {
  'grpc.initial_reconnect_backoff_ms': 100,
  'grpc.min_reconnect_backoff_ms': 100,
  'grpc.max_reconnect_backoff_ms': 500,
  'grpc.enable_retries': 0,
};

// etcdserverpb.Compare enums.
const COMPARE_EQUAL = 0;
const TARGET_VERSION = 0;
const TARGET_VALUE = 3;

export interface KeyState {
  value: RegisterValue;
  version: number;
  modRevision: number;
}

export interface MemberStatus {
  memberId: string;
  leader: string;
  raftTerm: number;
  raftIndex: number;
  raftAppliedIndex: number;
  revision: number;
}

export type CasCompare = { on: 'value'; expected: RegisterValue } | { on: 'version'; expected: number };

export class KvClient {
  private readonly client: EtcdGrpcClient;

  constructor(
    readonly endpoint: string,
    deadlineMs: number,
  ) {
    this.client = connect(endpoint, { deadlineMs, channelOptions: FAST_RECONNECT });
  }

  async get(key: string, options: { serializable?: boolean } = {}): Promise<KeyState> {
    const response = await this.client.kv.Range({ key: Buffer.from(key), serializable: options.serializable ?? false });
    const kv = response.kvs[0];
    return kv === undefined
      ? { value: null, version: 0, modRevision: 0 }
      : { value: Buffer.from(kv.value).toString(), version: Number(kv.version), modRevision: Number(kv.mod_revision) };
  }

  /** Every key from `prefix` on, at the member's local state (serializable), with the header revision. */
  async scan(prefix: string, options: { serializable: boolean }): Promise<{ revision: number; kvs: Array<{ key: string; value: string; modRevision: number; version: number }> }> {
    const response = await this.client.kv.Range({ key: Buffer.from(prefix), range_end: prefixEnd(prefix), serializable: options.serializable });
    return {
      revision: Number(response.header.revision),
      kvs: response.kvs.map((kv: any) => ({
        key: Buffer.from(kv.key).toString(),
        value: Buffer.from(kv.value).toString(),
        modRevision: Number(kv.mod_revision),
        version: Number(kv.version),
      })),
    };
  }

  /** Returns the revision of the write. */
  async put(key: string, value: string): Promise<number> {
    const response = await this.client.kv.Put({ key: Buffer.from(key), value: Buffer.from(value) });
    return Number(response.header.revision);
  }

  /** If the compare holds, put `value`. */
  async cas(key: string, compare: CasCompare, value: string): Promise<boolean> {
    const comparison =
      compare.on === 'version'
        ? { result: COMPARE_EQUAL, target: TARGET_VERSION, key: Buffer.from(key), version: compare.expected }
        : compare.expected === null
          ? // etcd has no "absent" value compare; an absent key is version 0.
            { result: COMPARE_EQUAL, target: TARGET_VERSION, key: Buffer.from(key), version: 0 }
          : { result: COMPARE_EQUAL, target: TARGET_VALUE, key: Buffer.from(key), value: Buffer.from(compare.expected) };
    const response = await this.client.kv.Txn({
      compare: [comparison],
      success: [{ request_put: { key: Buffer.from(key), value: Buffer.from(value) } }],
      failure: [],
    });
    return Boolean(response.succeeded);
  }

  async status(): Promise<MemberStatus> {
    const response = await this.client.maintenance.Status({});
    return {
      memberId: String(response.header.member_id),
      leader: String(response.leader),
      raftTerm: Number(response.raftTerm ?? response.header.raft_term),
      raftIndex: Number(response.raftIndex),
      raftAppliedIndex: Number(response.raftAppliedIndex),
      revision: Number(response.header.revision),
    };
  }

  close(): void {
    this.client.close();
  }
}

export function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1]!++;
  return end;
}
