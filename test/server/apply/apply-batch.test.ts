import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { Backend } from '../../../src/backend/index.js';
import { KVStore } from '../../../src/mvcc/index.js';
import { KVApplier } from '../../../src/server/apply/index.js';
import { putRequest, rangeRequest } from './requests.js';

// How the server drives the apply path: many entries into one backend batch, the
// applied index set last, one commit.
test('many applied entries, one commit with the applied index; a restart replays from it', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-apply-batch-'));
  try {
    let backend = Backend.open(directory);
    let store = KVStore.open(backend);
    let applier = new KVApplier(store);
    for (let index = 1; index <= 10; index++) applier.put(putRequest(`k${index}`, `v${index}`));
    backend.batchTx().setConsistentIndex(10, 2);
    backend.commit();
    for (let index = 11; index <= 15; index++) applier.put(putRequest(`k${index}`, `v${index}`));
    backend.batchTx().setConsistentIndex(15, 2);
    // Not committed: simulate a crash by dropping the pending batch before close.
    backend.batchTx().clear();
    store.close();
    await backend.close();

    backend = Backend.open(directory);
    store = KVStore.open(backend);
    applier = new KVApplier(store);
    assert.deepEqual(backend.consistentIndex(), { index: 10, term: 2 });
    assert.equal(store.currentRevision, 11);
    assert.equal(applier.range(rangeRequest('k', { range_end: Buffer.from('l') })).count, 10);
    // Replaying entries 11..15 from the WAL gives the same revisions as the first time.
    for (let index = 11; index <= 15; index++) assert.equal(applier.put(putRequest(`k${index}`, `v${index}`)).header.revision, index + 1);
    store.close();
    await backend.close();
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test('kill -9 between commits leaves data and applied index of the last commit', async () => {
  const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-apply-kill-'));
  try {
    const moduleUrl = (path: string) => JSON.stringify(new URL(path, import.meta.url).href);
    const script = `
      import { Backend } from ${moduleUrl('../../../src/backend/index.js')};
      import { KVStore } from ${moduleUrl('../../../src/mvcc/index.js')};
      import { KVApplier } from ${moduleUrl('../../../src/server/apply/index.js')};
      const backend = Backend.open(${JSON.stringify(directory)});
      const applier = new KVApplier(KVStore.open(backend));
      const put = (key) => applier.put({ key: Buffer.from(key), value: Buffer.from('v'), lease: 0, prev_kv: false, ignore_value: false, ignore_lease: false });
      for (let entry = 1; entry <= 300; entry++) {
        put('key' + entry);
        if (entry % 25 === 0) { backend.batchTx().setConsistentIndex(entry, 1); backend.commit(); }
        if (entry === 140) process.kill(process.pid, 'SIGKILL');
      }
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(result.signal, 'SIGKILL', result.stderr);
    const backend = Backend.open(directory);
    const store = KVStore.open(backend);
    assert.deepEqual(backend.consistentIndex(), { index: 125, term: 1 });
    assert.equal(store.currentRevision, 126);
    assert.equal(store.range(Buffer.from('key'), Buffer.from('kez'), { countOnly: true }).count, 125);
    store.close();
    await backend.close();
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
