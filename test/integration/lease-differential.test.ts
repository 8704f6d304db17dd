// Differential lease test: the same etcdctl command sequence (simple, json and
// fields output) against our member and against the real etcd 3.4, plus lease
// comparisons in a txn through the etcd3 client (its raw KV stub: snake_case fields) (etcdctl 3.4's own `lease("k")`
// compare panics client-side with "bad value" before sending anything) and an
// `etcdctl watch -w json` running beside the sequence.
//
// Outputs must match after masking what legitimately differs: lease ids (in hex
// and in decimal; each server's ids are replaced by their grant order), cluster
// and member ids, raft terms, and remaining TTLs, which may drift by a second.
// Both members start empty, so revisions are compared exactly.
// LEASE_DIFF_VERBOSE=1 prints every step's masked output (ours).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { Etcd3 } from 'etcd3';
import { MemberProcess, stopAllMembers } from '../support/member-process.js';
import { ETCDCTL_BINARY, etcdctl, type CommandResult } from '../support/etcdctl.js';
import { waitFor } from '../support/wait-for.js';

interface Session {
  member: MemberProcess;
  client: Etcd3;
  /** Lease ids in grant order: `<lease#N>` in masked output. */
  leaseIds: bigint[];
}

interface EtcdctlStep {
  kind: 'etcdctl';
  args: (session: Session) => string[];
  stdin?: string;
  /** The output names a newly granted lease: record it. */
  grants?: boolean;
  /** The output holds remaining TTLs (timetolive): compare them within a second. */
  remainingTtl?: boolean;
  /** What both masked outputs must contain, so a step that went wrong the same way on both still fails. */
  expect?: RegExp;
}

/** A request through the etcd3 client's raw gRPC stubs, for what etcdctl cannot send. */
interface RpcStep {
  kind: 'rpc';
  description: string;
  call: (session: Session) => Promise<unknown>;
  expect?: RegExp;
}

type Step = EtcdctlStep | RpcStep;

const hexId = (session: Session, index: number): string => {
  const id = session.leaseIds[index];
  assert.ok(id !== undefined, `lease #${index} was never granted`);
  return id.toString(16);
};
const decimalId = (session: Session, index: number): string => BigInt(`0x${hexId(session, index)}`).toString(10);

const ctl = (args: (session: Session) => string[], extra: Partial<EtcdctlStep> = {}): EtcdctlStep => ({ kind: 'etcdctl', args, ...extra });
const fixed = (...args: string[]): EtcdctlStep => ctl(() => args);
const expectFixed = (expect: RegExp, ...args: string[]): EtcdctlStep => ctl(() => args, { expect });
const grant = (expect: RegExp, ...args: string[]): EtcdctlStep => ctl(() => args, { grants: true, expect });
const key = (text: string) => Buffer.from(text);
const txn = (description: string, request: (session: Session) => object, expect: RegExp): RpcStep => ({
  kind: 'rpc',
  description: `txn ${description}`,
  call: (session) => session.client.kv.txn(request(session) as never),
  expect,
});
const rpc = (description: string, call: (session: Session) => Promise<unknown>, expect: RegExp): RpcStep => ({ kind: 'rpc', description, call, expect });

