// Records the history of a chaos run as it happens. Each client calls
// invoke() just before sending a request and exactly one of complete(),
// completeUnknown() or fail() once it knows how the request ended.

import type { CasInput, CasOutput, ClientId, Operation, OperationKind, ReadOutput, RegisterValue } from './history.js';

/** Monotonic milliseconds (e.g. performance.now()); a wall clock could step backwards. */
export interface HistoryClock {
  nowMs(): number;
}

export type OperationRequest =
  | { kind: 'read'; key: string }
  | { kind: 'write'; key: string; value: RegisterValue }
  | { kind: 'cas'; key: string; input: CasInput };

export interface OperationToken<Kind extends OperationKind = OperationKind> {
  readonly id: number;
  readonly kind: Kind;
}

export type OutputOf<Kind extends OperationKind> = Kind extends 'read' ? ReadOutput : Kind extends 'cas' ? CasOutput : undefined;

type RecordState = 'in-flight' | 'recorded' | 'dropped';

interface OperationRecord {
  operation: Operation;
  state: RecordState;
}

export class HistoryRecorder {
  private readonly records: OperationRecord[] = [];
  private readonly inFlightByClient = new Map<ClientId, number>();

  constructor(private readonly clock: HistoryClock) {}

  invoke<Request extends OperationRequest>(clientId: ClientId, request: Request): OperationToken<Request['kind']> {
    const pending = this.inFlightByClient.get(clientId);
    // A client is sequential: one request at a time, or its operations could not be ordered.
    if (pending !== undefined) throw new Error(`client ${String(clientId)} invoked while operation ${pending} is in flight`);
    const common = { clientId, key: request.key, invokedAtMs: this.clock.nowMs(), completedAtMs: undefined };
    let operation: Operation;
    switch (request.kind) {
      case 'read':
        operation = { ...common, kind: 'read', output: undefined };
        break;
      case 'write':
        operation = { ...common, kind: 'write', input: { value: request.value }, output: undefined };
        break;
      case 'cas':
        operation = { ...common, kind: 'cas', input: { ...request.input }, output: undefined };
        break;
    }
    const id = this.records.length;
    this.records.push({ operation, state: 'in-flight' });
    this.inFlightByClient.set(clientId, id);
    return { id, kind: request.kind as Request['kind'] };
  }

  /** The answer arrived: the operation took effect between invocation and now, with this output. */
  complete<Kind extends OperationKind>(token: OperationToken<Kind>, output: OutputOf<Kind>): void {
    const record = this.settle(token, 'recorded');
    const completedAtMs = this.clock.nowMs();
    const operation = record.operation;
    if (operation.kind === 'read') {
      const read = output as ReadOutput | undefined;
      if (read === undefined || !('value' in read)) throw new Error(`operation ${token.id}: a read completes with { value }`);
      operation.output = { ...read };
    } else if (operation.kind === 'cas') {
      const cas = output as CasOutput | undefined;
      if (cas === undefined || typeof cas.succeeded !== 'boolean') throw new Error(`operation ${token.id}: a cas completes with { succeeded }`);
      operation.output = { succeeded: cas.succeeded };
    }
    operation.completedAtMs = completedAtMs;
  }

  /** No answer (timeout, lost connection): the operation may take effect at any time, or never. */
  completeUnknown(token: OperationToken): void {
    this.settle(token, 'recorded');
  }

  /** An error that guarantees no effect (e.g. "request is too large"): left out of the history. */
  fail(token: OperationToken): void {
    this.settle(token, 'dropped');
  }

  /** The history so far, in invocation order; operations still in flight count as unknown outcomes. */
  history(): Operation[] {
    return this.records
      .filter((record) => record.state !== 'dropped')
      .map((record) => structuredClone(record.operation));
  }

  get inFlightCount(): number {
    return this.inFlightByClient.size;
  }

  private settle(token: OperationToken, next: RecordState): OperationRecord {
    const record = this.records[token.id];
    if (record === undefined || record.operation.kind !== token.kind) throw new Error(`unknown operation token ${token.id}`);
    if (record.state !== 'in-flight') throw new Error(`operation ${token.id} already ended (${record.state})`);
    record.state = next;
    this.inFlightByClient.delete(record.operation.clientId);
    return record;
  }
}
