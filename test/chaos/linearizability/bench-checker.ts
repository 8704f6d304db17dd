// How long the checker takes on chaos-sized histories. Not a test (timings
// on a shared machine make flaky assertions); run it by hand:
//   npx tsc -p . && node dist/test/chaos/linearizability/bench-checker.js

import { seededRandom } from '../../../src/pkg/seeded-random.js';
import { checkLinearizability, type Operation } from './index.js';
import { simulateLinearizableHistory, type SimulationOptions } from './simulated-history.js';
import { injectStaleRead } from './inject-anomaly.js';

interface Scenario {
  name: string;
  history: Operation[];
}

function simulated(name: string, options: SimulationOptions): Scenario {
  return { name, history: simulateLinearizableHistory(options) };
}

function withStaleRead(scenario: Scenario): Scenario {
  const anomaly = injectStaleRead(scenario.history, seededRandom(1));
  if (anomaly === undefined) throw new Error(`${scenario.name}: no room for a stale read`);
  return { name: `${scenario.name}, stale read injected`, history: anomaly.history };
}

const base = { seed: 42, operationCount: 10_000, clientCount: 10 };
const typical = simulated('10,000 ops, 50 keys, 10 clients, 3% unknown', { ...base, keyCount: 50 });
const timeouts = simulated('10,000 ops, 50 keys, 10 clients, 20% unknown', { ...base, keyCount: 50, unknownOutcomeProbability: 0.2 });
const fewKeys = simulated('10,000 ops, 10 keys, 10 clients, 3% unknown', { ...base, keyCount: 10 });
const hotKey = simulated('10,000 ops, 1 key, 10 clients, 3% unknown', { ...base, keyCount: 1 });
const scenarios = [typical, withStaleRead(typical), timeouts, withStaleRead(timeouts), fewKeys, withStaleRead(fewKeys), hotKey, withStaleRead(hotKey)];

for (const scenario of scenarios) {
  const startedMs = performance.now();
  const result = checkLinearizability(scenario.history);
  const elapsedMs = performance.now() - startedMs;
  const verdict = result.ok === false ? `violation on ${result.key}` : String(result.ok);
  console.log(`${scenario.name}: ${verdict}, ${result.steps} steps, ${elapsedMs.toFixed(0)} ms`);
}
