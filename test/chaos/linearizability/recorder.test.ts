import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkLinearizability, HistoryRecorder } from './index.js';

function fakeClock(): { nowMs(): number; advance(milliseconds: number): void } {
  let nowMs = 0;
  return { nowMs: () => nowMs, advance: (milliseconds) => void (nowMs += milliseconds) };
}

test('records invocation and completion times and outputs', () => {
  const clock = fakeClock();
  const recorder = new HistoryRecorder(clock);
  const put = recorder.invoke('c1', { kind: 'write', key: 'k', value: 'a' });
  clock.advance(3);
  recorder.complete(put, undefined);
  const get = recorder.invoke('c2', { kind: 'read', key: 'k' });
  clock.advance(2);
  recorder.complete(get, { value: 'a' });
  const swap = recorder.invoke('c1', { kind: 'cas', key: 'k', input: { compareOn: 'value', expected: 'a', newValue: 'b' } });
  clock.advance(1);
  recorder.complete(swap, { succeeded: true });

  assert.deepEqual(recorder.history(), [
    { clientId: 'c1', key: 'k', kind: 'write', invokedAtMs: 0, completedAtMs: 3, input: { value: 'a' }, output: undefined },
    { clientId: 'c2', key: 'k', kind: 'read', invokedAtMs: 3, completedAtMs: 5, output: { value: 'a' } },
    {
      clientId: 'c1',
      key: 'k',
      kind: 'cas',
      invokedAtMs: 5,
      completedAtMs: 6,
      input: { compareOn: 'value', expected: 'a', newValue: 'b' },
      output: { succeeded: true },
    },
  ]);
  assert.equal(checkLinearizability(recorder.history()).ok, true);
});

test('unknown outcomes keep the operation without a completion; failures drop it', () => {
  const clock = fakeClock();
  const recorder = new HistoryRecorder(clock);
  const timedOut = recorder.invoke(1, { kind: 'write', key: 'k', value: 'maybe' });
  clock.advance(10);
  recorder.completeUnknown(timedOut);
  const tooLarge = recorder.invoke(1, { kind: 'write', key: 'k', value: 'x'.repeat(10) });
  recorder.fail(tooLarge);
  const stillRunning = recorder.invoke(2, { kind: 'read', key: 'k' });

  const history = recorder.history();
  assert.equal(history.length, 2);
  assert.deepEqual(
    history.map((operation) => [operation.kind, operation.completedAtMs]),
    [
      ['write', undefined],
      ['read', undefined],
    ],
  );
  assert.equal(recorder.inFlightCount, 1);
  recorder.complete(stillRunning, { value: 'maybe' });
  assert.equal(checkLinearizability(recorder.history()).ok, true);
});

test('a client runs one operation at a time, and each operation ends once', () => {
  const recorder = new HistoryRecorder(fakeClock());
  const first = recorder.invoke(1, { kind: 'read', key: 'k' });
  assert.throws(() => recorder.invoke(1, { kind: 'read', key: 'k' }), /in flight/);
  recorder.complete(first, { value: null });
  assert.throws(() => recorder.complete(first, { value: null }), /already ended/);
  assert.throws(() => recorder.completeUnknown(first), /already ended/);
  const second = recorder.invoke(1, { kind: 'cas', key: 'k', input: { compareOn: 'version', expectedVersion: 0, newValue: 'a' } });
  assert.throws(() => recorder.complete(second, undefined as never), /succeeded/);
});

test('the recorded history is a snapshot: later changes do not leak into it', () => {
  const recorder = new HistoryRecorder(fakeClock());
  const token = recorder.invoke(1, { kind: 'read', key: 'k' });
  const before = recorder.history();
  recorder.complete(token, { value: 'a' });
  assert.equal(before[0]!.completedAtMs, undefined);
});
