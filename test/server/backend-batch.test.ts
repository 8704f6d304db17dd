// When the state machine's backend batch reaches LMDB: at the batch limit at
// once, otherwise once the batch interval has passed (etcd's
// --backend-batch-limit and --backend-batch-interval), and always with the
// applied index of the writes it carries.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StateMachine, type StateMachineOptions } from '../../src/server/state-machine.js';
import type { InternalRaftRequest } from '../../src/server/internal-request.js';
import { waitFor } from '../support/wait-for.js';
import { putRequest, rangeRequest } from './apply/requests.js';
import { removeStateMachineDirectories, testStateMachineOptions } from './state-machine-options.js';

after(removeStateMachineDirectories);

const options = (overrides: Partial<StateMachineOptions>): StateMachineOptions => testStateMachineOptions('backend-batch', overrides);

const header = (revision: number) => ({ cluster_id: '1', member_id: '1', revision, raft_term: 1 });

function put(machine: StateMachine, index: number): void {
  machine.apply({ put: putRequest(`k${index}`, `v${index}`) } as InternalRaftRequest, header);
  machine.endApplySection(index, 1);
}

describe('backend batch commits', () => {
  it('an apply section below the limit reaches LMDB after the interval, with its applied index', async () => {
    const machine = StateMachine.open(options({ backendBatchIntervalMs: 200 }));
    try {
      const started = Date.now();
      put(machine, 1);
      put(machine, 2);
      assert.equal(machine.consistentIndex(), 2, 'reads and the applied index see the batch at once');
      assert.equal(machine.backend.committedConsistentIndex().index, 0, 'not yet in LMDB');
      await waitFor('the timed commit', () => machine.backend.committedConsistentIndex().index === 2 || undefined, { timeoutMs: 10_000, intervalMs: 5 });
      assert.ok(Date.now() - started >= 150, 'not before the interval');
    } finally {
      await machine.close();
    }
  });

  it('a section that fills the batch commits at its end', async () => {
    const machine = StateMachine.open(options({ backendBatchIntervalMs: 3_600_000, backendBatchLimit: 2 }));
    try {
      put(machine, 1);
      assert.equal(machine.backend.batchTx().pendingWrites, 1, 'a put of a new key is one backend write');
      assert.equal(machine.backend.committedConsistentIndex().index, 0);
      put(machine, 2);
      assert.equal(machine.backend.committedConsistentIndex().index, 2);
      assert.equal(machine.backend.batchTx().pendingWrites, 0);
    } finally {
      await machine.close();
    }
  });

  it('close commits what is pending, and a reopened backend holds it', async () => {
    const settings = options({ backendBatchIntervalMs: 3_600_000 });
    let machine = StateMachine.open(settings);
    try {
      put(machine, 1);
    } finally {
      await machine.close();
    }
    machine = StateMachine.open(settings);
    try {
      assert.equal(machine.backend.committedConsistentIndex().index, 1);
      assert.equal(machine.range(rangeRequest('k1')).kvs.length, 1);
    } finally {
      await machine.close();
    }
  });
});
