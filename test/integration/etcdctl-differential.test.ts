// The same etcdctl command sequence against our member and against the real
// etcd 3.4: outputs must match once ids, terms and addresses are masked.
// Both members start empty, so even absolute revisions line up.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { etcdctlMismatches, type EtcdctlStep } from '../support/etcdctl-differential.js';

// Each group runs in order on both members; groups share one pair of members.
const STEPS: EtcdctlStep[] = [
  { args: ['put', 'foo', 'bar'] },
  { args: ['put', 'foo', 'bar2', '--prev-kv'] },
  { args: ['put', 'foo', 'bar3', '--prev-kv', '-w', 'json'] },
  { args: ['get', 'foo'] },
  { args: ['get', 'foo', '-w', 'json'] },
  { args: ['get', 'foo', '-w', 'fields'] },
  { args: ['put', 'fop', 'v1'] },
  { args: ['put', 'fo', 'v2'] },
  { args: ['put', 'a', '1'] },
  { args: ['put', 'z', 'last'] },
  { args: ['get', 'f', '--prefix'] },
  { args: ['get', 'f', '--prefix', '-w', 'json'] },
  { args: ['get', 'a', 'g'] },
  { args: ['get', 'fo', '--from-key'] },
  { args: ['get', '', '--prefix', '--limit=2', '-w', 'json'] },
  { args: ['get', '', '--prefix', '--keys-only'] },
  { args: ['get', '', '--prefix', '--count-only', '-w', 'json'] },
  { args: ['get', '', '--prefix', '--print-value-only'] },
  { args: ['get', '', '--prefix', '--sort-by=MODIFY', '--order=DESCEND'] },
  { args: ['get', '', '--prefix', '--sort-by=VALUE', '--order=ASCEND'] },
  { args: ['get', '', '--prefix', '--sort-by=VERSION', '--order=DESCEND', '-w', 'json'] },
  { args: ['get', '', '--prefix', '--sort-by=CREATE'] },
  { args: ['get', 'foo', '--rev=2'] },
  { args: ['get', 'foo', '--rev=3', '-w', 'json'] },
  { args: ['get', 'f', '--prefix', '--min-mod-rev=4'] },
  { args: ['get', 'f', '--prefix', '--max-create-rev=3'] },
  { args: ['get', 'missing'] },
  { args: ['get', 'missing', '-w', 'json'] },
  { args: ['get', 'foo', '--consistency=s'] },
  { args: ['put', 'foo', '--ignore-value'] },
  { args: ['get', 'foo', '-w', 'json'] },
  { args: ['put', 'nokey', '--ignore-value'] },
  { args: ['put', 'foo', 'x', '--lease=1234'] },
  { args: ['put', '', 'empty-key'] },
  { args: ['get', 'foo', '--rev=1000'] },
  { args: ['del', 'missing'] },
  { args: ['del', 'fo', '--prev-kv'] },
  { args: ['del', 'fo', '--prefix', '--prev-kv', '-w', 'json'] },
  { args: ['del', 'a', 'b'] },
  { args: ['put', 'counter', '1'] },
  { args: ['txn', '-w', 'json'], stdin: 'value("counter") = "1"\n\nput counter 2\nget counter\n\nput counter failed\n\n' },
  { args: ['txn'], stdin: 'value("counter") = "1"\n\nput counter 3\n\nget counter\n\n' },
  { args: ['txn'], stdin: 'mod("counter") > "0"\nversion("counter") = "2"\ncreate("counter") < "1000"\n\nput t1 a\nput t2 b\ndel z\n\n\n' },
  { args: ['txn', '-w', 'json'], stdin: 'val("nokey") != "x"\n\nput nokey yes\n\nput nokey no\n\n' },
  { args: ['get', '', '--prefix', '-w', 'json'] },
  { args: ['compaction', '5'] },
  { args: ['compaction', '5'] },
  { args: ['get', 'foo', '--rev=3'] },
  { args: ['get', 'foo', '--rev=5', '-w', 'json'] },
  { args: ['compaction', '--physical', '7'] },
  { args: ['compaction', '100000'] },
  { args: ['get', '', '--prefix', '-w', 'json'] },
];


describe('etcdctl against etcd-ts and the real etcd 3.4', { timeout: 240_000 }, () => {
  let ours: MemberProcess;
  let reference: MemberProcess;

  before(async () => {
    [ours, reference] = await Promise.all([MemberProcess.start({ kind: 'etcd-ts' }), MemberProcess.start({ kind: 'etcd' })]);
  });
  after(stopAllMembers);

  it('gives the same output for every KV command', async () => {
    const mismatches = await etcdctlMismatches(ours, reference, STEPS);
    assert.deepEqual(mismatches, [], mismatches.join('\n\n'));
  });
});
