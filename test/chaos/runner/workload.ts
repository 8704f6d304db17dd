// The clients of a chaos run. Each client is sequential (one request at a
// time), bound to one member, and loops: pick a key, then a linearizable
// read, a put of a value no one else writes, or a compare-and-swap txn on
// the value or version it last saw — recording every request in the shared
// HistoryRecorder. Keys are retired after a number of operations for fresh
// ones, so each key's history stays short enough to check.

import { HistoryRecorder, type CasInput, type RegisterValue } from '../linearizability/index.js';
import { classifyWriteError, errorLabel } from './errors.js';
import type { KvClient } from './kv-client.js';
import type { Random } from './random.js';

export type OpKind = 'read' | 'put' | 'cas';
export type OpOutcome = 'ok' | 'cas-failed' | 'unknown' | 'no-effect' | 'read-error';

/** Counts by kind and outcome, and errors by label. */
export class WorkloadStats {
  readonly outcomes = new Map<string, number>();
  readonly errors = new Map<string, number>();
  /** Every put and cas value with what we know of it; the final checks use this. */
  readonly writes: WrittenValue[] = [];

  count(kind: OpKind, outcome: OpOutcome): void {
    const key = `${kind} ${outcome}`;
    this.outcomes.set(key, (this.outcomes.get(key) ?? 0) + 1);
  }

  error(error: unknown): void {
    const label = errorLabel(error);
    this.errors.set(label, (this.errors.get(label) ?? 0) + 1);
  }

  get total(): number {
    let total = 0;
    for (const count of this.outcomes.values()) total += count;
    return total;
  }
}

export interface WrittenValue {
  key: string;
  value: string;
  /** acknowledged: the put returned or the cas succeeded; rejected: the cas answered "compare failed". */
  status: 'acknowledged' | 'rejected' | 'unknown' | 'no-effect';
  invokedAtMs: number;
  completedAtMs: number | undefined;
}

/** The keys in play: a few active slots, each replaced by a fresh key after opsPerKey operations. */
export class KeySpace {
  private readonly slots: Array<{ key: string; ops: number }> = [];
  private generation = 0;
  readonly allKeys: string[] = [];

  constructor(
    readonly prefix: string,
    activeKeys: number,
    private readonly opsPerKey: number,
  ) {
    for (let index = 0; index < activeKeys; index++) this.slots.push({ key: this.freshKey(), ops: 0 });
  }

  pick(random: Random): string {
    const slot = random.pick(this.slots);
    if (++slot.ops >= this.opsPerKey) {
      const key = slot.key;
      slot.key = this.freshKey();
      slot.ops = 0;
      return key;
    }
    return slot.key;
  }

  private freshKey(): string {
    const key = `${this.prefix}${String(this.generation++).padStart(5, '0')}`;
    this.allKeys.push(key);
    return key;
  }
}

interface Seen {
  value: RegisterValue;
  version: number;
}

export interface ClientContext {
  id: number;
  kv: KvClient;
  random: Random;
  recorder: HistoryRecorder;
  keys: KeySpace;
  stats: WorkloadStats;
  nowMs: () => number;
  stopped: () => boolean;
  /** Pause after an error so a client of a dead member does not spin. */
  errorBackoffMs: number;
}

export async function runClient(context: ClientContext): Promise<void> {
  const seen = new Map<string, Seen>();
  let counter = 0;
  while (!context.stopped()) {
    const key = context.keys.pick(context.random);
    const roll = context.random.float();
    let errored = false;
    if (roll < 0.4) errored = await read(context, key, seen);
    else if (roll < 0.7) errored = await put(context, key, `c${context.id}-${counter++}`);
    else errored = await cas(context, key, seen.get(key) ?? { value: null, version: 0 }, `c${context.id}-${counter++}`, context.random.float() < 0.5 ? 'value' : 'version', seen);
    if (errored) await new Promise((resolve) => setTimeout(resolve, context.errorBackoffMs));
  }
}

async function read(context: ClientContext, key: string, seen: Map<string, Seen>): Promise<boolean> {
  const token = context.recorder.invoke(context.id, { kind: 'read', key });
  try {
    const state = await context.kv.get(key);
    context.recorder.complete(token, { value: state.value, version: state.version });
    seen.set(key, { value: state.value, version: state.version });
    context.stats.count('read', 'ok');
    return false;
  } catch (error) {
    // A read changes nothing, so a failed one can always be left out.
    context.recorder.fail(token);
    context.stats.count('read', 'read-error');
    context.stats.error(error);
    return true;
  }
}

async function put(context: ClientContext, key: string, value: string): Promise<boolean> {
  const token = context.recorder.invoke(context.id, { kind: 'write', key, value });
  const written: WrittenValue = { key, value, status: 'unknown', invokedAtMs: context.nowMs(), completedAtMs: undefined };
  context.stats.writes.push(written);
  try {
    await context.kv.put(key, value);
    context.recorder.complete(token, undefined);
    written.status = 'acknowledged';
    written.completedAtMs = context.nowMs();
    context.stats.count('put', 'ok');
    return false;
  } catch (error) {
    return settleWriteError(context, token, written, 'put', error);
  }
}

async function cas(
  context: ClientContext,
  key: string,
  last: Seen,
  value: string,
  on: 'value' | 'version',
  seen: Map<string, Seen>,
): Promise<boolean> {
  const input: CasInput =
    on === 'value' ? { compareOn: 'value', expected: last.value, newValue: value } : { compareOn: 'version', expectedVersion: last.version, newValue: value };
  const token = context.recorder.invoke(context.id, { kind: 'cas', key, input });
  const written: WrittenValue = { key, value, status: 'unknown', invokedAtMs: context.nowMs(), completedAtMs: undefined };
  context.stats.writes.push(written);
  try {
    const succeeded = await context.kv.cas(key, on === 'value' ? { on, expected: last.value } : { on, expected: last.version }, value);
    context.recorder.complete(token, { succeeded });
    written.status = succeeded ? 'acknowledged' : 'rejected';
    written.completedAtMs = context.nowMs();
    if (succeeded) seen.set(key, { value, version: last.version + 1 });
    context.stats.count('cas', succeeded ? 'ok' : 'cas-failed');
    return false;
  } catch (error) {
    return settleWriteError(context, token, written, 'cas', error);
  }
}

function settleWriteError(
  context: ClientContext,
  token: Parameters<HistoryRecorder['fail']>[0],
  written: WrittenValue,
  kind: OpKind,
  error: unknown,
): boolean {
  context.stats.error(error);
  if (classifyWriteError(error) === 'no-effect') {
    context.recorder.fail(token);
    written.status = 'no-effect';
    context.stats.count(kind, 'no-effect');
  } else {
    context.recorder.completeUnknown(token);
    context.stats.count(kind, 'unknown');
  }
  return true;
}
