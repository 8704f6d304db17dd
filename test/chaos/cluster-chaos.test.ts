// A short chaos run in CI: 3 members, ~30 s, every fault type that applies,
// then the linearizability, convergence and watch checks. CHAOS_KIND=etcd
// runs it on the real etcd 3.4 (process faults only: etcd's peer
// connections cannot be partitioned by the proxy); CHAOS_SEED replays a run.
// The members talk over TLS (--peer-auto-tls) unless CHAOS_PEER_TLS=0.
// Every member process is stopped by PID, also when the run fails.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { stopAllClusters } from '../support/cluster-process.js';
import { ALL_FAULTS } from './runner/faults.js';
import { defaultOptions } from './runner/options.js';
import { runChaos } from './runner/run-chaos.js';

after(stopAllClusters);

const kind = process.env['CHAOS_KIND'] === 'etcd' ? 'etcd' : 'etcd-ts';
const seed = process.env['CHAOS_SEED'] === undefined ? Date.now() % 1_000_000 : Number(process.env['CHAOS_SEED']);
const peerTls = process.env['CHAOS_PEER_TLS'] !== '0';

describe(`chaos on a 3-member ${kind} cluster${peerTls ? ' with TLS between members' : ''}`, () => {
  it(`keeps every acknowledged write and stays linearizable under faults (seed ${seed})`, { timeout: 420_000 }, async () => {
    const lines: string[] = [];
    const report = await runChaos(
      defaultOptions({ kind, members: 3, durationSeconds: 30, seed, peerTls, verbose: true, log: (line) => lines.push(line), faultHoldMs: [1_000, 2_500], faultGapMs: [500, 1_500] }),
    );
    console.log(lines.join('\n'));
    console.log(report.summary);
    assert.equal(report.ok, true, report.summary);
    // Every fault type ran at least once, or was skipped with a reason.
    for (const fault of ALL_FAULTS) {
      assert.ok((report.faults[fault.name] ?? 0) > 0 || report.skippedFaults[fault.name] !== undefined, `fault ${fault.name} never ran:\n${report.summary}`);
    }
    if (kind === 'etcd-ts') assert.deepEqual(report.skippedFaults, {}, 'etcd-ts members must dial from their own address so partitions apply');
    assert.ok(report.operations > 1_000, `only ${report.operations} operations`);
    assert.ok((report.outcomes['put ok'] ?? 0) > 100 && (report.outcomes['read ok'] ?? 0) > 100 && (report.outcomes['cas ok'] ?? 0) > 10, report.summary);
  });
});
