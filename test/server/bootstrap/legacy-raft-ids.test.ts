// Data dirs from before exact node ids named Raft nodes by the low 53 bits of
// their member ids; a restart maps them back (src/server/bootstrap/legacy-raft-ids.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfChangeType, EntryType, decodeConfChange, encodeConfChange, type Entry } from '../../../src/raft/index.js';
import { memberIdsNamedIn, truncatedIdMap, upgradeConfState, upgradeEntries, upgradeHardState } from '../../../src/server/bootstrap/legacy-raft-ids.js';
import { formatId } from '../../../src/server/membership/ids.js';

const bigMember = 0x8e9e05c52164694dn;
const truncated = Number(bigMember & ((1n << 53n) - 1n));
const smallMember = 0x1234n;

function confChangeEntry(index: number, nodeId: number, memberId: bigint): Entry {
  const context = Buffer.from(JSON.stringify({ id: formatId(memberId), name: 'm', peerUrls: ['http://127.0.0.1:2380'], isLearner: false }));
  return { term: 1, index, type: EntryType.ConfChange, data: encodeConfChange({ type: ConfChangeType.AddNode, nodeId, context }) };
}

test('truncated ids of known members map back to the full ids; others stay', () => {
  const entries = [confChangeEntry(1, truncated, bigMember), confChangeEntry(2, 0x1234, smallMember), { term: 1, index: 3, type: EntryType.Normal, data: new Uint8Array([1]) }];
  const map = truncatedIdMap(memberIdsNamedIn(bigMember, [], entries));
  assert.deepEqual([...map], [[truncated, bigMember]]);
  const upgraded = upgradeEntries(entries, map);
  assert.equal(decodeConfChange(upgraded[0]!.data).nodeId, bigMember);
  assert.equal(upgraded[1], entries[1], 'an entry with a small id is left as it is');
  assert.equal(upgraded[2], entries[2]);
  assert.deepEqual(upgradeConfState({ voters: [truncated, 0x1234], learners: [] }, map), { voters: [bigMember, 0x1234], learners: [] });
  assert.deepEqual(upgradeHardState({ term: 2, vote: truncated, commit: 3 }, map), { term: 2, vote: bigMember, commit: 3 });
  assert.deepEqual(upgradeHardState({ term: 2, vote: 0, commit: 3 }, map), { term: 2, vote: 0, commit: 3 });
});

test('members named only in the snapshot record are known too', () => {
  const map = truncatedIdMap(memberIdsNamedIn(smallMember, [formatId(bigMember)], []));
  assert.equal(map.get(truncated), bigMember);
});
