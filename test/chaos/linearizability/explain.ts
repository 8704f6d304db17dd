// Turns a failed search into something a person can act on: a longest order
// the search could place, the state it leaves, and why none of the operations
// that must come next fits there.

import type { SequentialModel, TimedOperation } from './sequential-model.js';

export interface PlacedOperation<Op> {
  operation: Op;
  stateAfter: string;
}

export interface UnplaceableOperation<Op> {
  operation: Op;
  reason: string;
}

export interface NonLinearizableExplanation<Op> {
  /** One longest order of operations the search could linearize (others of equal length may exist). */
  longestLinearizablePrefix: Array<PlacedOperation<Op>>;
  stateAfterPrefix: string;
  /** The not-yet-placed known operation that completed first: it must take effect before anything invoked later. */
  earliestPendingCompletion: Op | undefined;
  /** Every operation that could have been next (invoked by that completion), with why it does not fit. */
  unplaceable: Array<UnplaceableOperation<Op>>;
  /** The above as text, with the prefix cut to its last few operations. */
  summary: string;
}

const prefixLinesShownMax = 12;

export function explainFailure<State, Op extends TimedOperation>(
  model: SequentialModel<State, Op>,
  operations: readonly Op[],
  longestPrefix: readonly number[],
): NonLinearizableExplanation<Op> {
  let state = model.initialState();
  const prefix: Array<PlacedOperation<Op>> = [];
  for (const index of longestPrefix) {
    const operation = operations[index]!;
    const after = model.step(state, operation);
    if (after === undefined) throw new Error('explainFailure: the prefix does not replay on the model');
    state = after;
    prefix.push({ operation, stateAfter: model.describeState(state) });
  }

  const placed = new Set(longestPrefix);
  const remaining = operations.filter((_, index) => !placed.has(index));
  let earliestPendingCompletion: Op | undefined;
  for (const operation of remaining) {
    if (operation.completedAtMs === undefined) continue;
    if (earliestPendingCompletion === undefined || operation.completedAtMs < earliestPendingCompletion.completedAtMs!) {
      earliestPendingCompletion = operation;
    }
  }
  const frontierMs = earliestPendingCompletion?.completedAtMs ?? Number.POSITIVE_INFINITY;
  const unplaceable = remaining
    .filter((operation) => operation.invokedAtMs <= frontierMs)
    .sort((a, b) => a.invokedAtMs - b.invokedAtMs)
    .map((operation) => ({
      operation,
      reason:
        operation.completedAtMs === undefined
          ? 'outcome unknown: taking effect here (or never) does not help'
          : model.step(state, operation) === undefined
            ? model.explainRejection(state, operation)
            : 'fits here, but every order that places it next fails later',
    }));

  const lines: string[] = [];
  const hidden = Math.max(0, prefix.length - prefixLinesShownMax);
  lines.push(`longest linearizable prefix: ${prefix.length} operations${hidden > 0 ? ` (first ${hidden} not shown)` : ''}`);
  for (const entry of prefix.slice(hidden)) lines.push(`  ${model.describeOperation(entry.operation)}  => ${entry.stateAfter}`);
  lines.push(`state after the prefix: ${model.describeState(state)}`);
  if (earliestPendingCompletion !== undefined) {
    lines.push(`must take effect next (completed first): ${model.describeOperation(earliestPendingCompletion)}`);
  }
  lines.push('none of these can be placed next:');
  for (const entry of unplaceable) lines.push(`  ${model.describeOperation(entry.operation)}: ${entry.reason}`);

  return {
    longestLinearizablePrefix: prefix,
    stateAfterPrefix: model.describeState(state),
    earliestPendingCompletion,
    unplaceable,
    summary: lines.join('\n'),
  };
}
