// The linearizability search for one independent object (one key): Wing &
// Gong's depth-first search over the order in which operations take effect,
// with Lowe's memo of visited (linearized set, state) pairs, as in Porcupine.
//
// Known-outcome operations become call and return events in one time-ordered
// doubly linked list. Walking from the head, every call met before the first
// return is a candidate to take effect next (its invocation is not after the
// earliest pending completion). Placing one lifts its call and return out of
// the list; meeting a return means no known candidate works here.
//
// Unknown-outcome operations (no return: they complete at +infinity) are kept
// out of that list. At a return, before undoing anything, the search tries
// placing one run of them (see unknown-runs.ts); after a run only a known
// operation may follow. The search succeeds once every known operation is
// placed: unknown ones left over take effect at the end, or never.

import { VisitedSet } from './visited-set.js';
import { findUnknownRuns, type RunChoice, type RunSearchResult } from './unknown-runs.js';
import type { SequentialModel, TimedOperation } from './sequential-model.js';
import { seededRandom } from '../../../src/pkg/seeded-random.js';

export interface SearchBudget {
  /** Search steps (candidates tried, undos, run expansions) before giving up. */
  maxSteps: number;
  /** Give up once `nowMs()` passes this. */
  deadlineMs: number;
  nowMs: () => number;
}

export type SearchResult =
  | { outcome: 'linearizable'; steps: number; /** indices of the operations that took effect, in order */ order: number[] }
  | { outcome: 'not-linearizable'; steps: number; /** a longest order of indices the search could place */ longestPrefix: number[] }
  | { outcome: 'budget-exhausted'; steps: number };

const noEvent = -1;
const deadlineCheckEverySteps = 1024;

interface EventList {
  /** Index 0 is the head sentinel; events are 1..count. */
  next: Int32Array;
  previous: Int32Array;
  operationOfEvent: Int32Array;
  timeOfEventMs: Float64Array;
  isCall: Uint8Array;
  callEventOf: Int32Array;
  returnEventOf: Int32Array;
}

function buildEventList(operations: readonly TimedOperation[]): EventList {
  const events: Array<{ timeMs: number; isCall: boolean; operation: number }> = [];
  operations.forEach((operation, index) => {
    if (operation.completedAtMs === undefined) return;
    events.push({ timeMs: operation.invokedAtMs, isCall: true, operation: index });
    events.push({ timeMs: operation.completedAtMs, isCall: false, operation: index });
  });
  // At equal times calls sort first: operations that merely touch are treated
  // as concurrent, since clock resolution cannot tell which came first.
  events.sort((a, b) => a.timeMs - b.timeMs || Number(b.isCall) - Number(a.isCall) || a.operation - b.operation);

  const slots = events.length + 1;
  const list: EventList = {
    next: new Int32Array(slots),
    previous: new Int32Array(slots),
    operationOfEvent: new Int32Array(slots).fill(noEvent),
    timeOfEventMs: new Float64Array(slots),
    isCall: new Uint8Array(slots),
    callEventOf: new Int32Array(operations.length).fill(noEvent),
    returnEventOf: new Int32Array(operations.length).fill(noEvent),
  };
  for (let slot = 0; slot < slots; slot++) {
    list.next[slot] = slot + 1 < slots ? slot + 1 : noEvent;
    list.previous[slot] = slot - 1;
  }
  events.forEach((event, position) => {
    const slot = position + 1;
    list.operationOfEvent[slot] = event.operation;
    list.timeOfEventMs[slot] = event.timeMs;
    list.isCall[slot] = event.isCall ? 1 : 0;
    if (event.isCall) list.callEventOf[event.operation] = slot;
    else list.returnEventOf[event.operation] = slot;
  });
  return list;
}

function unlink(list: EventList, event: number): void {
  const before = list.previous[event]!;
  const after = list.next[event]!;
  list.next[before] = after;
  if (after !== noEvent) list.previous[after] = before;
}

/** Undoes `unlink`; valid because events are relinked in the reverse order of unlinking. */
function relink(list: EventList, event: number): void {
  const before = list.previous[event]!;
  const after = list.next[event]!;
  list.next[before] = event;
  if (after !== noEvent) list.previous[after] = event;
}

/** Where to carry on at a node: walking known candidates, or trying unknown runs. */
type Cursor<State> =
  | { phase: 'known'; event: number }
  | { phase: 'run'; choices: Array<RunChoice<State>>; nextChoice: number };

interface Frame<State> {
  /** Operations this choice placed: one known one, or a run of unknown ones. */
  placed: number[];
  knownPlaced: boolean;
  stateBefore: State;
  stateKeyBefore: string;
  afterRunBefore: boolean;
  resume: Cursor<State>;
}

