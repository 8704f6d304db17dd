import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyIndex, type DroppedRevision } from '../../src/mvcc/key-index.js';
import { TreeIndex, type RangeEnd } from '../../src/mvcc/tree-index.js';
import type { Revision } from '../../src/mvcc/revision.js';
import { ReferenceKeyIndex } from './reference-key-index.js';
import { seededRandom } from './helpers.js';

// The compact KeyIndex against the object-per-revision one it replaced
// (reference-key-index.ts), over random histories of put / delete / compact,
// including several changes per main revision, restores, and revisions
// beyond 2^31 (no longer small integers in V8).

const show = (revision: Revision): string => `${revision.main}_${revision.sub}`;

function assertSameState(actual: KeyIndex, expected: ReferenceKeyIndex, maxRevision: number, context: string): void {
  assert.equal(actual.isLive(), expected.isLive(), `${context}: isLive`);
  assert.equal(actual.isEmpty(), expected.isEmpty(), `${context}: isEmpty`);
  assert.deepEqual(actual.modified, expected.modified, `${context}: modified`);
  assert.equal(actual.lease, expected.lease, `${context}: lease`);
  assert.deepEqual(actual.generations, expected.generations, `${context}: generations`);
  const probes = new Set<number>([0, 1, maxRevision, maxRevision + 1]);
  for (const generation of expected.generations) {
    for (const revision of generation.revisions) for (const delta of [-1, 0, 1]) probes.add(revision.main + delta);
  }
  for (const at of probes) {
    assert.deepEqual(actual.get(at), expected.get(at), `${context}: get(${at})`);
    assert.deepEqual(actual.since(at), expected.since(at), `${context}: since(${at})`);
  }
}

function randomHistory(seed: number): void {
  const random = seededRandom(seed);
  const key = Buffer.from([0x61, 0x00, 0xff, seed & 0xff]);
  const actual = new KeyIndex(key.toString('latin1'));
  const expected = new ReferenceKeyIndex(Buffer.from(key));
  assert.deepEqual(actual.key, key);
  // Some seeds start far above 2^31.
  let main = seed % 4 === 3 ? 2 ** 31 + Math.floor(random() * 1000) : 1;
  let compacted = 0;
  const steps = 5 + Math.floor(random() * 60);
  const restoreRoll = random();
  if (restoreRoll < 0.2) {
    main += 2;
    actual.restore({ main: main - 1, sub: 0 }, { main, sub: 1 }, 3);
    expected.restore({ main: main - 1, sub: 0 }, { main, sub: 1 }, 3);
  } else if (restoreRoll < 0.3) {
    main += 1;
    actual.restoreTombstone({ main, sub: 0 });
    expected.restoreTombstone({ main, sub: 0 });
  }
  for (let step = 0; step < steps; step++) {
    // One "transaction": one or more changes at the next main revision.
    main += random() < 0.8 ? 1 : 1 + Math.floor(random() * 5);
    const changes = random() < 0.75 ? 1 : 2 + Math.floor(random() * 3);
    for (let sub = 0; sub < changes; sub++) {
      const revision = { main, sub };
      if (random() < 0.7) {
        const lease = random() < 0.3 ? 7_587_862_457_745_458_000 : random() < 0.5 ? 5 : 0;
        actual.put(revision);
        expected.put(revision);
        actual.lease = lease;
        expected.lease = lease;
      } else {
        assert.equal(actual.tombstone(revision), expected.tombstone(revision), `seed ${seed}: tombstone ${show(revision)}`);
      }
    }
    const context = `seed ${seed} step ${step}`;
    assertSameState(actual, expected, main, context);
    if (random() < 0.25 && !expected.isEmpty()) {
      const at = compacted + Math.floor(random() * (main - compacted + 1));
      compacted = Math.max(compacted, at);
      const droppedActual: DroppedRevision[] = [];
      const droppedExpected: DroppedRevision[] = [];
      actual.compact(at, droppedActual);
      expected.compact(at, droppedExpected);
      assert.deepEqual(droppedActual, droppedExpected, `${context}: dropped by compact(${at})`);
      assertSameState(actual, expected, main, `${context} after compact(${at})`);
      if (expected.isEmpty()) return;
    }
  }
}

test('key index: random histories match the reference model', () => {
  for (let seed = 1; seed <= 600; seed++) randomHistory(seed);
});

test('key index: a put not above the last revision is refused, as before', () => {
  const actual = new KeyIndex('k');
  actual.put({ main: 5, sub: 1 });
  assert.throws(() => actual.put({ main: 5, sub: 1 }), /not above 5_1/);
  assert.throws(() => actual.put({ main: 4, sub: 9 }), /not above 5_1/);
  assert.throws(() => actual.tombstone({ main: 5, sub: 0 }), /not above 5_1/);
  assert.equal(actual.isLive(), true);
  actual.put({ main: 5, sub: 2 });
  assert.deepEqual(actual.modified, { main: 5, sub: 2 });
});

