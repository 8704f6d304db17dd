// Terse constructors for hand-written histories in tests. A completion time
// of undefined records an unknown outcome. Key defaults to 'x'.

import type { CasOperation, ClientId, ReadOperation, RegisterValue, WriteOperation } from './history.js';

export function read(clientId: ClientId, invokedAtMs: number, completedAtMs: number | undefined, value: RegisterValue, key = 'x'): ReadOperation {
  return { clientId, key, kind: 'read', invokedAtMs, completedAtMs, output: completedAtMs === undefined ? undefined : { value } };
}

export function readWithVersion(clientId: ClientId, invokedAtMs: number, completedAtMs: number, value: RegisterValue, version: number, key = 'x'): ReadOperation {
  return { clientId, key, kind: 'read', invokedAtMs, completedAtMs, output: { value, version } };
}

export function write(clientId: ClientId, invokedAtMs: number, completedAtMs: number | undefined, value: RegisterValue, key = 'x'): WriteOperation {
  return { clientId, key, kind: 'write', invokedAtMs, completedAtMs, input: { value }, output: undefined };
}

export function cas(
  clientId: ClientId,
  invokedAtMs: number,
  completedAtMs: number | undefined,
  expected: RegisterValue,
  newValue: RegisterValue,
  succeeded: boolean | undefined,
  key = 'x',
): CasOperation {
  return {
    clientId,
    key,
    kind: 'cas',
    invokedAtMs,
    completedAtMs,
    input: { compareOn: 'value', expected, newValue },
    output: completedAtMs === undefined || succeeded === undefined ? undefined : { succeeded },
  };
}

export function casOnVersion(
  clientId: ClientId,
  invokedAtMs: number,
  completedAtMs: number | undefined,
  expectedVersion: number,
  newValue: RegisterValue,
  succeeded: boolean | undefined,
  key = 'x',
): CasOperation {
  return {
    clientId,
    key,
    kind: 'cas',
    invokedAtMs,
    completedAtMs,
    input: { compareOn: 'version', expectedVersion, newValue },
    output: completedAtMs === undefined || succeeded === undefined ? undefined : { succeeded },
  };
}
