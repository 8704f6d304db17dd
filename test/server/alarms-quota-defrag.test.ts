// Alarms, the quota's cost rules and defrag at the unit level:
// - the state machine applies Alarm requests as etcd's applierV3backend
//   (GET, ACTIVATE once per member and type, DEACTIVATE), keeps them in the
//   `alarm` bucket across a reopen, and while NOSPACE is raised refuses puts,
//   txns with puts and lease grants (etcd's cappedApplier) but applies
//   deletes, txns without puts and compactions; CORRUPT refuses writes;
// - quota costs as etcd's storage/quota.go;
// - a backend defrag with writes and commits during its copy keeps them all.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateMachine } from '../../src/server/state-machine.js';
import { AlarmAction, AlarmType } from '../../src/server/alarms.js';
import { humanizeBytes, newBackendQuota, quotaCost } from '../../src/server/quota.js';
import { Backend } from '../../src/backend/index.js';
import { silentLogger } from '../../src/pkg/logger.js';
import { removeStateMachineDirectories, testStateMachineOptions } from './state-machine-options.js';
import type { InternalRaftRequest } from '../../src/server/internal-request.js';

after(() => removeStateMachineDirectories());

const header = (revision: number) => ({ cluster_id: '1', member_id: '1', revision, raft_term: 1 });
const MEMBER = '13668033151171901709';

function put(key: string, value = 'v'): InternalRaftRequest {
  return { put: { key: Buffer.from(key), value: Buffer.from(value), lease: 0, prev_kv: false, ignore_value: false, ignore_lease: false } };
}

function txn(operations: unknown[]): InternalRaftRequest {
  return { txn: { compare: [], success: operations, failure: [] } as never };
}

describe('alarms in the state machine', () => {
  it('ACTIVATE, GET, DEACTIVATE as etcd; NOSPACE caps writes; persisted', async () => {
    const options = testStateMachineOptions('alarms');
    let machine = StateMachine.open(options);
    let index = 1;
    const apply = (request: InternalRaftRequest) => {
      const outcome = machine.apply(request, header, index);
      machine.endApplySection(index, 1);
      index++;
      return outcome;
    };
    assert.ok(!(apply(put('a')) instanceof Error));
    assert.deepEqual(apply({ alarm: { action: AlarmAction.ACTIVATE, memberID: MEMBER, alarm: AlarmType.NOSPACE } }), { alarms: [{ memberID: MEMBER, alarm: 1 }] });
    // Raising again answers the existing alarm; NONE raises nothing.
    assert.deepEqual(apply({ alarm: { action: AlarmAction.ACTIVATE, memberID: MEMBER, alarm: AlarmType.NOSPACE } }), { alarms: [{ memberID: MEMBER, alarm: 1 }] });
    assert.deepEqual(apply({ alarm: { action: AlarmAction.ACTIVATE, memberID: MEMBER, alarm: AlarmType.NONE } }), { alarms: [] });
    assert.deepEqual(apply({ alarm: { action: AlarmAction.GET, memberID: '0', alarm: AlarmType.NONE } }), { alarms: [{ memberID: MEMBER, alarm: 1 }] });

    const refused = apply(put('b')) as Error;
    assert.equal(refused.message, 'etcdserver: mvcc: database space exceeded');
    assert.equal((refused as { grpcCode?: string }).grpcCode, 'ResourceExhausted');
    assert.ok(apply(txn([{ request: 'request_put', request_put: put('c').put }])) instanceof Error);
    assert.ok(apply({ lease_grant: { TTL: 10, ID: 5 } }) instanceof Error);
    assert.ok(!(apply({ delete_range: { key: Buffer.from('a'), range_end: Buffer.alloc(0), prev_kv: false } }) instanceof Error));
    assert.ok(!(apply(txn([{ request: 'request_delete_range', request_delete_range: { key: Buffer.from('x'), range_end: Buffer.alloc(0), prev_kv: false } }])) instanceof Error));
    assert.ok(!(await Promise.resolve(apply({ compaction: { revision: 2, physical: false } }))  instanceof Error));

    // Survives a reopen (the alarm bucket).
    machine.commitNow();
    await machine.close();
    machine = StateMachine.open(options);
    assert.deepEqual(machine.alarms.get(AlarmType.NONE), [{ memberID: MEMBER, alarm: 1 }]);
    assert.ok(apply(put('d')) instanceof Error);

    // Deactivating an alarm that is not raised answers nothing; NOSPACE's lets writes in.
    assert.deepEqual(apply({ alarm: { action: AlarmAction.DEACTIVATE, memberID: '7', alarm: AlarmType.NOSPACE } }), { alarms: [] });
    assert.deepEqual(apply({ alarm: { action: AlarmAction.DEACTIVATE, memberID: MEMBER, alarm: AlarmType.NOSPACE } }), { alarms: [{ memberID: MEMBER, alarm: 1 }] });
    assert.ok(!(apply(put('e')) instanceof Error));

    // CORRUPT refuses deletes too.
    apply({ alarm: { action: AlarmAction.ACTIVATE, memberID: MEMBER, alarm: AlarmType.CORRUPT } });
    assert.equal((apply({ delete_range: { key: Buffer.from('e'), range_end: Buffer.alloc(0), prev_kv: false } }) as Error).message, 'etcdserver: corrupt cluster');
    machine.commitNow();
    await machine.close();
  });
});

