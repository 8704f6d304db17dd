import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactedError, FutureRevisionError, type KeyValue } from '../../src/mvcc/index.js';
import { bytes, indexedRevisions, seededRandom, storedRevisions, withStore, type StoreFixture } from './helpers.js';

// A reference model: the full key space after every revision, as plain maps.
type ModelState = Map<string, KeyValue>;

interface Model {
  states: Map<number, ModelState>; // revision -> keys live at that revision
  currentRevision: number;
  compactRevision: number;
}

const keyNames = ['a', 'ab', 'abc', 'b', 'ba', 'c', 'd', 'e\u00ff', '\u0000x', 'zz'];

function stateAt(model: Model, revision: number): ModelState {
  for (let candidate = revision; candidate >= 1; candidate--) {
    const state = model.states.get(candidate);
    if (state !== undefined) return state;
  }
  return new Map();
}

function modelRange(state: ModelState, key: string, end: string | undefined, limit: number): { keys: string[]; count: number } {
  let keys: string[];
  if (end === undefined) keys = state.has(key) ? [key] : [];
  else keys = [...state.keys()].filter((candidate) => candidate >= key && (end === '\u0000' || candidate < end)).sort();
  return { keys: limit > 0 ? keys.slice(0, limit) : keys, count: keys.length };
}

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

function randomRange(random: () => number): [string, string | undefined] {
  const key = pick(random, keyNames);
  const roll = random();
  if (roll < 0.4) return [key, undefined];
  if (roll < 0.55) return [key, '\u0000'];
  return [key, pick(random, [...keyNames, 'b\u0000', '\u00ff'])];
}

function checkRead(fixture: StoreFixture, model: Model, random: () => number, seed: number, step: number): void {
  const [key, end] = randomRange(random);
  const revision = Math.floor(random() * (model.currentRevision + 3));
  const limit = random() < 0.3 ? 1 + Math.floor(random() * 3) : 0;
  const context = `seed ${seed} step ${step} range ${JSON.stringify([key, end, revision, limit])}`;
  const read = () => fixture.store.range(bytes(key), end === undefined ? undefined : bytes(end), { revision, limit });
  if (revision > model.currentRevision) return void assert.throws(read, FutureRevisionError, context);
  const atRevision = revision <= 0 ? model.currentRevision : revision;
  if (atRevision < model.compactRevision) return void assert.throws(read, CompactedError, context);
  const result = read();
  const expected = modelRange(stateAt(model, atRevision), key, end, limit);
  assert.equal(result.revision, model.currentRevision, context);
  assert.equal(result.count, expected.count, context);
  const expectedKvs = expected.keys.map((name) => stateAt(model, atRevision).get(name)!);
  assert.deepEqual(result.kvs.map(comparable), expectedKvs.map(comparable), context);
}

function comparable(kv: KeyValue): unknown {
  return { ...kv, key: kv.key.toString('latin1'), value: kv.value.toString('latin1') };
}

async function runModel(seed: number, steps: number): Promise<void> {
  const random = seededRandom(seed);
  const pendingSteps: (() => void)[] = [];
  // Runs queued compaction steps until no compaction is left (chained ones start a tick later).
  const drainCompactions = async (): Promise<void> => {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      if (pendingSteps.length === 0) return;
      while (pendingSteps.length > 0) pendingSteps.shift()!();
    }
  };
  const options = { compactionBatchSize: 3, scheduleCompactionStep: (step: () => void) => pendingSteps.push(step) };
  await withStore(async (fixture) => {
    await fixture.reopen(options);
    const model: Model = { states: new Map([[1, new Map()]]), currentRevision: 1, compactRevision: -1 };
    for (let step = 0; step < steps; step++) {
      const roll = random();
      if (roll < 0.45) {
        // A write transaction of 1-3 puts/deletes (sometimes none that change anything).
        const next = new Map(stateAt(model, model.currentRevision));
        const revision = model.currentRevision + 1;
        let changed = false;
        const txn = fixture.store.write();
        const operationCount = 1 + Math.floor(random() * 3);
        for (let operation = 0; operation < operationCount; operation++) {
          if (random() < 0.65) {
            const key = pick(random, keyNames);
            const value = `v${step}.${operation}`;
            const lease = random() < 0.2 ? 1 + Math.floor(random() * 3) : 0;
            txn.put(bytes(key), bytes(value), lease);
            const previous = next.get(key);
            next.set(key, {
              key: bytes(key),
              value: bytes(value),
              create_revision: previous?.create_revision ?? revision,
              mod_revision: revision,
              version: (previous?.version ?? 0) + 1,
              lease,
            });
            changed = true;
          } else {
            const [key, end] = randomRange(random);
            const doomed = modelRange(next, key, end, 0).keys;
            assert.equal(txn.deleteRange(bytes(key), end === undefined ? undefined : bytes(end)), doomed.length, `seed ${seed} step ${step}`);
            for (const name of doomed) next.delete(name);
            if (doomed.length > 0) changed = true;
          }
          // Reads inside the transaction see its own writes.
          const [key, end] = randomRange(random);
          const inside = txn.range(bytes(key), end === undefined ? undefined : bytes(end));
          assert.deepEqual(keysOfKvs(inside.kvs), modelRange(next, key, end, 0).keys, `seed ${seed} step ${step} in-txn read`);
        }
        txn.end();
        if (changed) {
          model.currentRevision = revision;
          model.states.set(revision, next);
        }
        assert.equal(fixture.store.currentRevision, model.currentRevision, `seed ${seed} step ${step}`);
      } else if (roll < 0.8) {
        checkRead(fixture, model, random, seed, step);
      } else if (roll < 0.9) {
        const revision = model.compactRevision + 1 + Math.floor(random() * 4);
        if (revision > model.currentRevision) continue;
        fixture.store.compact(revision);
        model.compactRevision = revision;
        // Sometimes run a few physical steps now.
        for (let run = Math.floor(random() * 3); run > 0 && pendingSteps.length > 0; run--) pendingSteps.shift()!();
      } else if (roll < 0.95) {
        // Restart, sometimes in the middle of a compaction (queued steps are dropped).
        if (random() < 0.5) await drainCompactions();
        pendingSteps.length = 0;
        await fixture.reopen(options);
        assert.equal(fixture.store.currentRevision, model.currentRevision, `seed ${seed} step ${step} after restart`);
        assert.equal(fixture.store.compactRevision, model.compactRevision, `seed ${seed} step ${step} after restart`);
      } else {
        await drainCompactions();
        assert.deepEqual(storedRevisions(fixture.backend), indexedRevisions(fixture.store), `seed ${seed} step ${step} stored vs indexed`);
      }
      if (step % 7 === 0) fixture.backend.commit();
    }
    await drainCompactions();
    assert.deepEqual(storedRevisions(fixture.backend), indexedRevisions(fixture.store), `seed ${seed} final stored vs indexed`);
  })();
}

function keysOfKvs(kvs: KeyValue[]): string[] {
  return kvs.map((kv) => kv.key.toString('latin1'));
}

test('randomized: the store matches a reference model across compactions and restarts', async () => {
  for (let seed = 1; seed <= 25; seed++) await runModel(seed, 300);
});
