// Removes operations from one key's history that cannot change the verdict
// but would widen the search: every unknown-outcome operation stays a
// candidate forever, so each one left in multiplies the states to explore.

import type { Operation, RegisterValue } from './history.js';

/**
 * Whether an operation's output, or its effect, depends on more than the
 * register holding one particular value: a failed value compare ("the value
 * was not e"), or anything about versions. An unknown-outcome cas on the
 * version counts too: whether it took effect depends on earlier writes.
 */
function dependsOnMoreThanValue(operation: Operation): boolean {
  if (operation.kind === 'read') return operation.completedAtMs !== undefined && operation.output?.version !== undefined;
  if (operation.kind === 'cas') return operation.input.compareOn === 'version' || operation.output?.succeeded === false;
  return false;
}

/**
 * - An unknown-outcome read constrains nothing.
 * - An unknown-outcome write or cas U whose written value nobody ever
 *   observes (no read returned it, no cas compares against it) can matter
 *   only to an operation that can take effect after it and depends on more
 *   than the current value being a particular one. With no such operation
 *   completing at or after U's invocation, any linearization that uses U
 *   still works with U moved to the end (taking effect never).
 */
export function simplifyKeyHistory(operations: readonly Operation[]): Operation[] {
  const withoutUnknownReads = operations.filter((operation) => !(operation.kind === 'read' && operation.completedAtMs === undefined));

  const observed = new Set<RegisterValue>();
  let lastSubtleObservationMs = Number.NEGATIVE_INFINITY;
  for (const operation of withoutUnknownReads) {
    if (operation.kind === 'read' && operation.output !== undefined) observed.add(operation.output.value);
    if (operation.kind === 'cas' && operation.input.compareOn === 'value') observed.add(operation.input.expected);
    if (dependsOnMoreThanValue(operation)) {
      lastSubtleObservationMs = Math.max(lastSubtleObservationMs, operation.completedAtMs ?? Number.POSITIVE_INFINITY);
    }
  }
  return withoutUnknownReads.filter((operation) => {
    if (operation.completedAtMs !== undefined || operation.kind === 'read') return true;
    const written = operation.kind === 'write' ? operation.input.value : operation.input.newValue;
    return observed.has(written) || lastSubtleObservationMs >= operation.invokedAtMs;
  });
}
