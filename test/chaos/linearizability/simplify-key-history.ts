// Removes operations from one key's history that cannot change the verdict
// but would widen the search: every unknown-outcome operation stays a
// candidate forever, so each one left in multiplies the states to explore.

import type { Operation, RegisterValue } from './history.js';
import { usesVersions } from './register-model.js';

/**
 * - An unknown-outcome read constrains nothing.
 * - An unknown-outcome write or cas whose written value nobody ever observes
 *   (no read returned it, no cas compares against it) is only needed to
 *   explain a failed compare or a version; when the key has neither, any
 *   linearization that uses it still works with it moved to the end.
 */
export function simplifyKeyHistory(operations: readonly Operation[]): Operation[] {
  const withoutUnknownReads = operations.filter((operation) => !(operation.kind === 'read' && operation.completedAtMs === undefined));

  const hasFailedCompare = withoutUnknownReads.some((operation) => operation.kind === 'cas' && operation.output?.succeeded === false);
  if (hasFailedCompare || usesVersions(withoutUnknownReads)) return withoutUnknownReads;

  const observed = new Set<RegisterValue>();
  for (const operation of withoutUnknownReads) {
    if (operation.kind === 'read' && operation.output !== undefined) observed.add(operation.output.value);
    if (operation.kind === 'cas' && operation.input.compareOn === 'value') observed.add(operation.input.expected);
  }
  return withoutUnknownReads.filter((operation) => {
    if (operation.completedAtMs !== undefined || operation.kind === 'read') return true;
    const written = operation.kind === 'write' ? operation.input.value : operation.input.newValue;
    return observed.has(written);
  });
}
