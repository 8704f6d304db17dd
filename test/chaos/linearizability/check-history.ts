// Checks a recorded history for linearizability. Keys are independent
// registers, and a history is linearizable exactly when each key's
// sub-history is (P-compositionality), so each key is searched on its own.

import { assertWellFormed, type Operation, type RegisterValue } from './history.js';
import { createRegisterModel, usesVersions } from './register-model.js';
import { simplifyKeyHistory } from './simplify-key-history.js';
import { searchLinearization } from './search.js';
import { explainFailure, type NonLinearizableExplanation } from './explain.js';

export interface CheckOptions {
  /** Search steps allowed per key; a key that needs more makes the verdict 'unknown'. */
  maxStepsPerKey?: number;
  /** Wall-clock budget for the whole check. */
  timeBudgetMs?: number;
  /** Injected clock for the budget (milliseconds, monotonic). */
  nowMs?: () => number;
  /** Values keys held before the history started; absent keys are null. */
  initialValues?: ReadonlyMap<string, RegisterValue>;
}

export type CheckResult =
  | { ok: true; keysChecked: number; steps: number }
  | { ok: false; key: string; explanation: NonLinearizableExplanation<Operation>; steps: number }
  | { ok: 'unknown'; key: string; reason: string; steps: number };

export const defaultMaxStepsPerKey = 2_000_000;
export const defaultTimeBudgetMs = 60_000;

export function partitionByKey(operations: readonly Operation[]): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const operation of operations) {
    let keyOperations = byKey.get(operation.key);
    if (keyOperations === undefined) byKey.set(operation.key, (keyOperations = []));
    keyOperations.push(operation);
  }
  return byKey;
}

export function checkLinearizability(operations: readonly Operation[], options: CheckOptions = {}): CheckResult {
  operations.forEach(assertWellFormed);
  const nowMs = options.nowMs ?? (() => performance.now());
  const maxStepsPerKey = options.maxStepsPerKey ?? defaultMaxStepsPerKey;
  const deadlineMs = nowMs() + (options.timeBudgetMs ?? defaultTimeBudgetMs);

  const byKey = partitionByKey(operations);
  const keys = [...byKey.keys()].sort();
  let totalSteps = 0;
  let firstUndecided: { key: string; reason: string } | undefined;
  for (const key of keys) {
    const keyOperations = simplifyKeyHistory(byKey.get(key)!);
    const model = createRegisterModel({
      initialValue: options.initialValues?.get(key) ?? null,
      trackVersion: usesVersions(keyOperations),
    });
    const result = searchLinearization(model, keyOperations, { maxSteps: maxStepsPerKey, deadlineMs, nowMs });
    totalSteps += result.steps;
    if (result.outcome === 'not-linearizable') {
      return { ok: false, key, explanation: explainFailure(model, keyOperations, result.longestPrefix), steps: totalSteps };
    }
    // Keep going: a definite violation on another key is worth more than 'unknown'.
    if (result.outcome === 'budget-exhausted' && firstUndecided === undefined) {
      firstUndecided = { key, reason: `search budget exhausted after ${result.steps} steps on ${keyOperations.length} operations` };
    }
  }
  if (firstUndecided !== undefined) return { ok: 'unknown', ...firstUndecided, steps: totalSteps };
  return { ok: true, keysChecked: keys.length, steps: totalSteps };
}
