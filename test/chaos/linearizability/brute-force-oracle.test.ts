// Differential test: on tiny random histories (random outputs, so both
// verdicts occur) the checker must agree with a brute-force search that tries
// every order of every subset of the unknown-outcome operations, with none of
// the checker's shortcuts (memo, covering, runs, pruning).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../../src/pkg/seeded-random.js';
import { checkLinearizability, createRegisterModel, describeOperation, type Operation, type RegisterValue } from './index.js';
import { usesVersions, type RegisterState } from './register-model.js';

function bruteForceLinearizable(history: readonly Operation[]): boolean {
  const model = createRegisterModel({ trackVersion: usesVersions(history) });
  const placed = new Array<boolean>(history.length).fill(false);
  const search = (state: RegisterState): boolean => {
    const pendingKnown = history.filter((operation, index) => !placed[index] && operation.completedAtMs !== undefined);
    if (pendingKnown.length === 0) return true;
    const earliestCompletionMs = Math.min(...pendingKnown.map((operation) => operation.completedAtMs!));
    for (let index = 0; index < history.length; index++) {
      const operation = history[index]!;
      if (placed[index] || operation.invokedAtMs > earliestCompletionMs) continue;
      const after = model.step(state, operation);
      if (after === undefined) continue;
      placed[index] = true;
      const found = search(after);
      placed[index] = false;
      if (found) return true;
    }
    return false;
  };
  return search(model.initialState());
}

function randomTinyHistory(random: () => number, operationCount: number): Operation[] {
  const values: RegisterValue[] = [null, 'a', 'b', 'c'];
  const pick = (): RegisterValue => values[Math.floor(random() * values.length)]!;
  const history: Operation[] = [];
  for (let index = 0; index < operationCount; index++) {
    const invokedAtMs = Math.floor(random() * 8);
    const completedAtMs = random() < 0.25 ? undefined : invokedAtMs + Math.floor(random() * 5);
    const common = { clientId: index, key: 'x', invokedAtMs, completedAtMs };
    const roll = random();
    if (roll < 0.35) {
      history.push({ ...common, kind: 'read', output: completedAtMs === undefined ? undefined : { value: pick() } });
    } else if (roll < 0.65) {
      history.push({ ...common, kind: 'write', input: { value: pick() }, output: undefined });
    } else {
      const input =
        random() < 0.8
          ? { compareOn: 'value' as const, expected: pick(), newValue: pick() }
          : { compareOn: 'version' as const, expectedVersion: Math.floor(random() * 3), newValue: pick() };
      history.push({ ...common, kind: 'cas', input, output: completedAtMs === undefined ? undefined : { succeeded: random() < 0.5 } });
    }
  }
  return history;
}

test('agrees with brute force on 4,000 tiny random histories', () => {
  const verdicts = { linearizable: 0, not: 0 };
  for (let seed = 1; seed <= 4000; seed++) {
    const random = seededRandom(seed);
    const history = randomTinyHistory(random, 2 + Math.floor(random() * 7));
    const expected = bruteForceLinearizable(history);
    const result = checkLinearizability(history);
    assert.equal(result.ok, expected, `seed ${seed}:\n${history.map(describeOperation).join('\n')}`);
    verdicts[expected ? 'linearizable' : 'not']++;
  }
  // Both verdicts must be well represented, or the test proves little.
  assert.ok(verdicts.linearizable > 500 && verdicts.not > 500, JSON.stringify(verdicts));
});
