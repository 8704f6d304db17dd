// The member table in the backend, in etcd 3.5's layout (membership/store.go):
// bucket `members` maps each member's id (hex, as etcd's types.ID prints it:
// lower case, no leading zeros) to the member as JSON
// {"id":<decimal>,"peerURLs":[...],"isLearner":true,"name":"...","clientURLs":[...]}
// (the last three only when set); bucket `members_removed` maps each removed
// id to "removed". Writes go into the backend's pending batch, so they commit
// in the same LMDB transaction as the applied index of the entry that made them.

import type { Backend } from '../../backend/index.js';
import { formatId, parseId } from './ids.js';
import type { MemberRecord } from './member-record.js';

const REMOVED_VALUE = Buffer.from('removed');
const EMPTY_KEY = Buffer.alloc(0);

/** What the two buckets hold. */
export interface StoredMemberTable {
  members: MemberRecord[];
  removedIds: bigint[];
}

/** A member's key in both buckets. */
export function memberKey(id: bigint): Buffer {
  return Buffer.from(formatId(id));
}

/**
 * A member as etcd's json.Marshal writes it: field order of the Go struct,
 * `isLearner`, `name` and `clientURLs` left out when empty, the id as an
 * exact uint64 decimal, and strings escaped as Go escapes them.
 */
export function encodeMemberValue(member: MemberRecord): Buffer {
  const fields = [`"id":${member.id.toString()}`, `"peerURLs":${goJson(member.peerUrls)}`];
  if (member.isLearner) fields.push('"isLearner":true');
  if (member.name !== '') fields.push(`"name":${goJson(member.name)}`);
  if (member.clientUrls.length > 0) fields.push(`"clientURLs":${goJson(member.clientUrls)}`);
  return Buffer.from(`{${fields.join(',')}}`);
}

interface MemberJson {
  id?: string;
  peerURLs?: string[] | null;
  isLearner?: boolean;
  name?: string;
  clientURLs?: string[] | null;
}

/**
 * Reads a `members` entry. The id is kept exact above 2^53: its digits are
 * quoted before JSON.parse sees them (inside a JSON string a quote is always
 * escaped, so `"id":` followed by digits can only be the member's id field).
 * Without an id in the value the key names the member, as in etcd.
 */
export function decodeMemberValue(key: Uint8Array, value: Uint8Array): MemberRecord {
  const text = Buffer.from(value).toString('utf8');
  const parsed = JSON.parse(text.replace(/"id"(\s*):(\s*)(\d+)/g, '"id"$1:$2"$3"')) as MemberJson;
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`member ${Buffer.from(key).toString()}: not a JSON object`);
  const id = parsed.id === undefined ? parseId(Buffer.from(key).toString()) : BigInt(parsed.id);
  if (id < 0n || id >= 1n << 64n) throw new Error(`member ${Buffer.from(key).toString()}: id ${parsed.id} is not a uint64`);
  return {
    id,
    name: parsed.name ?? '',
    peerUrls: [...(parsed.peerURLs ?? [])],
    clientUrls: [...(parsed.clientURLs ?? [])],
    isLearner: parsed.isLearner === true,
  };
}

/** The member table's two buckets in one backend (the member's, for its whole life: a snapshot restores it in place). */
export class MemberTableStore {
  constructor(private readonly backend: Backend) {}

  /** The table the buckets hold, committed or pending; undefined when `members` is empty (a data dir from before the table was kept here). */
  read(): StoredMemberTable | undefined {
    const members: MemberRecord[] = [];
    this.backend.forEachInRange('members', EMPTY_KEY, undefined, (key, value) => {
      members.push(decodeMemberValue(key, value));
    });
    if (members.length === 0) return undefined;
    const removedIds: bigint[] = [];
    this.backend.forEachInRange('members_removed', EMPTY_KEY, undefined, (key) => {
      removedIds.push(parseId(key.toString()));
    });
    return { members, removedIds };
  }

  /** Adds or replaces a member (ids here derive from peer URLs alone, so a removed member can come back: its removal mark goes). */
  saveMember(member: MemberRecord): void {
    const batch = this.backend.batchTx();
    const key = memberKey(member.id);
    batch.put('members', key, encodeMemberValue(member));
    if (this.backend.get('members_removed', key) !== undefined) batch.delete('members_removed', key);
  }

  removeMember(id: bigint): void {
    const batch = this.backend.batchTx();
    batch.delete('members', memberKey(id));
    batch.put('members_removed', memberKey(id), REMOVED_VALUE);
  }

  /** Writes a whole table into buckets that hold none yet. */
  writeAll(table: StoredMemberTable): void {
    for (const member of table.members) this.saveMember(member);
    for (const id of table.removedIds) this.removeMember(id);
  }
}

/** JSON as Go's encoding/json writes it: also escapes <, >, & and U+2028/U+2029. */
function goJson(value: string | readonly string[]): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
