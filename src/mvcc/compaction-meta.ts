import type { Backend } from '../backend/index.js';
import { decodeRevisionKey, encodeRevisionKey } from './revision.js';

// Compaction progress in the meta bucket, with etcd's key names and encoding (a
// revision key with sub 0), so a restart knows what was asked and what was finished.
const scheduledCompactKey = Buffer.from('scheduledCompactRev');
const finishedCompactKey = Buffer.from('finishedCompactRev');

export function readScheduledCompactRevision(backend: Backend): number | undefined {
  return readRevision(backend, scheduledCompactKey);
}

export function readFinishedCompactRevision(backend: Backend): number | undefined {
  return readRevision(backend, finishedCompactKey);
}

export function writeScheduledCompactRevision(backend: Backend, revision: number): void {
  backend.batchTx().put('meta', scheduledCompactKey, encodeRevisionKey({ main: revision, sub: 0 }));
}

export function writeFinishedCompactRevision(backend: Backend, revision: number): void {
  backend.batchTx().put('meta', finishedCompactKey, encodeRevisionKey({ main: revision, sub: 0 }));
}

function readRevision(backend: Backend, key: Buffer): number | undefined {
  const bytes = backend.get('meta', key);
  return bytes === undefined ? undefined : decodeRevisionKey(bytes).revision.main;
}