// lease #0: 10 s, keys a/1 a/2; lease #1: below the minimum; lease #2: 60 s, key b/1;
// lease #3: the largest TTL allowed; lease #4: negative TTL; leases #5 and #6: keys
// that move between leases. Short ones are revoked long before they could expire,
// so timing never changes the sequence.
const STEPS: Step[] = [
  grant(/^lease <lease#0> granted with TTL\(10s\)$/m, 'lease', 'grant', '10'),
  grant(/^lease <lease#1> granted with TTL\(2s\)$/m, 'lease', 'grant', '1'),
  ctl((s) => ['lease', 'timetolive', hexId(s, 1)], { remainingTtl: true }),
  ctl((s) => ['lease', 'revoke', hexId(s, 1)]),
  grant(/"ID":<lease#2>,"TTL":60,/, '-w', 'json', 'lease', 'grant', '60'),
  expectFixed(/^exit=1\n\nError: failed to grant lease \(etcdserver: too large lease TTL\)$/m, 'lease', 'grant', '9000000001'),
  fixed('-w', 'json', 'lease', 'grant', '9000000001'),
  grant(/^"TTL" : 9000000000$/m, '-w', 'fields', 'lease', 'grant', '9000000000'),
  grant(/^lease <lease#4> granted with TTL\(2s\)$/m, 'lease', 'grant', '--', '-5'),
  ctl((s) => ['lease', 'revoke', hexId(s, 4)]),
  fixed('lease', 'grant', 'notanumber'),
  ctl((s) => ['put', '--lease', hexId(s, 0), 'a/1', 'v1']),
  ctl((s) => ['put', `--lease=${hexId(s, 0)}`, 'a/2', 'v2', '-w', 'json']),
  fixed('put', 'a/3', 'unleased'),
  ctl((s) => ['put', '--lease', hexId(s, 2), 'b/1', 'other']),
  ctl((s) => ['put', '--lease', hexId(s, 2), 'a/3', 'now-leased', '--prev-kv', '-w', 'json']),
  expectFixed(/"lease":<lease#0>\}\],"count":1\}/, 'get', 'a/1', '-w', 'json'),
  fixed('get', 'a/', '--prefix', '-w', 'json'),
  fixed('get', '', '--prefix', '-w', 'fields'),
  ctl((s) => ['lease', 'timetolive', hexId(s, 0)], { remainingTtl: true }),
  ctl((s) => ['lease', 'timetolive', '--keys', hexId(s, 0)], { remainingTtl: true, expect: /^lease <lease#0> granted with TTL\(10s\), remaining\(<remaining>s\), attached keys\(\[a\/1 a\/2\]\)$/m }),
  ctl((s) => ['-w', 'json', 'lease', 'timetolive', hexId(s, 0)], { remainingTtl: true }),
  ctl((s) => ['-w', 'json', 'lease', 'timetolive', '--keys', hexId(s, 0)], { remainingTtl: true }),
  ctl((s) => ['-w', 'fields', 'lease', 'timetolive', '--keys', hexId(s, 2)], { remainingTtl: true }),
  ctl((s) => ['lease', 'timetolive', '--keys', hexId(s, 3)], { remainingTtl: true }),
  expectFixed(/^found 3 leases\n<lease#0>\n<lease#2>\n<lease#3>\n/m, 'lease', 'list'),
  fixed('-w', 'json', 'lease', 'list'),
  ctl((s) => ['lease', 'keep-alive', '--once', hexId(s, 0)], { expect: /^lease <lease#0> keepalived with TTL\(10\)$/m }),
  ctl((s) => ['-w', 'json', 'lease', 'keep-alive', '--once', hexId(s, 2)]),
  ctl((s) => ['-w', 'fields', 'lease', 'keep-alive', '--once', hexId(s, 0)]),
  txn(
    'lease("a/1") = <lease#0> → put c/1 with lease #2',
    (s) => ({
      compare: [{ key: key('a/1'), target: 'Lease', result: 'Equal', lease: decimalId(s, 0) }],
      success: [{ request_put: { key: key('c/1'), value: key('txn'), lease: decimalId(s, 2) } }, { request_range: { key: key('a/1') } }],
      failure: [{ request_range: { key: key('a/1') } }],
    }),
    /"succeeded":true/,
  ),
  txn(
    'lease("a/1") = <lease#2> fails',
    (s) => ({
      compare: [{ key: key('a/1'), target: 'Lease', result: 'Equal', lease: decimalId(s, 2) }],
      success: [{ request_put: { key: key('c/2'), value: key('wrong') } }],
      failure: [{ request_range: { key: key('c/'), range_end: key('c0') } }],
    }),
    /"succeeded":false/,
  ),
  txn(
    'lease("b/1") > 0 and lease("missing") = 0 and lease("a/1") != <lease#2>',
    (s) => ({
      compare: [
        { key: key('b/1'), target: 'Lease', result: 'Greater', lease: '0' },
        { key: key('missing'), target: 'Lease', result: 'Equal', lease: '0' },
        { key: key('a/1'), target: 'Lease', result: 'NotEqual', lease: decimalId(s, 2) },
      ],
      success: [{ request_put: { key: key('c/3'), value: key('all-true') } }],
      failure: [],
    }),
    /"succeeded":true/,
  ),
  txn(
    'put with an unknown lease inside a txn',
    () => ({ compare: [], success: [{ request_put: { key: key('c/4'), value: key('x'), lease: '4660' } }], failure: [] }),
    /^error .*requested lease not found/,
  ),
  ctl((s) => ['lease', 'timetolive', '--keys', hexId(s, 2)], { remainingTtl: true }),
  // The revoke: a/1 and a/2 go in one revision (the watch output checks it too).
  ctl((s) => ['lease', 'revoke', hexId(s, 0)], { expect: /^lease <lease#0> revoked$/m }),
  fixed('get', '', '--prefix', '-w', 'json'),
  ctl((s) => ['lease', 'timetolive', hexId(s, 0)], { expect: /^lease <lease#0> already expired$/m }),
  ctl((s) => ['lease', 'timetolive', '--keys', hexId(s, 0)]),
  ctl((s) => ['-w', 'json', 'lease', 'timetolive', '--keys', hexId(s, 0)]),
  ctl((s) => ['lease', 'revoke', hexId(s, 0)], { expect: /^Error: failed to revoke lease \(etcdserver: requested lease not found\)$/m }),
  ctl((s) => ['lease', 'keep-alive', '--once', hexId(s, 0)], { expect: /^exit=2\n\nError: etcdserver: requested lease not found$/m }),
  ctl((s) => ['put', '--lease', hexId(s, 0), 'a/1', 'again'], { expect: /^exit=1\n\nError: etcdserver: requested lease not found$/m }),
  fixed('lease', 'revoke', '1234'),
  fixed('lease', 'revoke', 'zz'),
  fixed('lease', 'timetolive', '1234'),
  fixed('-w', 'json', 'lease', 'timetolive', '--keys', '1234'),
  fixed('lease', 'keep-alive', '--once', '1234'),
  fixed('put', '--lease', '1234', 'orphan', 'v'),
  fixed('lease', 'list'),
  fixed('-w', 'json', 'lease', 'list'),
  // Revoking lease #2 deletes b/1, a/3 and c/1 together; lease #3 holds no key.
  ctl((s) => ['-w', 'json', 'lease', 'revoke', hexId(s, 2)]),
  ctl((s) => ['lease', 'revoke', hexId(s, 3)]),
  fixed('get', '', '--prefix', '-w', 'json'),
  fixed('lease', 'list'),
  // Keys leave a lease when overwritten without it, moved to another lease, or deleted.
  grant(/^lease <lease#5> granted with TTL\(60s\)$/m, 'lease', 'grant', '60'),
  grant(/^lease <lease#6> granted with TTL\(60s\)$/m, 'lease', 'grant', '60'),
  ...['d/1', 'd/2', 'd/3', 'd/4'].map((name) => ctl((s) => ['put', `--lease=${hexId(s, 5)}`, name, 'leased'])),
  fixed('put', 'd/1', 'overwritten'),
  ctl((s) => ['put', '--lease', hexId(s, 6), 'd/2', 'moved']),
  fixed('del', 'd/3'),
  fixed('put', 'd/4', '--ignore-value'),
  ctl((s) => ['lease', 'timetolive', '--keys', hexId(s, 5)], { remainingTtl: true, expect: /attached keys\(\[\]\)$/m }),
  ctl((s) => ['lease', 'timetolive', '--keys', hexId(s, 6)], { remainingTtl: true, expect: /attached keys\(\[d\/2\]\)$/m }),
  fixed('put', 'd/2', 'kept-lease', '--ignore-lease'),
  ctl((s) => ['put', '--lease', hexId(s, 6), 'd/2', '--ignore-value']),
  expectFixed(/^Error: etcdserver: key not found$/m, 'put', 'd/5', 'v', '--ignore-lease'),
  fixed('get', 'd/', '--prefix', '-w', 'json'),
  ctl((s) => ['lease', 'revoke', hexId(s, 5)]),
  expectFixed(/^d\/1\n\nd\/2\n\nd\/4\n/m, 'get', 'd/', '--prefix', '--keys-only'),
  // Ids chosen by the client, and lease 0 (no lease).
  rpc('grant ID 77', (s) => s.client.leaseClient.leaseGrant({ ID: '77', TTL: 30 }), /"ID":"77","TTL":"30"/),
  rpc('grant ID 77 again', (s) => s.client.leaseClient.leaseGrant({ ID: '77', TTL: 30 }), /lease already exists/),
  rpc('grant ID -5', (s) => s.client.leaseClient.leaseGrant({ ID: '-5', TTL: 40 }), /"ID":"-5"/),
  ctl(() => ['lease', 'timetolive', '4d'], { remainingTtl: true, expect: /^lease 000000000000004d granted with TTL\(30s\), remaining\(<remaining>s\)$/m }),
  fixed('put', '--lease', '4d', 'e/77', 'client-chosen'),
  fixed('lease', 'list'),
  fixed('-w', 'json', 'lease', 'list'),
  rpc('put with lease 0', (s) => s.client.kv.put({ key: key('e/0'), value: key('none'), lease: '0' }), /^ok /),
  rpc('revoke lease 0', (s) => s.client.leaseClient.leaseRevoke({ ID: '0' }), /requested lease not found/),
  rpc('time-to-live of lease 0', (s) => s.client.leaseClient.leaseTimeToLive({ ID: '0', keys: true }), /"TTL":"-1"/),
  rpc('revoke ID -5', (s) => s.client.leaseClient.leaseRevoke({ ID: '-5' }), /^ok /),
  fixed('lease', 'revoke', '4d'),
  ctl((s) => ['lease', 'revoke', hexId(s, 6)]),
  fixed('get', '', '--prefix', '-w', 'json'),
  fixed('lease', 'list'),
  fixed('put', 'zz/end', 'done'),
];

/** Records the lease a grant step created, from simple, json or fields output. */
function recordGrant(session: Session, result: CommandResult): void {
  const hex = /^lease ([0-9a-f]{16}) granted with TTL/m.exec(result.stdout);
  const decimal = /"ID":(\d+),"TTL"/.exec(result.stdout) ?? /^"ID" : (\d+)$/m.exec(result.stdout);
  const id = hex ? BigInt(`0x${hex[1]}`) : decimal ? BigInt(decimal[1]!) : undefined;
  assert.ok(id !== undefined, `no lease id in grant output: ${result.stdout}${result.stderr}`);
  session.leaseIds.push(id);
}

interface Masked {
  text: string;
  /** Remaining TTLs taken out of the text; compared within a second. */
  remaining: number[];
}

function mask(session: Session, text: string, remainingTtl: boolean): Masked {
  let masked = text;
  session.leaseIds.forEach((id, index) => {
    const placeholder = `<lease#${index}>`;
    masked = masked
      .replace(new RegExp(`\\b${id.toString(16).padStart(16, '0')}\\b`, 'g'), placeholder)
      .replace(new RegExp(`(?<![0-9])${id.toString(10)}(?![0-9])`, 'g'), placeholder);
  });
  masked = masked
    .replace(/"(cluster_id|member_id|raft_term)":\s*"?\d+"?/g, '"$1":"<masked>"')
    .replace(/"(ClusterID|MemberID|RaftTerm)" : \d+/g, '"$1" : <masked>')
    .replace(/127\.0\.0\.1:\d+/g, '<endpoint>')
    .replace(/"ts":"[^"]*"/g, '"ts":"<ts>"')
    .replace(/"target":"endpoint:\/\/client-[^"]*"/g, '"target":"<target>"');
  // Attached keys and leases come out of Go maps in no particular order.
  masked = masked
    .replace(/attached keys\(\[(.*)\]\)/g, (_all, keys: string) => `attached keys([${keys.split(' ').sort().join(' ')}])`)
    .replace(/"keys":\[([^\]]*)\]/g, (_all, keys: string) => `"keys":[${keys.split(',').sort().join(',')}]`)
    .replace(/"leases":\[([^\]]*)\]/g, (_all, leases: string) => `"leases":[${leases.split(/(?<=\}),(?=\{)/).sort().join(',')}]`)
    .replace(/^(?:"Key" : .*\n)+/m, (lines: string) => lines.trimEnd().split('\n').sort().join('\n') + '\n')
    .replace(/^(found \d+ leases\n)((?:<lease#\d+>\n)+)/m, (_all, head: string, ids: string) => head + ids.trimEnd().split('\n').sort().join('\n') + '\n');
  const remaining: number[] = [];
  if (remainingTtl) {
    const take = (value: string) => {
      remaining.push(Number(value));
      return '<remaining>';
    };
    masked = masked
      .replace(/remaining\((\d+)s\)/g, (_all, value: string) => `remaining(${take(value)}s)`)
      .replace(/"ttl":(\d+)/g, (_all, value: string) => `"ttl":${take(value)}`)
      .replace(/^"TTL" : (\d+)$/gm, (_all, value: string) => `"TTL" : ${take(value)}`);
  }
  return { text: masked, remaining };
}

async function runStep(session: Session, step: Step): Promise<Masked> {
  if (step.kind === 'rpc') {
    try {
      const response = await step.call(session);
      return mask(session, `ok ${JSON.stringify(response)}`, false);
    } catch (error) {
      return mask(session, `error ${(error as Error).constructor.name}: ${(error as Error).message}`, false);
    }
  }
  const result = await etcdctl(session.member.endpoint, step.args(session));
  if (step.grants) recordGrant(session, result);
  // etcdctl logs a client-side retry warning before its error line; the error is what counts.
  const errorLines = result.stderr
    .split('\n')
    .filter((line) => line.startsWith('Error:') || line.startsWith('panic:'))
    .join('\n');
  return mask(session, `exit=${result.code}\n${result.stdout}\n${errorLines}`, step.remainingTtl ?? false);
}

function describeStep(step: Step): string {
  if (step.kind === 'rpc') return `etcd3 client: ${step.description}`;
  const placeholders: Session = { member: undefined as never, client: undefined as never, leaseIds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => 0xfeed0n + BigInt(i)) };
  return `etcdctl ${step.args(placeholders).join(' ').replace(/\bfeed(\d)\b/g, '<lease#$1>')}`;
}

/** `etcdctl watch --prefix "" --rev=1 -w json` in the background. */
function startWatch(endpoint: string): { child: ChildProcess; output: () => string } {
  const child = spawn(ETCDCTL_BINARY, [`--endpoints=${endpoint}`, 'watch', '--prefix', '', '--rev=1', '-w', 'json'], {
    env: { ...process.env, ETCDCTL_API: '3' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

interface WatchLine {
  Header: { revision: number };
  Events?: Array<{ type?: number; kv: { key: string; mod_revision: number } }>;
}

describe('lease commands against etcd-ts and the real etcd 3.4', { timeout: 120_000 }, () => {
  let ours: Session;
  let reference: Session;
  const watchers: ChildProcess[] = [];

  before(async () => {
    const [ourMember, referenceMember] = await Promise.all([MemberProcess.start({ kind: 'etcd-ts' }), MemberProcess.start({ kind: 'etcd' })]);
    ours = { member: ourMember, client: new Etcd3({ hosts: ourMember.clientUrl }), leaseIds: [] };
    reference = { member: referenceMember, client: new Etcd3({ hosts: referenceMember.clientUrl }), leaseIds: [] };
  });
  after(async () => {
    for (const watcher of watchers) if (watcher.exitCode === null && watcher.signalCode === null) watcher.kill('SIGKILL');
    ours?.client.close();
    reference?.client.close();
    await stopAllMembers();
  });

  it('gives the same output for the same lease command sequence, and the same watch events', async () => {
    const ourWatch = startWatch(ours.member.endpoint);
    const referenceWatch = startWatch(reference.member.endpoint);
    watchers.push(ourWatch.child, referenceWatch.child);
    // Both watches exist before the first write: the first put shows up live in both.
    await Promise.all(
      [ours, reference].map(async (session, index) => {
        await etcdctl(session.member.endpoint, ['put', 'watch/ready', 'yes']);
        const watch = index === 0 ? ourWatch : referenceWatch;
        await waitFor(`the watch on ${session.member.kind} to start`, () => watch.output().includes('"Events"') || undefined, { timeoutMs: 15_000 });
      }),
    );

    const mismatches: string[] = [];
    for (const step of STEPS) {
      const [ourOutput, referenceOutput] = await Promise.all([runStep(ours, step), runStep(reference, step)]);
      const ttlDrift = ourOutput.remaining.length !== referenceOutput.remaining.length || ourOutput.remaining.some((value, i) => Math.abs(value - referenceOutput.remaining[i]!) > 1);
      if (process.env['LEASE_DIFF_VERBOSE']) console.log(`${describeStep(step)}\n${ourOutput.text}`);
      for (const [name, output] of [['etcd-ts', ourOutput], ['etcd 3.4', referenceOutput]] as const) {
        if (step.expect && !step.expect.test(output.text)) mismatches.push(`${describeStep(step)}\n--- ${name} does not match ${step.expect}\n${output.text}`);
      }
      if (ourOutput.text !== referenceOutput.text || ttlDrift) {
        mismatches.push(
          `${describeStep(step)}\n--- etcd-ts (remaining ${ourOutput.remaining.join(',')})\n${ourOutput.text}\n--- etcd 3.4 (remaining ${referenceOutput.remaining.join(',')})\n${referenceOutput.text}`,
        );
      }
    }

    await Promise.all(
      [ourWatch, referenceWatch].map((watch) => waitFor('the last put to reach the watch', () => watch.output().includes('"key":"enovZW5k"') || undefined, { timeoutMs: 15_000 })),
    );
    ourWatch.child.kill('SIGKILL');
    referenceWatch.child.kill('SIGKILL');
    const ourEvents = mask(ours, ourWatch.output(), false).text;
    const referenceEvents = mask(reference, referenceWatch.output(), false).text;
    if (ourEvents !== referenceEvents) mismatches.push(`etcdctl watch --prefix "" --rev=1 -w json\n--- etcd-ts\n${ourEvents}\n--- etcd 3.4\n${referenceEvents}`);
    assert.deepEqual(mismatches, [], mismatches.join('\n\n'));

    // Beyond matching etcd: each revoke is one watch response, all deletes at one revision.
    const responses = ourWatch
      .output()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as WatchLine);
    const deletions = responses.filter((response) => response.Events?.some((event) => event.type === 1));
    assert.deepEqual(
      deletions.map((response) => response.Events!.map((event) => `${Buffer.from(event.kv.key, 'base64').toString()}@${event.kv.mod_revision - response.Header.revision}`)),
      [
        ['a/1@0', 'a/2@0'],
        ['a/3@0', 'b/1@0', 'c/1@0'],
        ['d/3@0'], // `etcdctl del d/3`
        ['e/77@0'],
        ['d/2@0'],
      ],
    );
    const revisionOf = async (session: Session) => (JSON.parse(await etcdctl(session.member.endpoint, ['get', 'zz/end', '-w', 'json']).then((r) => r.stdout)) as WatchLine & { header: { revision: number } }).header.revision;
    assert.equal(await revisionOf(ours), await revisionOf(reference), 'both members end at the same revision');
  });
});
