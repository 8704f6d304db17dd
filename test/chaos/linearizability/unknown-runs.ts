// Where the search meets unknown-outcome operations. Such an operation may
// take effect at any point after its invocation, or never, so a naive search
// tries it at every step and explores every subset of the pending ones.
//
// Instead, between two known operations the search places one "run" of
// unknown ones, chosen from a short list computed here: every state the
// pending unknown operations can lead to, each with a minimal set of them
// (found breadth-first, so smaller sets come first; a set is dropped when a
// subset already reaches the same state). Every other run is covered: an
// operation that changes nothing, or a detour back to the starting state, can
// simply be left for later (it may take effect at the very end, or never).

import type { SequentialModel, TimedOperation } from './sequential-model.js';

export interface RunChoice<State> {
  /** Operation indices, in the order they take effect. */
  operations: number[];
  state: State;
  stateKey: string;
}

export interface RunSearchLimits {
  /** Steps left in the caller's budget; the run search stops when it is spent. */
  stepsLeft: number;
}

export interface RunSearchResult<State> {
  choices: Array<RunChoice<State>>;
  steps: number;
  budgetExhausted: boolean;
}

function isSubset(small: readonly number[], large: ReadonlySet<number>): boolean {
  for (const operation of small) if (!large.has(operation)) return false;
  return true;
}

export function findUnknownRuns<State, Op extends TimedOperation>(
  model: SequentialModel<State, Op>,
  operations: readonly Op[],
  candidates: readonly number[],
  startState: State,
  startStateKey: string,
  limits: RunSearchLimits,
): RunSearchResult<State> {
  const choices: Array<RunChoice<State>> = [];
  const reachedSets = new Map<string, number[][]>();
  let layer: Array<RunChoice<State>> = [{ operations: [], state: startState, stateKey: startStateKey }];
  const overwrites = new Uint8Array(operations.length);
  if (model.overwritesState !== undefined) {
    for (const candidate of candidates) overwrites[candidate] = model.overwritesState(operations[candidate]!) ? 1 : 0;
  }
  let steps = 0;
  // Each layer is one operation longer; a run never repeats an operation, so this ends.
  while (layer.length > 0) {
    const nextLayer: Array<RunChoice<State>> = [];
    for (const run of layer) {
      const used = new Set(run.operations);
      for (const candidate of candidates) {
        if (used.has(candidate)) continue;
        // Extending a run with a blind overwrite reaches what that overwrite alone reaches.
        if (run.operations.length > 0 && overwrites[candidate] === 1) continue;
        steps++;
        if (steps > limits.stepsLeft) return { choices, steps, budgetExhausted: true };
        const state = model.step(run.state, operations[candidate]!);
        if (state === undefined) throw new Error('an unknown-outcome operation was rejected by the model');
        const stateKey = model.stateKey(state);
        if (stateKey === run.stateKey || stateKey === startStateKey) continue;
        const extended = [...run.operations, candidate];
        const extendedSet = new Set(extended);
        const sameState = reachedSets.get(stateKey);
        if (sameState?.some((reached) => isSubset(reached, extendedSet))) continue;
        if (sameState === undefined) reachedSets.set(stateKey, [extended]);
        else sameState.push(extended);
        const choice = { operations: extended, state, stateKey };
        choices.push(choice);
        nextLayer.push(choice);
      }
    }
    layer = nextLayer;
  }
  return { choices, steps, budgetExhausted: false };
}
