// The sequential specification of one etcd key used as a register: reads,
// puts and deletes, and compare-and-swap txns comparing the value or the
// key's version (etcd semantics: a put bumps the version, a delete resets it
// to 0 and removes the value; deleting an absent key changes nothing).

import { describeOperation, showValue, type Operation, type RegisterValue } from './history.js';
import type { SequentialModel } from './sequential-model.js';

export interface RegisterState {
  readonly value: RegisterValue;
  readonly version: number;
}

export interface RegisterModelOptions {
  /** The key's value before the history starts; null (absent) unless said otherwise. */
  initialValue?: RegisterValue;
  /** Version of the initial value; 1 for a present key, 0 for an absent one, unless given. */
  initialVersion?: number;
  /**
   * Track versions in the state. Only worth it when the history compares or
   * reads versions: otherwise it splits equal-valued states and slows the search.
   */
  trackVersion?: boolean;
}

function applyWrite(state: RegisterState, value: RegisterValue): RegisterState {
  if (value === null) return state.value === null ? state : { value: null, version: 0 };
  return { value, version: state.version + 1 };
}

function compareHolds(state: RegisterState, operation: Operation & { kind: 'cas' }): boolean {
  const input = operation.input;
  return input.compareOn === 'value' ? state.value === input.expected : state.version === input.expectedVersion;
}

export function createRegisterModel(options: RegisterModelOptions = {}): SequentialModel<RegisterState, Operation> {
  const initialValue = options.initialValue ?? null;
  const initialVersion = options.initialVersion ?? (initialValue === null ? 0 : 1);
  const trackVersion = options.trackVersion ?? false;
  const initial: RegisterState = { value: initialValue, version: trackVersion ? initialVersion : 0 };

  function step(state: RegisterState, operation: Operation): RegisterState | undefined {
    switch (operation.kind) {
      case 'read': {
        const output = operation.output;
        if (output === undefined) return state;
        if (output.value !== state.value) return undefined;
        if (trackVersion && output.version !== undefined && output.version !== state.version) return undefined;
        return state;
      }
      case 'write':
        return trackVersion ? applyWrite(state, operation.input.value) : { value: operation.input.value, version: 0 };
      case 'cas': {
        const holds = compareHolds(state, operation);
        // A known outcome must agree with the compare; an unknown one simply follows it.
        if (operation.output !== undefined && operation.output.succeeded !== holds) return undefined;
        if (!holds) return state;
        return trackVersion ? applyWrite(state, operation.input.newValue) : { value: operation.input.newValue, version: 0 };
      }
    }
  }

  return {
    initialState: () => initial,
    step,
    stateKey: (state) => {
      const valueKey = state.value === null ? '-' : `+${state.value}`;
      return trackVersion ? `${state.version}${valueKey}` : valueKey;
    },
    describeState: (state) =>
      trackVersion ? `${showValue(state.value)} (version ${state.version})` : showValue(state.value),
    describeOperation,
    // With versions tracked, a put counts up from the old version, so it overwrites nothing whole.
    overwritesState: (operation) => !trackVersion && operation.kind === 'write',
    explainRejection: (state, operation) => {
      const holds = showValue(state.value) + (trackVersion ? ` at version ${state.version}` : '');
      if (operation.kind === 'read' && operation.output !== undefined) {
        const saw = showValue(operation.output.value);
        const version = operation.output.version === undefined ? '' : ` at version ${operation.output.version}`;
        return `read ${saw}${version} but the register holds ${holds}`;
      }
      if (operation.kind === 'cas' && operation.output !== undefined) {
        const outcome = operation.output.succeeded ? 'succeeded' : 'failed';
        return `cas ${outcome} but its compare ${compareHolds(state, operation) ? 'holds' : 'does not hold'} on ${holds}`;
      }
      return 'accepted in any state';
    },
  };
}

/** Whether a key's history reads or compares versions (so the model must track them). */
export function usesVersions(operations: readonly Operation[]): boolean {
  return operations.some(
    (operation) =>
      (operation.kind === 'cas' && operation.input.compareOn === 'version') ||
      (operation.kind === 'read' && operation.output?.version !== undefined),
  );
}
