// Histories from a simulated linearizable register must be accepted; the same
// histories with one injected anomaly must be rejected on the mutated key.
// Every case is reproducible from the seed printed in its failure message.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../../../src/pkg/seeded-random.js';
import { checkLinearizability, type Operation } from './index.js';
import { simulateLinearizableHistory, type SimulationOptions } from './simulated-history.js';
import { injectLostUpdate, injectPhantomRead, injectStaleRead, type InjectedAnomaly } from './inject-anomaly.js';

const seedCount = 25;

function simulation(seed: number, overrides: Partial<SimulationOptions> = {}): SimulationOptions {
  return { seed, operationCount: 300, clientCount: 6, keyCount: 3, unknownOutcomeProbability: 0.05, ...overrides };
}

function assertAccepted(history: Operation[], seed: number): void {
  const result = checkLinearizability(history);
  assert.equal(result.ok, true, `seed ${seed}: ${result.ok === false ? result.explanation.summary : JSON.stringify(result)}`);
}

test('simulated linearizable histories are accepted', () => {
  for (let seed = 1; seed <= seedCount; seed++) assertAccepted(simulateLinearizableHistory(simulation(seed)), seed);
});

test('simulated histories with many timeouts and a hot key are accepted', () => {
  for (let seed = 1; seed <= seedCount; seed++) {
    const options = simulation(seed, { keyCount: 1, clientCount: 8, unknownOutcomeProbability: 0.15, casProbability: 0.4 });
    assertAccepted(simulateLinearizableHistory(options), seed);
  }
});

test('simulated histories with version compares and versioned reads are accepted', () => {
  for (let seed = 1; seed <= seedCount; seed++) {
    const options = simulation(seed, { versionCompareProbability: 0.5, readsReportVersion: true, deleteProbability: 0.15 });
    assertAccepted(simulateLinearizableHistory(options), seed);
  }
});

const injectors: Array<[string, (history: readonly Operation[], random: () => number) => InjectedAnomaly | undefined]> = [
  ['a stale read', injectStaleRead],
  ['a phantom read', injectPhantomRead],
  ['a lost update', injectLostUpdate],
];

for (const [name, inject] of injectors) {
  test(`simulated histories with ${name} injected are rejected on that key`, () => {
    let injected = 0;
    for (let seed = 1; seed <= seedCount; seed++) {
      const anomaly = inject(simulateLinearizableHistory(simulation(seed)), seededRandom(seed * 7919));
      if (anomaly === undefined) continue;
      injected++;
      const result = checkLinearizability(anomaly.history);
      assert.equal(result.ok, false, `seed ${seed}: ${anomaly.description} was accepted (${JSON.stringify(result.ok)})`);
      if (result.ok === false) assert.equal(result.key, anomaly.key, `seed ${seed}: ${anomaly.description}`);
    }
    assert.ok(injected >= seedCount * 0.8, `only ${injected} of ${seedCount} histories had room for ${name}`);
  });
}

test('a 10,000-operation history over 50 keys and 10 clients is decided', () => {
  const history = simulateLinearizableHistory({ seed: 42, operationCount: 10_000, clientCount: 10, keyCount: 50 });
  assert.equal(checkLinearizability(history).ok, true);
  const anomaly = injectStaleRead(history, seededRandom(42));
  assert.ok(anomaly !== undefined);
  assert.equal(checkLinearizability(anomaly.history).ok, false);
});