export function searchLinearization<State, Op extends TimedOperation>(
  model: SequentialModel<State, Op>,
  operations: readonly Op[],
  budget: SearchBudget,
): SearchResult {
  const list = buildEventList(operations);
  const unknownByInvocation = operations
    .map((operation, index) => ({ operation, index }))
    .filter(({ operation }) => operation.completedAtMs === undefined)
    .sort((a, b) => a.operation.invokedAtMs - b.operation.invokedAtMs || a.index - b.index)
    .map(({ index }) => index);
  let knownRemaining = operations.length - unknownByInvocation.length;

  // The linearized set as a bitset. Zobrist hashing of its known part: one
  // random pair per known operation, XORed in and out (see visited-set.ts).
  const wordCount = (operations.length + 31) >>> 5;
  const linearized = new Uint32Array(wordCount);
  const knownMask = new Uint32Array(wordCount);
  const random = seededRandom(0x9e3779b9 ^ operations.length);
  const hashLowOf = new Int32Array(operations.length);
  const hashHighOf = new Int32Array(operations.length);
  operations.forEach((operation, index) => {
    if (operation.completedAtMs === undefined) return;
    knownMask[index >>> 5]! |= 1 << (index & 31);
    hashLowOf[index] = Math.floor(random() * 0x100000000) | 0;
    hashHighOf[index] = Math.floor(random() * 0x100000000) | 0;
  });
  let hashLow = 0;
  let hashHigh = 0;
  const visited = new VisitedSet(knownMask);
  const isPlaced = (index: number): boolean => (linearized[index >>> 5]! & (1 << (index & 31))) !== 0;
  const setPlaced = (index: number): void => {
    linearized[index >>> 5]! |= 1 << (index & 31);
  };
  const clearPlaced = (index: number): void => {
    linearized[index >>> 5]! &= ~(1 << (index & 31));
  };

  const frames: Array<Frame<State>> = [];
  const order: number[] = [];
  let longestPrefix: number[] = [];
  let state = model.initialState();
  let stateKey = model.stateKey(state);
  let afterRun = false;
  let cursor: Cursor<State> = { phase: 'known', event: list.next[0]! };
  visited.addUnlessCovered(hashLow, hashHigh, linearized, stateKey);

  let steps = 0;
  while (knownRemaining > 0) {
    steps++;
    if (steps > budget.maxSteps) return { outcome: 'budget-exhausted', steps };
    if (steps % deadlineCheckEverySteps === 0 && budget.nowMs() > budget.deadlineMs) return { outcome: 'budget-exhausted', steps };

    if (cursor.phase === 'known') {
      const event: number = cursor.event;
      // A known operation is pending, so its return lies ahead and the walk never runs off the list.
      if (event === noEvent) throw new Error('linearizability search walked past the last event');
      const operationIndex = list.operationOfEvent[event]!;
      if (list.isCall[event] === 1) {
        cursor = { phase: 'known', event: list.next[event]! };
        const stateAfter = model.step(state, operations[operationIndex]!);
        if (stateAfter === undefined) continue;
        const stateKeyAfter = model.stateKey(stateAfter);
        setPlaced(operationIndex);
        const hashLowAfter = hashLow ^ hashLowOf[operationIndex]!;
        const hashHighAfter = hashHigh ^ hashHighOf[operationIndex]!;
        if (!visited.addUnlessCovered(hashLowAfter, hashHighAfter, linearized, stateKeyAfter)) {
          clearPlaced(operationIndex);
          continue;
        }
        frames.push({ placed: [operationIndex], knownPlaced: true, stateBefore: state, stateKeyBefore: stateKey, afterRunBefore: afterRun, resume: cursor });
        order.push(operationIndex);
        hashLow = hashLowAfter;
        hashHigh = hashHighAfter;
        state = stateAfter;
        stateKey = stateKeyAfter;
        afterRun = false;
        unlink(list, event);
        unlink(list, list.returnEventOf[operationIndex]!);
        knownRemaining--;
        cursor = { phase: 'known', event: list.next[0]! };
        continue;
      }
      // A return: no known candidate fits. Try a run of unknown ones, unless one just ran.
      if (!afterRun) {
        const frontierMs: number = list.timeOfEventMs[event]!;
        const candidates: number[] = unknownByInvocation.filter(
          (index) => operations[index]!.invokedAtMs <= frontierMs && !isPlaced(index),
        );
        if (candidates.length > 0) {
          const runs: RunSearchResult<State> = findUnknownRuns(model, operations, candidates, state, stateKey, { stepsLeft: budget.maxSteps - steps });
          steps += runs.steps;
          if (runs.budgetExhausted) return { outcome: 'budget-exhausted', steps };
          cursor = { phase: 'run', choices: runs.choices, nextChoice: 0 };
          continue;
        }
      }
    } else if (cursor.nextChoice < cursor.choices.length) {
      const choice = cursor.choices[cursor.nextChoice]!;
      cursor = { phase: 'run', choices: cursor.choices, nextChoice: cursor.nextChoice + 1 };
      for (const index of choice.operations) setPlaced(index);
      if (!visited.addUnlessCovered(hashLow, hashHigh, linearized, choice.stateKey)) {
        for (const index of choice.operations) clearPlaced(index);
        continue;
      }
      frames.push({ placed: choice.operations, knownPlaced: false, stateBefore: state, stateKeyBefore: stateKey, afterRunBefore: afterRun, resume: cursor });
      order.push(...choice.operations);
      state = choice.state;
      stateKey = choice.stateKey;
      afterRun = true;
      cursor = { phase: 'known', event: list.next[0]! };
      continue;
    }

    // Nothing left to try at this node: undo the choice that led here.
    if (order.length > longestPrefix.length) longestPrefix = order.slice();
    const frame = frames.pop();
    if (frame === undefined) return { outcome: 'not-linearizable', steps, longestPrefix };
    order.length -= frame.placed.length;
    for (const index of frame.placed) clearPlaced(index);
    if (frame.knownPlaced) {
      const index = frame.placed[0]!;
      hashLow ^= hashLowOf[index]!;
      hashHigh ^= hashHighOf[index]!;
      relink(list, list.returnEventOf[index]!);
      relink(list, list.callEventOf[index]!);
      knownRemaining++;
    }
    state = frame.stateBefore;
    stateKey = frame.stateKeyBefore;
    afterRun = frame.afterRunBefore;
    cursor = frame.resume;
  }
  return { outcome: 'linearizable', steps, order };
}
