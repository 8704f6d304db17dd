// Mutations that turn a simulated (linearizable) history into one that is
// provably not linearizable. Each relies on written values being unique, as
// simulateLinearizableHistory makes them. Each returns undefined when the
// history has no place for its anomaly.

import type { CasOperation, Operation, WriteOperation } from './history.js';

export interface InjectedAnomaly {
  history: Operation[];
  key: string;
  description: string;
}

type EffectfulOperation = WriteOperation | CasOperation;

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

/** A completed write, or a cas that completed with success: its effect is certain. */
function certainWrite(operation: Operation): operation is EffectfulOperation {
  if (operation.completedAtMs === undefined) return false;
  return operation.kind === 'write' || (operation.kind === 'cas' && operation.output?.succeeded === true);
}

function writtenValue(operation: EffectfulOperation): string | null {
  return operation.kind === 'write' ? operation.input.value : operation.input.newValue;
}

/**
 * A completed read returns a value that was certainly overwritten before the
 * read began: value v written by W1, W1 completed before W2 began, W2
 * completed before the read began, and nothing else ever writes v.
 */
export function injectStaleRead(source: readonly Operation[], random: () => number): InjectedAnomaly | undefined {
  const history = structuredClone(source) as Operation[];
  const writes = history.filter(certainWrite);
  for (const read of shuffled(history, random)) {
    if (read.kind !== 'read' || read.completedAtMs === undefined) continue;
    for (const overwrite of writes) {
      if (overwrite.key !== read.key || overwrite.completedAtMs! >= read.invokedAtMs) continue;
      const staleWrite = writes.find(
        (write) => write.key === read.key && writtenValue(write) !== null && write.completedAtMs! < overwrite.invokedAtMs,
      );
      if (staleWrite === undefined) continue;
      read.output = { value: writtenValue(staleWrite) };
      return { history, key: read.key, description: `read by client ${read.clientId} at ${read.invokedAtMs} returns overwritten ${writtenValue(staleWrite)}` };
    }
  }
  return undefined;
}

/** A completed read returns a value nobody wrote. */
export function injectPhantomRead(source: readonly Operation[], random: () => number): InjectedAnomaly | undefined {
  const history = structuredClone(source) as Operation[];
  for (const read of shuffled(history, random)) {
    if (read.kind !== 'read' || read.completedAtMs === undefined) continue;
    read.output = { value: 'phantom' };
    return { history, key: read.key, description: `read by client ${read.clientId} at ${read.invokedAtMs} returns a phantom` };
  }
  return undefined;
}

/**
 * A lost update: a second completed operation turns into a cas that also
 * succeeded from the same expected value v as an existing successful cas, but
 * v is written only once, so only one of them can have seen it.
 */
export function injectLostUpdate(source: readonly Operation[], random: () => number): InjectedAnomaly | undefined {
  const history = structuredClone(source) as Operation[];
  for (const winner of shuffled(history, random)) {
    if (winner.kind !== 'cas' || winner.output?.succeeded !== true || winner.input.compareOn !== 'value') continue;
    const expected = winner.input.expected;
    if (expected === null) continue; // absence recurs after every delete; a written value does not
    const loser = history.find(
      (operation): operation is EffectfulOperation =>
        operation !== winner &&
        operation.key === winner.key &&
        operation.completedAtMs !== undefined &&
        (operation.kind === 'write' || operation.kind === 'cas') &&
        writtenValue(operation) !== expected,
    );
    if (loser === undefined) continue;
    const index = history.indexOf(loser);
    const newValue = writtenValue(loser) ?? 'lost-update';
    history[index] = {
      clientId: loser.clientId,
      key: loser.key,
      invokedAtMs: loser.invokedAtMs,
      completedAtMs: loser.completedAtMs,
      kind: 'cas',
      input: { compareOn: 'value', expected, newValue },
      output: { succeeded: true },
    };
    return { history, key: winner.key, description: `two cas from ${expected} both succeed (clients ${winner.clientId} and ${loser.clientId})` };
  }
  return undefined;
}
