// Runs the deterministic Raft simulator over many seeds (see sim/). A
// failure message names its seed; reproduce it with `npm run sim -- --seed S`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runSimulation, type SimulationResult } from './sim/simulation.js';

const MIXED_SEEDS = 1000;
const LEADER_CHURN_SEEDS = 200;
/** The broken variant must be caught within this many seeds of the figure-8 profile. */
const BROKEN_VARIANT_SEED_BOUND = 3000;

function failuresOf(results: SimulationResult[]): string[] {
  return results.filter((result) => !result.ok).map((result) => `seed ${result.seed}: ${result.failure}`);
}

test(`simulation: ${MIXED_SEEDS} seeds of mixed faults keep every safety invariant and recover after healing`, () => {
  const results: SimulationResult[] = [];
  for (let seed = 1; seed <= MIXED_SEEDS; seed++) results.push(runSimulation({ seed }));
  assert.deepEqual(failuresOf(results), []);
  // The runs must actually exercise the system.
  const total = (pick: (result: SimulationResult) => number): number => results.reduce((sum, result) => sum + pick(result), 0);
  assert.ok(total((result) => result.appliedProposals) > MIXED_SEEDS * 20, 'proposals committed');
  assert.ok(total((result) => result.stats.membershipChanges) > MIXED_SEEDS / 4, 'membership changes');
  assert.ok(total((result) => result.stats.transfers) > MIXED_SEEDS / 4, 'leader transfers');
  assert.ok(total((result) => result.stats.snapshotsSent) > MIXED_SEEDS / 10, 'snapshots sent');
  assert.ok(total((result) => result.stats.readsConfirmed) > MIXED_SEEDS, 'reads confirmed');
  assert.ok(total((result) => result.stats.crashes) > MIXED_SEEDS / 4, 'crashes');
});

test(`simulation: ${LEADER_CHURN_SEEDS} seeds of leader churn (figure-8 conditions) stay safe`, () => {
  const results: SimulationResult[] = [];
  for (let seed = 1; seed <= LEADER_CHURN_SEEDS; seed++) results.push(runSimulation({ seed, profile: 'leader-churn' }));
  assert.deepEqual(failuresOf(results), []);
});

test('simulation: the checkers catch a leader that commits earlier-term entries by counting replicas', () => {
  let caught: SimulationResult | undefined;
  for (let seed = 1; seed <= BROKEN_VARIANT_SEED_BOUND && !caught; seed++) {
    const result = runSimulation({ seed, profile: 'leader-churn', unsafeCommitPreviousTermEntries: true });
    if (!result.ok) caught = result;
  }
  assert.ok(caught, `the broken variant survived ${BROKEN_VARIANT_SEED_BOUND} seeds: the checkers are too weak`);
  assert.match(caught.failure!, /Leader Completeness|State Machine Safety|committed proposal .* lost/);
});