describe('quota', () => {
  it('costs as etcd: 256 + key + value per put, the larger txn branch, 64 per lease', () => {
    assert.equal(quotaCost({ put: put('key', 'value').put! }), 256 + 3 + 5);
    const request = {
      compare: [],
      success: [{ request: 'request_put', request_put: put('a', 'bb').put }],
      failure: [
        { request: 'request_put', request_put: put('a', 'bb').put },
        { request: 'request_txn', request_txn: { compare: [], success: [{ request: 'request_put', request_put: put('x').put }], failure: [] } },
      ],
    };
    assert.equal(quotaCost({ txn: request as never }), 259 + 258);
    assert.equal(quotaCost({ txn: { compare: [], success: [], failure: [] } as never }), 0);
    assert.equal(quotaCost({ leaseGrant: true }), 64);
  });

  it('refuses what would go past the quota; a request of cost 0 always fits; negative disables', () => {
    let size = 1000;
    const quota = newBackendQuota(2000, () => size, silentLogger);
    assert.equal(quota.available({ put: put('k', 'v').put! }), true);
    size = 1800;
    assert.equal(quota.available({ put: put('k', 'v').put! }), false);
    assert.equal(quota.available({ txn: { compare: [], success: [], failure: [] } as never }), true);
    assert.equal(newBackendQuota(0, () => size, silentLogger).bytes, 2 * 1024 * 1024 * 1024);
    assert.equal(newBackendQuota(-1, () => 10 ** 12, silentLogger).available({ leaseGrant: true }), true);
    assert.equal(humanizeBytes(2 * 1024 * 1024 * 1024), '2.1 GB');
    assert.equal(humanizeBytes(1048576), '1.0 MB');
    assert.equal(humanizeBytes(53248), '53 kB');
  });
});

describe('backend defrag', () => {
  it('keeps writes committed while the copy runs, and serves reads meanwhile', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'defrag-'));
    try {
      const backend = Backend.open(directory);
      const value = Buffer.alloc(1000, 7);
      for (let index = 0; index < 3000; index++) backend.batchTx().put('key', Buffer.from(`k${index}`), value);
      backend.batchTx().setConsistentIndex(1, 1);
      backend.commit();
      for (let index = 0; index < 2900; index++) backend.batchTx().delete('key', Buffer.from(`k${index}`));
      backend.commit();
      const sizeBefore = backend.sizeBytes();
      const defrag = backend.defrag();
      // During the copy: writes and commits (deferred), and reads of both.
      backend.batchTx().put('key', Buffer.from('during'), Buffer.from('yes'));
      backend.batchTx().setConsistentIndex(2, 1);
      backend.commit();
      assert.deepEqual(backend.get('key', Buffer.from('during')), Buffer.from('yes'));
      assert.deepEqual(backend.get('key', Buffer.from('k2950')), value);
      await defrag;
      assert.ok(backend.sizeBytes() < sizeBefore / 4, `${sizeBefore} -> ${backend.sizeBytes()}`);
      assert.deepEqual(backend.committedConsistentIndex(), { index: 2, term: 1 });
      await backend.close();
      const reopened = Backend.open(directory);
      assert.deepEqual(reopened.get('key', Buffer.from('during')), Buffer.from('yes'));
      assert.equal(reopened.range('key', Buffer.from('k'), Buffer.from('l')).length, 100);
      assert.deepEqual(reopened.consistentIndex(), { index: 2, term: 1 });
      await reopened.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
