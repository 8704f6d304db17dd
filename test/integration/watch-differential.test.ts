// The same writes and `etcdctl watch` commands against our server and against the
// real etcd 3.4; the outputs must be identical (revisions match too: both start at
// revision 1 and apply the same writes). Only JSON headers' ids and terms are masked.
// WATCH_DIFF_SUBJECT=etcd runs the scenario against etcd twice (to check the test).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { MemberProcess, stopAllMembers, type MemberKind } from '../support/member-process.js';
import { etcdctl, etcdctlOk } from '../support/etcdctl.js';
import { EtcdctlWatch } from '../mvcc/watch/watch-clients.js';

after(stopAllMembers);

const subject = (process.env['WATCH_DIFF_SUBJECT'] ?? 'etcd-ts') as MemberKind;

async function writeHistory(endpoint: string): Promise<void> {
  await etcdctlOk(endpoint, ['put', 'k1', 'v1']); // 2
  await etcdctlOk(endpoint, ['put', 'k2', 'v2']); // 3
  await etcdctlOk(endpoint, ['put', 'k1', 'v3']); // 4
  await etcdctlOk(endpoint, ['del', 'k2']); // 5
  await etcdctlOk(endpoint, ['txn'], { stdin: '\nput k1 t1\nput k3 t3\ndel k9\n\n\n' }); // 6: two events in one revision
  await etcdctlOk(endpoint, ['put', 'a', 'x']); // 7
  await etcdctlOk(endpoint, ['del', '--prefix', 'k']); // 8: two deletes in one revision
  await etcdctlOk(endpoint, ['put', 'k1', 'again']); // 9
  await etcdctlOk(endpoint, ['compaction', '3']);
}

/** Runs `etcdctl watch args`, makes the `sentinel` write, returns the output up to its event. */
async function watchUntil(
  endpoint: string,
  args: string[],
  sentinel: [string, string],
  stdinLines: string[] = [],
  marker = `${sentinel[0]}\n${sentinel[1]}\n`,
  historyMarker?: string,
): Promise<string> {
  const watch = new EtcdctlWatch(endpoint, args);
  try {
    for (const line of stdinLines) watch.sendLine(line);
    // Every watch here starts at a past revision, so the sentinel is delivered even if
    // it is written before the watch is created. Where response boundaries show (JSON),
    // the history is awaited first so that both servers group events alike.
    if (historyMarker !== undefined) await watch.waitForText(historyMarker);
    await etcdctlOk(endpoint, ['put', ...sentinel]);
    await watch.waitForText(marker);
    return watch.output.slice(0, watch.output.indexOf(marker) + marker.length);
  } finally {
    await watch.stop();
  }
}

async function scenario(kind: MemberKind): Promise<Record<string, string>> {
  const member = await MemberProcess.start({ kind });
  try {
    const endpoint = member.endpoint;
    await writeHistory(endpoint);
    const outputs: Record<string, string> = {};
    outputs['prefix from 3 with prev-kv'] = await watchUntil(endpoint, ['--rev=3', '--prefix', 'k', '--prev-kv'], ['k-end', '1']);
    outputs['key range [k1, k3) from 4'] = await watchUntil(endpoint, ['--rev=4', 'k1', 'k3'], ['k2', 'end']);
    outputs['every key from 6'] = await watchUntil(endpoint, ['--rev=6', '--prefix', ''], ['zz', 'end']);
    outputs['interactive'] = await watchUntil(endpoint, ['-i'], ['a', 'end'], ['watch --rev=7 a']);
    const endBase64 = Buffer.from('end').toString('base64');
    outputs['json'] = await watchUntil(endpoint, ['--rev=9', '-w', 'json', 'k1'], ['k1', 'end'], [], `"value":"${endBase64}"}}]`, Buffer.from('again').toString('base64'));
    const compacted = await etcdctl(endpoint, ['watch', '--rev=2', 'k1'], { timeoutMs: 15_000 });
    outputs['compacted'] = `exit ${compacted.code}\n${compacted.stdout}${compacted.stderr}`;
    return outputs;
  } finally {
    await member.destroy();
  }
}

function mask(outputs: Record<string, string>): Record<string, string> {
  const masked: Record<string, string> = {};
  for (const [name, output] of Object.entries(outputs)) {
    masked[name] = output.replace(/"(cluster_id|member_id|raft_term)":\d+/g, '"$1":<masked>');
  }
  return masked;
}

test(`etcdctl watch outputs of ${subject} equal etcd 3.4's`, async () => {
  const reference = mask(await scenario('etcd'));
  if (process.env['WATCH_DIFF_PRINT']) console.log(JSON.stringify(reference, null, 1));
  const observed = mask(await scenario(subject));
  assert.ok(reference['prefix from 3 with prev-kv']!.includes('DELETE'), 'the scenario produced history');
  assert.match(reference['compacted']!, /required revision has been compacted/);
  assert.deepEqual(observed, reference);
});
