// etcd's alarms (server/etcdserver/api/v3alarm): NOSPACE when a member's
// backend reached --quota-backend-bytes, CORRUPT when members' hashes
// differ. Raised, cleared and listed through Raft (InternalRaftRequest's
// `alarm`), so every member holds the same set; kept in the backend's
// `alarm` bucket as etcd keeps them (the key is the encoded AlarmMember, the
// value empty), so they survive a restart and travel in snapshots.

import type { Backend } from '../backend/index.js';
import { CONVERSION_OPTIONS, protoType } from '../proto/index.js';
import { EtcdError } from '../pkg/etcd-error.js';
import type { Logger } from '../pkg/logger.js';

/** etcdserverpb.AlarmType. */
export const AlarmType = { NONE: 0, NOSPACE: 1, CORRUPT: 2 } as const;
export type AlarmTypeValue = (typeof AlarmType)[keyof typeof AlarmType];
/** etcdserverpb.AlarmRequest.AlarmAction. */
export const AlarmAction = { GET: 0, ACTIVATE: 1, DEACTIVATE: 2 } as const;

export const alarmNames: Record<number, string> = { 0: 'NONE', 1: 'NOSPACE', 2: 'CORRUPT' };

/** memberID as a decimal string: member ids use all 64 bits. */
export interface AlarmMember {
  memberID: string;
  alarm: number;
}

export interface AlarmRequest {
  action: number;
  memberID: string | number;
  alarm: number;
}

export const alarmErrors = {
  /** etcd's ErrGRPCNoSpace (rpctypes): mvcc.ErrNoSpace through the gRPC layer. */
  noSpace: () => new EtcdError('etcdserver: mvcc: database space exceeded', 'ResourceExhausted'),
  /** etcd's ErrGRPCCorrupt. */
  corrupt: () => new EtcdError('etcdserver: corrupt cluster', 'DataLoss'),
};

const alarmMemberType = protoType('etcdserverpb.AlarmMember');
const internalRequestType = protoType('etcdserverpb.InternalRaftRequest');

/** The entry's AlarmRequest with an exact member id (the general codec reads 64-bit integers as numbers). */
export function decodeAlarmRequestExact(entryData: Uint8Array): AlarmRequest | undefined {
  const buffer = Buffer.isBuffer(entryData) ? entryData : Buffer.from(entryData.buffer, entryData.byteOffset, entryData.byteLength);
  const request = internalRequestType.toObject(internalRequestType.decode(buffer), { ...CONVERSION_OPTIONS, longs: String }) as { alarm?: AlarmRequest | null };
  return request.alarm ?? undefined;
}

/** etcd's `AlarmMember.String()` as Status errors and `etcdctl alarm list` show it. */
export function formatAlarm(member: AlarmMember): string {
  return `memberID:${member.memberID} alarm:${alarmNames[member.alarm] ?? String(member.alarm)} `;
}

export class AlarmStore {
  /** By alarm type, then member id. */
  private readonly types = new Map<number, Map<string, AlarmMember>>();

  constructor(
    private readonly backend: Backend,
    private readonly logger: Logger,
  ) {
    this.recover();
  }

  /** Reloads from the backend (at open and after a restore from a snapshot). */
  recover(): void {
    this.types.clear();
    for (const { key } of this.backend.range('alarm', Buffer.alloc(0), undefined)) {
      const decoded = alarmMemberType.toObject(alarmMemberType.decode(key), { longs: String, enums: Number, defaults: true }) as AlarmMember;
      this.addToMap({ memberID: String(decoded.memberID), alarm: Number(decoded.alarm) });
    }
  }

  /** Raises `alarm` for `memberId`; returns the member's alarm (new or already raised). */
  activate(memberId: string, alarm: number): AlarmMember {
    const member: AlarmMember = { memberID: memberId, alarm };
    const existing = this.addToMap(member);
    if (existing !== member) return existing;
    this.backend.batchTx().put('alarm', encodeAlarmMember(member), Buffer.alloc(0));
    return member;
  }

  /** Clears `alarm` for `memberId`; undefined if it was not raised. */
  deactivate(memberId: string, alarm: number): AlarmMember | undefined {
    const members = this.types.get(alarm);
    const member = members?.get(memberId);
    if (member === undefined) return undefined;
    members!.delete(memberId);
    this.backend.batchTx().delete('alarm', encodeAlarmMember(member));
    return member;
  }

  /** The members with `alarm` raised; NONE: every raised alarm. */
  get(alarm: number): AlarmMember[] {
    if (alarm !== AlarmType.NONE) return [...(this.types.get(alarm)?.values() ?? [])];
    const all: AlarmMember[] = [];
    for (const members of this.types.values()) all.push(...members.values());
    return all;
  }

  has(alarm: number): boolean {
    return (this.types.get(alarm)?.size ?? 0) > 0;
  }

  private addToMap(member: AlarmMember): AlarmMember {
    let members = this.types.get(member.alarm);
    if (members === undefined) this.types.set(member.alarm, (members = new Map()));
    const existing = members.get(member.memberID);
    if (existing !== undefined) return existing;
    members.set(member.memberID, member);
    return member;
  }

  /** For logs: "alarm raised" / "alarm disarmed". */
  get log(): Logger {
    return this.logger;
  }
}

function encodeAlarmMember(member: AlarmMember): Buffer {
  return Buffer.from(alarmMemberType.encode(alarmMemberType.fromObject({ memberID: member.memberID, alarm: member.alarm })).finish());
}
