// The history a chaos run records: one entry per client operation on one key,
// with the times the client sent the request and heard the answer.
//
// An operation whose answer never came (timeout, connection reset, member
// killed mid-request) has `completedAtMs: undefined`: it may have taken effect
// at any instant after its invocation, or never. Its output is unknown too.
// Operations that failed with an error that guarantees no effect (e.g.
// "etcdserver: request is too large") are left out of the history entirely.

/** A register's value; `null` means the key does not exist (never put, or deleted). */
export type RegisterValue = string | null;

export type ClientId = number | string;

export type OperationKind = 'read' | 'write' | 'cas';

export interface ReadOutput {
  value: RegisterValue;
  /** etcd's per-key version (0 for an absent key); checked only when given. */
  version?: number;
}

/** A put (`value` a string) or a delete (`value` null). */
export interface WriteInput {
  value: RegisterValue;
}

/**
 * A compare-and-swap txn: if the compare holds, write `newValue`.
 * `expected: null` compares "the key is absent" (etcd: `version(key) = 0`).
 */
export type CasInput =
  | { compareOn: 'value'; expected: RegisterValue; newValue: RegisterValue }
  | { compareOn: 'version'; expectedVersion: number; newValue: RegisterValue };

export interface CasOutput {
  succeeded: boolean;
}

interface OperationCommon {
  clientId: ClientId;
  key: string;
  /** Taken just before the request left the client (a monotonic clock). */
  invokedAtMs: number;
  /** Taken just after the answer arrived; undefined when the outcome is unknown. */
  completedAtMs: number | undefined;
}

export interface ReadOperation extends OperationCommon {
  kind: 'read';
  output: ReadOutput | undefined;
}

export interface WriteOperation extends OperationCommon {
  kind: 'write';
  input: WriteInput;
  output: undefined;
}

export interface CasOperation extends OperationCommon {
  kind: 'cas';
  input: CasInput;
  output: CasOutput | undefined;
}

export type Operation = ReadOperation | WriteOperation | CasOperation;

export function isOutcomeUnknown(operation: Operation): boolean {
  return operation.completedAtMs === undefined;
}

/** Throws on an operation the checker cannot reason about (a recorder bug, not an anomaly). */
export function assertWellFormed(operation: Operation): void {
  const where = `operation of client ${String(operation.clientId)} on key ${JSON.stringify(operation.key)}`;
  if (!Number.isFinite(operation.invokedAtMs)) throw new Error(`${where}: invokedAtMs is not finite`);
  if (operation.completedAtMs === undefined) {
    if (operation.output !== undefined) throw new Error(`${where}: unknown outcome but an output is recorded`);
    return;
  }
  if (!Number.isFinite(operation.completedAtMs)) throw new Error(`${where}: completedAtMs is not finite`);
  if (operation.completedAtMs < operation.invokedAtMs) throw new Error(`${where}: completed before it was invoked`);
  if (operation.kind !== 'write' && operation.output === undefined) {
    throw new Error(`${where}: completed ${operation.kind} without an output`);
  }
}

function showValue(value: RegisterValue): string {
  return value === null ? '<absent>' : JSON.stringify(value);
}

export function describeOperation(operation: Operation): string {
  const completed = operation.completedAtMs === undefined ? '?' : String(operation.completedAtMs);
  const span = `[${operation.invokedAtMs}, ${completed}]`;
  const who = `client ${String(operation.clientId)} ${span}`;
  switch (operation.kind) {
    case 'read': {
      if (operation.output === undefined) return `${who} read -> unknown`;
      const version = operation.output.version === undefined ? '' : ` (version ${operation.output.version})`;
      return `${who} read -> ${showValue(operation.output.value)}${version}`;
    }
    case 'write': {
      const verb = operation.input.value === null ? 'delete' : `write ${showValue(operation.input.value)}`;
      return `${who} ${verb}${operation.completedAtMs === undefined ? ' -> unknown' : ''}`;
    }
    case 'cas': {
      const input = operation.input;
      const compare =
        input.compareOn === 'value' ? `value == ${showValue(input.expected)}` : `version == ${input.expectedVersion}`;
      const outcome = operation.output === undefined ? 'unknown' : operation.output.succeeded ? 'succeeded' : 'failed';
      return `${who} cas if ${compare} then ${showValue(input.newValue)} -> ${outcome}`;
    }
  }
}

export { showValue };
