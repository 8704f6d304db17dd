import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CodecError,
  ConfChangeType,
  EntryType,
  MessageType,
  decodeConfChange,
  decodeEntry,
  decodeHardState,
  decodeMessage,
  decodeSnapshotMetadata,
  encodeConfChange,
  encodeEntry,
  encodeHardState,
  encodeMessage,
  encodeSnapshotMetadata,
  type Message,
} from '../../src/raft/index.js';
import { Prng } from './sim/prng.js';

const fullMessage: Message = {
  type: MessageType.Snap,
  to: 2 ** 53 - 1,
  from: 7,
  term: 123456789,
  logTerm: 3,
  index: 2 ** 40,
  entries: [
    { term: 1, index: 2, type: EntryType.Normal, data: new Uint8Array([1, 2, 3]) },
    { term: 2, index: 3, type: EntryType.ConfChange, data: new Uint8Array(0) },
  ],
  commit: 9,
  snapshot: { metadata: { index: 10, term: 4, confState: { voters: [1, 2, 3], learners: [9] } }, data: new Uint8Array([0, 255]) },
  reject: true,
  rejectHint: 5,
  context: new TextEncoder().encode('ctx'),
};

test('codec: every record round-trips', () => {
  assert.deepEqual(decodeMessage(encodeMessage(fullMessage)), fullMessage);
  const bare = { ...fullMessage, snapshot: undefined, entries: [], reject: false };
  delete (bare as Partial<Message>).snapshot;
  assert.deepEqual(decodeMessage(encodeMessage(bare)), bare);
  const entry = { term: 5, index: 6, type: EntryType.Normal, data: new Uint8Array(300).fill(7) };
  assert.deepEqual(decodeEntry(encodeEntry(entry)), entry);
  const hardState = { term: 2 ** 52, vote: 3, commit: 0 };
  assert.deepEqual(decodeHardState(encodeHardState(hardState)), hardState);
  const metadata = fullMessage.snapshot!.metadata;
  assert.deepEqual(decodeSnapshotMetadata(encodeSnapshotMetadata(metadata)), metadata);
  const change = { type: ConfChangeType.AddLearnerNode, nodeId: 42, context: new TextEncoder().encode('http://peer:2380') };
  assert.deepEqual(decodeConfChange(encodeConfChange(change)), change);
});

test('codec: node ids are exact over 64 bits, in their one form', () => {
  const big = 0x8e9e05c52164694dn;
  const message: Message = { ...fullMessage, to: big, from: 0xffffffffffffffffn, snapshot: { metadata: { index: 10, term: 4, confState: { voters: [big, 2 ** 53 - 1], learners: [2n ** 53n] } }, data: new Uint8Array(0) } };
  assert.deepEqual(decodeMessage(encodeMessage(message)), message);
  assert.deepEqual(decodeHardState(encodeHardState({ term: 3, vote: big, commit: 1 })), { term: 3, vote: big, commit: 1 });
  const change = { type: ConfChangeType.AddNode, nodeId: big, context: new Uint8Array(0) };
  assert.deepEqual(decodeConfChange(encodeConfChange(change)), change);
  // Small ids keep the encoding (and the form) they always had.
  assert.equal(decodeConfChange(encodeConfChange({ ...change, nodeId: 5 })).nodeId, 5);
  assert.throws(() => encodeHardState({ term: 1, vote: 1n << 64n, commit: 0 }), CodecError);
});

test('codec: refuses values it cannot represent', () => {
  assert.throws(() => encodeHardState({ term: -1, vote: 0, commit: 0 }), CodecError);
  assert.throws(() => encodeHardState({ term: 1.5, vote: 0, commit: 0 }), CodecError);
  assert.throws(() => encodeHardState({ term: 2 ** 53, vote: 0, commit: 0 }), CodecError);
});

test('codec: garbage, truncated and corrupted input throws CodecError and never hangs', () => {
  const prng = new Prng(99);
  const valid = encodeMessage(fullMessage);
  const decoders = [decodeMessage, decodeEntry, decodeHardState, decodeSnapshotMetadata, decodeConfChange];
  for (let round = 0; round < 3000; round++) {
    let input: Uint8Array;
    const kind = round % 3;
    if (kind === 0) input = Uint8Array.from({ length: prng.int(64) }, () => prng.int(256));
    else if (kind === 1) input = valid.slice(0, prng.int(valid.length));
    else {
      input = valid.slice();
      input[prng.int(input.length)] = prng.int(256);
    }
    for (const decode of decoders) {
      try {
        decode(input);
      } catch (error) {
        assert.ok(error instanceof CodecError, `unexpected ${String(error)}`);
      }
    }
  }
  assert.throws(() => decodeMessage(new Uint8Array([1, ...new Array(20).fill(0xff)])), CodecError);
  assert.throws(() => decodeHardState(new Uint8Array([1, 1, 1, 1, 0])), CodecError, 'trailing bytes');
});
