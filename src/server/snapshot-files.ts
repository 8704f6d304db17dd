// Raft snapshot records in <data-dir>/member/snap, named as etcd names its
// .snap files (%016x-%016x.snap: term, index). A record says where the Raft
// log was compacted and what membership held there (a copy: the member table
// itself is in the backend, read from here only for data dirs from before
// that, and by --force-new-cluster); the data itself is the backend next to
// it, which is synced before a record is written. On restart the newest
// record tells the WAL where to start reading.

import { readdir, readFile, unlink } from 'node:fs/promises';
import { writeFileAtomically } from '../pkg/durable-files.js';
import { join } from 'node:path';
import { nodeIdOf, type ConfState, type NodeId } from '../raft/types.js';

export interface SnapshotMember {
  id: string;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

export interface SnapshotRecord {
  index: number;
  term: number;
  confState: ConfState;
  members: SnapshotMember[];
}

/** A node id as a record holds it: a JSON number, or a decimal string beyond 2^53. */
function readNodeId(value: NodeId | string): NodeId {
  return typeof value === 'string' ? nodeIdOf(BigInt(value)) : value;
}

const SNAPSHOT_FILE_PATTERN = /^([0-9a-f]{16})-([0-9a-f]{16})\.snap$/;
const KEEP_SNAPSHOT_FILES = 5;

function fileName(record: { term: number; index: number }): string {
  return `${record.term.toString(16).padStart(16, '0')}-${record.index.toString(16).padStart(16, '0')}.snap`;
}

async function snapshotFileNames(directory: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return [];
  }
  // Newest last: sorted by index, which only grows.
  return names
    .filter((name) => SNAPSHOT_FILE_PATTERN.test(name))
    .sort((a, b) => Number.parseInt(a.slice(17, 33), 16) - Number.parseInt(b.slice(17, 33), 16));
}

/** Readable snapshot records, newest first (a damaged one is skipped). */
export async function readSnapshots(directory: string): Promise<SnapshotRecord[]> {
  const records: SnapshotRecord[] = [];
  for (const name of (await snapshotFileNames(directory)).reverse()) {
    try {
      const record = JSON.parse(await readFile(join(directory, name), 'utf8')) as SnapshotRecord;
      if (Number.isInteger(record.index) && Number.isInteger(record.term) && record.confState) {
        record.confState = { voters: record.confState.voters.map(readNodeId), learners: record.confState.learners.map(readNodeId) };
        records.push(record);
      }
    } catch {
      // Records are renamed into place whole, so only outside damage gets here.
    }
  }
  return records;
}

/** Writes a record durably (temporary file, fsync, rename, directory fsync) and drops old ones. */
export async function writeSnapshot(directory: string, record: SnapshotRecord): Promise<void> {
  const finalName = fileName(record);
  // Node ids beyond 2^53 are bigints: written as decimal strings.
  const json = JSON.stringify(record, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
  await writeFileAtomically(directory, finalName, `${finalName}.tmp`, [Buffer.from(json)]);
  const names = await snapshotFileNames(directory);
  for (const name of names.slice(0, Math.max(0, names.length - KEEP_SNAPSHOT_FILES))) await unlink(join(directory, name));
}
