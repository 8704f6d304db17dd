// The same etcdctl command sequence against our member and against the real
// etcd 3.4: outputs must match once ids, terms and addresses are masked.
// Both members start empty, so even absolute revisions line up.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { etcdctl, type CommandResult } from '../support/etcdctl.js';

interface Step {
  args: string[];
  stdin?: string;
}

// Each group runs in order on both members; groups share one pair of members.
const STEPS: Step[] = [
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

/** Removes what legitimately differs between two members: ids, terms, addresses, timestamps. */
function normalize(result: CommandResult): string {
  const maskText = (text: string) =>
    text
      .replace(/"(cluster_id|member_id|raft_term|ID)":\s*"?\d+"?/g, '"$1":"<masked>"')
      .replace(/"(ClusterID|MemberID|RaftTerm)" : \d+/g, '"$1" : <masked>')
      .replace(/127\.0\.0\.1:\d+/g, '<endpoint>')
      .replace(/"ts":"[^"]*"/g, '"ts":"<ts>"');
  // etcdctl prints a client-side retry warning before the error line; the error itself is what counts.
  const errorLines = result.stderr
    .split('\n')
    .filter((line) => line.startsWith('Error:'))
    .join('\n');
  return `exit=${result.code}\n${maskText(result.stdout)}\n${maskText(errorLines)}`;
}

describe('etcdctl against etcd-ts and the real etcd 3.4', { timeout: 240_000 }, () => {
  let ours: MemberProcess;
  let reference: MemberProcess;

  before(async () => {
    [ours, reference] = await Promise.all([MemberProcess.start({ kind: 'etcd-ts' }), MemberProcess.start({ kind: 'etcd' })]);
  });
  after(stopAllMembers);

  it('gives the same output for every KV command', async () => {
    const mismatches: string[] = [];
    for (const step of STEPS) {
      const [ourResult, referenceResult] = await Promise.all([
        etcdctl(ours.endpoint, step.args, { stdin: step.stdin }),
        etcdctl(reference.endpoint, step.args, { stdin: step.stdin }),
      ]);
      const ourText = normalize(ourResult);
      const referenceText = normalize(referenceResult);
      if (ourText !== referenceText) {
        mismatches.push(`etcdctl ${step.args.join(' ')}\n--- etcd-ts\n${ourText}\n--- etcd 3.4\n${referenceText}`);
      }
    }
    assert.deepEqual(mismatches, [], mismatches.join('\n\n'));
  });
});
