// Generates histories that are linearizable by construction: clients issue
// operations with random think times and latencies; each operation takes
// effect on a true register at a random instant inside its interval, and its
// output is whatever the register says at that instant. Some operations time
// out: their effect (if any) lands at a random instant after invocation, maybe
// long after the client moved on, and nothing about it is recorded.
//
// Every written value is unique (deletes aside), which the anomaly injectors
// rely on to make their mutations provably non-linearizable.

import { seededRandom } from '../../../src/pkg/seeded-random.js';
import type { CasInput, Operation, RegisterValue } from './history.js';

export interface SimulationOptions {
  seed: number;
  operationCount: number;
  clientCount: number;
  keyCount: number;
  readProbability?: number;
  casProbability?: number;
  /** Share of writes that are deletes. */
  deleteProbability?: number;
  /** Share of cas that compare the version instead of the value. */
  versionCompareProbability?: number;
  /** Reads report the key's version too. */
  readsReportVersion?: boolean;
  unknownOutcomeProbability?: number;
  /** Share of unknown-outcome operations that do take effect. */
  unknownTakesEffectProbability?: number;
  latencyMaxMs?: number;
  thinkTimeMaxMs?: number;
}

interface PlannedOperation {
  operation: Operation;
  /** When it takes effect on the true register; undefined: never. */
  effectAtMs: number | undefined;
  /** Drawn ahead so that inputs can be chosen when the effect happens. */
  choiceRoll: number;
  deleteRoll: number;
  versionRoll: number;
}

interface TrueRegister {
  value: RegisterValue;
  version: number;
  pastValues: string[];
}

export function simulateLinearizableHistory(options: SimulationOptions): Operation[] {
  const random = seededRandom(options.seed);
  const readProbability = options.readProbability ?? 0.4;
  const casProbability = options.casProbability ?? 0.3;
  const unknownProbability = options.unknownOutcomeProbability ?? 0.03;
  const takesEffectProbability = options.unknownTakesEffectProbability ?? 0.5;
  const latencyMaxMs = options.latencyMaxMs ?? 10;
  const thinkTimeMaxMs = options.thinkTimeMaxMs ?? 3;

  const planned: PlannedOperation[] = [];
  const clientClockMs = new Array<number>(options.clientCount).fill(0);
  for (let index = 0; index < options.operationCount; index++) {
    const clientId = index % options.clientCount;
    const invokedAtMs = clientClockMs[clientId]! + Math.floor(random() * (thinkTimeMaxMs + 1));
    const latencyMs = Math.floor(random() * (latencyMaxMs + 1));
    const key = `key-${Math.floor(random() * options.keyCount)}`;
    const kindRoll = random();
    const kind = kindRoll < readProbability ? 'read' : kindRoll < readProbability + casProbability ? 'cas' : 'write';
    const outcomeUnknown = random() < unknownProbability;
    let completedAtMs: number | undefined = invokedAtMs + latencyMs;
    let effectAtMs: number | undefined = invokedAtMs + random() * latencyMs;
    if (outcomeUnknown) {
      completedAtMs = undefined;
      effectAtMs = random() < takesEffectProbability ? invokedAtMs + random() * 4 * latencyMaxMs : undefined;
    }
    // A timed-out client gives up after the longest latency and carries on.
    clientClockMs[clientId] = completedAtMs ?? invokedAtMs + latencyMaxMs;
    const common = { clientId, key, invokedAtMs, completedAtMs };
    const operation: Operation =
      kind === 'read'
        ? { ...common, kind, output: undefined }
        : kind === 'write'
          ? { ...common, kind, input: { value: null }, output: undefined }
          : { ...common, kind, input: { compareOn: 'value', expected: null, newValue: null }, output: undefined };
    planned.push({ operation, effectAtMs, choiceRoll: random(), deleteRoll: random(), versionRoll: random() });
  }

  const registers = new Map<string, TrueRegister>();
  let valueCounter = 0;
  const freshValue = (): string => `v${options.seed}-${valueCounter++}`;
  const byEffectTime = planned
    .map((plan, order) => ({ plan, order }))
    .sort((a, b) => (a.plan.effectAtMs ?? Infinity) - (b.plan.effectAtMs ?? Infinity) || a.order - b.order);
  for (const { plan } of byEffectTime) {
    const operation = plan.operation;
    let register = registers.get(operation.key);
    if (register === undefined) registers.set(operation.key, (register = { value: null, version: 0, pastValues: [] }));
    const takesEffect = plan.effectAtMs !== undefined;
    const known = operation.completedAtMs !== undefined;
    switch (operation.kind) {
      case 'read':
        if (known) {
          operation.output = { value: register.value };
          if (options.readsReportVersion) operation.output.version = register.version;
        }
        break;
      case 'write':
        operation.input = { value: plan.deleteRoll < (options.deleteProbability ?? 0.05) ? null : freshValue() };
        if (takesEffect) writeRegister(register, operation.input.value);
        break;
      case 'cas': {
        operation.input = chooseCasInput(register, plan, options.versionCompareProbability ?? 0, freshValue());
        const holds =
          operation.input.compareOn === 'value'
            ? register.value === operation.input.expected
            : register.version === operation.input.expectedVersion;
        if (takesEffect && holds) writeRegister(register, operation.input.newValue);
        if (known) operation.output = { succeeded: holds };
        break;
      }
    }
  }
  return planned.map((plan) => plan.operation);
}

function writeRegister(register: TrueRegister, value: RegisterValue): void {
  if (register.value !== null) register.pastValues.push(register.value);
  if (value === null) {
    if (register.value !== null) register.version = 0;
  } else {
    register.version++;
  }
  register.value = value;
}

/** Mostly the current value (so races happen), sometimes a stale one or one never written. */
function chooseCasInput(register: TrueRegister, plan: PlannedOperation, versionShare: number, newValue: string): CasInput {
  if (plan.versionRoll < versionShare) {
    const expectedVersion = plan.choiceRoll < 0.6 ? register.version : register.version + 1 + Math.floor(plan.choiceRoll * 3);
    return { compareOn: 'version', expectedVersion, newValue };
  }
  let expected: RegisterValue;
  if (plan.choiceRoll < 0.6 || register.pastValues.length === 0) expected = register.value;
  else if (plan.choiceRoll < 0.9) expected = register.pastValues[Math.floor(plan.deleteRoll * register.pastValues.length)]!;
  else expected = 'never-written';
  return { compareOn: 'value', expected, newValue };
}