test('key index: a key put once keeps no revision arrays', () => {
  const keyIndex = new KeyIndex('once');
  keyIndex.put({ main: 2, sub: 0 });
  const fields = keyIndex as unknown as { earlier: unknown; closed: unknown };
  assert.equal(fields.earlier, undefined);
  assert.equal(fields.closed, undefined);
  keyIndex.put({ main: 3, sub: 0 });
  const dropped: DroppedRevision[] = [];
  keyIndex.compact(3, dropped);
  assert.deepEqual(dropped, [{ revision: { main: 2, sub: 0 }, tombstone: false }]);
  assert.equal(fields.earlier, undefined);
  assert.deepEqual(keyIndex.get(3), { modified: { main: 3, sub: 0 }, created: { main: 2, sub: 0 }, version: 2 });
});

// TreeIndex over the compact KeyIndex against a plain map of reference key indexes.

const alphabet = ['', '\u0000', 'a', 'a\u0000', 'ab', 'b', '\u00ff', '\u00ff\u00ff', 'z\u0080'];

function modelRange(model: Map<string, ReferenceKeyIndex>, start: string, end: string | undefined, at: number): { key: string; modified: Revision; created: Revision; version: number }[] {
  const found = [];
  for (const key of [...model.keys()].sort()) {
    if (key < start || (end !== undefined && key >= end)) continue;
    const state = model.get(key)!.get(at);
    if (state !== undefined) found.push({ key, ...state });
  }
  return found;
}

test('tree index: random puts, deletes and compactions match a map of reference key indexes', () => {
  for (let seed = 1; seed <= 60; seed++) {
    const random = seededRandom(seed * 7919);
    const index = new TreeIndex();
    const model = new Map<string, ReferenceKeyIndex>();
    let main = 1;
    let compacted = 0;
    for (let step = 0; step < 150; step++) {
      main++;
      const changes = 1 + Math.floor(random() * 3);
      for (let sub = 0; sub < changes; sub++) {
        const keyString = alphabet[Math.floor(random() * alphabet.length)]! + (random() < 0.5 ? '' : String(Math.floor(random() * 4)));
        const key = Buffer.from(keyString, 'latin1');
        const revision = { main, sub };
        if (random() < 0.65) {
          index.put(key, revision, 0);
          let reference = model.get(keyString);
          if (reference === undefined) model.set(keyString, (reference = new ReferenceKeyIndex(key)));
          reference.put(revision);
        } else {
          const reference = model.get(keyString);
          assert.equal(index.tombstone(key, revision), reference?.tombstone(revision) ?? false);
        }
      }
      if (random() < 0.1) {
        const at = compacted + Math.floor(random() * (main - compacted + 1));
        compacted = at;
        const dropped = index.compact(at).map((entry) => `${show(entry.revision)}${entry.tombstone ? 't' : ''}`).sort();
        const expected: string[] = [];
        for (const [keyString, reference] of model) {
          const droppedHere: DroppedRevision[] = [];
          reference.compact(at, droppedHere);
          for (const entry of droppedHere) expected.push(`${show(entry.revision)}${entry.tombstone ? 't' : ''}`);
          if (reference.isEmpty()) model.delete(keyString);
        }
        assert.deepEqual(dropped, expected.sort(), `seed ${seed} step ${step}: dropped`);
        assert.equal(index.keyCount, model.size, `seed ${seed} step ${step}: key count`);
      }
      for (let probe = 0; probe < 3; probe++) {
        const at = compacted + Math.floor(random() * (main - compacted + 1));
        const start = alphabet[Math.floor(random() * alphabet.length)]!;
        const roll = random();
        const end: RangeEnd = roll < 0.3 ? 'unbounded' : Buffer.from(start + alphabet[Math.floor(random() * alphabet.length)]! + '\u0001', 'latin1');
        const endString = end === 'unbounded' ? undefined : end.toString('latin1');
        const expected = modelRange(model, start, endString, at);
        const limit = random() < 0.5 ? 0 : 1 + Math.floor(random() * 4);
        const { keys, total } = index.range(Buffer.from(start, 'latin1'), end, at, limit, true);
        const context = `seed ${seed} step ${step}: range ${JSON.stringify(start)}..${JSON.stringify(endString)} at ${at} limit ${limit}`;
        assert.equal(total, expected.length, context);
        assert.deepEqual(
          keys.map(({ keyString, modified, created, version }) => ({ key: keyString, modified, created, version })),
          limit > 0 ? expected.slice(0, limit) : expected,
          context,
        );
        assert.equal(index.count(Buffer.from(start, 'latin1'), end, at), expected.length, context);
        const single = model.get(start)?.get(at);
        assert.deepEqual(index.get(Buffer.from(start, 'latin1'), at), single, `${context}: get`);
      }
    }
    for (const keyIndex of index.keyIndexes()) {
      assert.deepEqual(keyIndex.generations, model.get(keyIndex.keyString)!.generations, `seed ${seed}: final generations`);
    }
  }
});
