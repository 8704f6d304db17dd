// The member table in the backend's `members` and `members_removed` buckets,
// in etcd 3.5's layout (membership/store.go): the exact bytes, ids beyond
// 2^53 kept exact, tolerant reads, and a real backend closed and reopened.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Backend } from '../../src/backend/index.js';
import { MemberTableStore, decodeMemberValue, encodeMemberValue, memberKey } from '../../src/server/membership/member-table-store.js';
import type { MemberRecord } from '../../src/server/membership/member-record.js';
import { membersEntries } from '../../src/snapshot/export.js';

const directories: string[] = [];
after(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

function backendDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), 'member-table-store-'));
  directories.push(directory);
  return directory;
}

// Both above 2^53: a JSON number of them loses its low bits in a double.
const BIG_ID = 0xfedcba9876543211n;
const LEARNER_ID = 0x8e9e05c52164694dn;
const SMALL_ID = 0x2an;

const voter: MemberRecord = { id: BIG_ID, name: 'infra<1>&', peerUrls: ['http://10.0.0.1:2380', 'http://10.0.0.1:2390'], clientUrls: ['http://10.0.0.1:2379'], isLearner: false };
const learner: MemberRecord = { id: LEARNER_ID, name: '', peerUrls: ['http://10.0.0.2:2380'], clientUrls: [], isLearner: true };
const small: MemberRecord = { id: SMALL_ID, name: 'small', peerUrls: ['http://10.0.0.3:2380'], clientUrls: [], isLearner: false };

describe('member table bucket format', () => {
  it('writes etcd 3.5\'s key and JSON: hex key without leading zeros, exact decimal id, empty fields left out, Go escaping', () => {
    assert.equal(memberKey(BIG_ID).toString(), 'fedcba9876543211');
    assert.equal(memberKey(SMALL_ID).toString(), '2a');
    assert.equal(
      encodeMemberValue(voter).toString(),
      '{"id":18364758544493064721,"peerURLs":["http://10.0.0.1:2380","http://10.0.0.1:2390"],"name":"infra\\u003c1\\u003e\\u0026","clientURLs":["http://10.0.0.1:2379"]}',
    );
    assert.equal(encodeMemberValue(learner).toString(), '{"id":10276657743932975437,"peerURLs":["http://10.0.0.2:2380"],"isLearner":true}');
  });

  it('reads back exactly what it wrote, ids above 2^53 included', () => {
    for (const member of [voter, learner, small]) assert.deepEqual(decodeMemberValue(memberKey(member.id), encodeMemberValue(member)), member);
    // A double would have turned the id into ...3200.
    assert.notEqual(BigInt(Number(BIG_ID)), BIG_ID);
  });

  it('tolerates what etcd may write: null peer URLs, spaces, no id in the value, a padded key', () => {
    assert.deepEqual(decodeMemberValue(Buffer.from('fedcba9876543211'), Buffer.from('{ "id" : 18364758544493064721, "peerURLs": null }')), {
      id: BIG_ID,
      name: '',
      peerUrls: [],
      clientUrls: [],
      isLearner: false,
    });
    assert.deepEqual(decodeMemberValue(Buffer.from('000000000000002a'), Buffer.from('{"peerURLs":["http://a:1"],"name":"n"}')), {
      id: SMALL_ID,
      name: 'n',
      peerUrls: ['http://a:1'],
      clientUrls: [],
      isLearner: false,
    });
    // A name that spells an id field stays a name.
    const tricky: MemberRecord = { ...small, name: '"id":7' };
    assert.deepEqual(decodeMemberValue(memberKey(SMALL_ID), encodeMemberValue(tricky)), tricky);
    assert.throws(() => decodeMemberValue(Buffer.from('2a'), Buffer.from('[1]')), /not a JSON object/);
  });

  it('matches what a bbolt snapshot export writes for a backend without the table', () => {
    const exported = membersEntries([voter, learner, small]);
    const ours = [voter, learner, small].map((member): [Buffer, Buffer] => [memberKey(member.id), encodeMemberValue(member)]).sort((a, b) => Buffer.compare(a[0], b[0]));
    // The export does not escape as Go does; the names here need no escaping.
    const plain = (members: [Buffer, Buffer][]) => members.map(([key, value]) => [key.toString(), value.toString().replace(/\\u003c|\\u003e|\\u0026|[<>&]/g, '')]);
    assert.deepEqual(plain(ours), plain(exported));
  });
});

describe('member table store', () => {
  it('keeps members and removals in the two buckets across a close and reopen', async () => {
    const directory = backendDirectory();
    let backend = Backend.open(directory);
    let store = new MemberTableStore(backend);
    assert.equal(store.read(), undefined, 'a new backend holds no table');
    store.writeAll({ members: [voter, learner], removedIds: [SMALL_ID] });
    assert.deepEqual(store.read(), { members: [learner, voter], removedIds: [SMALL_ID] }, 'pending writes are read back');
    await backend.close();

    backend = Backend.open(directory);
    store = new MemberTableStore(backend);
    assert.deepEqual(store.read(), { members: [learner, voter], removedIds: [SMALL_ID] });
    assert.equal(backend.get('members_removed', Buffer.from('2a'))?.toString(), 'removed');

    store.removeMember(LEARNER_ID);
    // Ids here derive from peer URLs alone: a member removed can be added again.
    store.saveMember(small);
    backend.commit();
    assert.deepEqual(store.read(), { members: [small, voter], removedIds: [LEARNER_ID] });
    assert.equal(backend.get('members', memberKey(LEARNER_ID)), undefined);
    await backend.close();
  });
});
