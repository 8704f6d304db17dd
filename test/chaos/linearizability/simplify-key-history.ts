// Removes operations from one key's history that cannot change the verdict
// but would widen the search: every unknown-outcome operation stays a
// candidate forever, so each one left in multiplies the states to explore.

import type { Operation, RegisterValue } from './history.js';

/** Whether an operation's recorded output depends on more than the register's value. */
function observesMoreThanValue(operation: Operation): boolean {
  if (operation.completedAtMs === undefined) return false;
  if (operation.kind === 'read') return operation.output?.version !== undefined;
  if (operation.kind === 'cas') return operation.input.compareOn === 'version' || operation.output?.succeeded === false;
  return false;
}

/**
 * - An unknown-outcome read constrains nothing.
 * - An unknown-outcome write or cas U whose written value nobody ever
 *   observes (no read returned it, no cas compares against it) can matter
 *   only to an operation that can take effect after it and whose output
 *   depends on more than the current value being a particular one: a failed
 *   value compare ("the value was not e") or anything about versions. With no
 *   such operation completing at or after U's invocation, any linearization
 *   that uses U still works with U moved to the end (taking effect never).
 */
export function simplifyKeyHistory(operations: readonly Operation[]): Operation[] {
  const withoutUnknownReads = operations.filter((operation) => !(operation.kind === 'read' && operation.completedAtMs === undefined));

  const observed = new Set<RegisterValue>();
  let lastSubtleObservationMs = Number.NEGATIVE_INFINITY;
  for (const operation of withoutUnknownReads) {
    if (operation.kind === 'read' && operation.output !== undefined) observed.add(operation.output.value);
    if (operation.kind === 'cas' && operation.input.compareOn === 'value') observed.add(operation.input.expected);
    if (observesMoreThanValue(operation)) lastSubtleObservationMs = Math.max(lastSubtleObservationMs, operation.completedAtMs!);
  }
  return withoutUnknownReads.filter((operation) => {
    if (operation.completedAtMs !== undefined || operation.kind === 'read') return true;
    const written = operation.kind === 'write' ? operation.input.value : operation.input.newValue;
    return observed.has(written) || lastSubtleObservationMs >= operation.invokedAtMs;
  });
}
