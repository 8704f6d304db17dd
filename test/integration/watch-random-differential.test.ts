// A randomized watch differential test: the same seeded workload of puts, deletes
// (single keys, prefixes, [a, b) ranges, from-key, everything), multi-key txns
// (compares, success and failure branches, puts and deletes in one revision) and a
// lease revoke, applied in the same order to our member and to the real etcd 3.4.
// Watchers on the same ranges (single key, prefix, [a, b), from-key, all keys; with
// and without prev_kv; NOPUT / NODELETE), started at the same revisions (live before
// the workload, from revision 1 and from a middle revision while writes continue,
// live from "now" mid-workload, and from the past after the workload) must see the
// same events grouped by revision. Both servers start empty at revision 1 and apply
// the same writes one at a time, so absolute revisions must match too (not masked).
//
// WATCH_DIFF_SEED=<n> replays one workload; WATCH_DIFF_OPS=<n> changes its length;
// WATCH_DIFF_SUBJECT=etcd runs the workload against etcd twice (to check the test).

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadGrpcPackage } from '../../src/proto/index.js';
import { MemberProcess, stopAllMembers, type MemberKind } from '../support/member-process.js';
import { waitFor } from '../support/wait-for.js';

after(stopAllMembers);

const seed = Number(process.env['WATCH_DIFF_SEED'] ?? Math.floor(Math.random() * 2 ** 31));
const operationCount = Number(process.env['WATCH_DIFF_OPS'] ?? 300);
const subject = (process.env['WATCH_DIFF_SUBJECT'] ?? 'etcd-ts') as MemberKind;
const deliveryTimeoutMs = 10_000;
const requestDeadlineMs = 10_000;

// ---------------------------------------------------------------- the workload

/** mulberry32: small, fast, and the same sequence for a seed everywhere. */
function seededRandom(seedValue: number): () => number {
  let state = seedValue >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['a', 'a/1', 'a/2', 'a/3', 'b', 'b/1', 'b/2', 'c', 'c/1', 'd', 'e/1'];
const LEASE_KEPT = 0x1001;
const LEASE_REVOKED = 0x1002;
const LEASE_TTL_SECONDS = 3600;
const ALL = Buffer.from([0]);

interface KeyRange {
  key: Buffer;
  range_end?: Buffer;
}

interface Operation {
  method: 'Put' | 'DeleteRange' | 'Txn' | 'LeaseRevoke';
  request: object;
  /** The workload's own words, for failure messages. */
  text: string;
}

function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1] = end[end.length - 1]! + 1;
  return end;
}

function describeRange(range: KeyRange): string {
  const show = (buffer: Buffer) => JSON.stringify(buffer.toString('latin1'));
  return range.range_end === undefined ? show(range.key) : `[${show(range.key)}, ${show(range.range_end)})`;
}

class WorkloadGenerator {
  private readonly random: () => number;
  private readonly values: string[] = ['v0'];
  private revoked = false;

  constructor(seedValue: number) {
    this.random = seededRandom(seedValue);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  private chance(probability: number): boolean {
    return this.random() < probability;
  }

  private key(): string {
    return this.pick(KEYS);
  }

  private value(index: number): string {
    // Now and then an empty value: a put of "" is still a put.
    const value = this.chance(0.05) ? '' : `v${index}-${Math.floor(this.random() * 1000)}`;
    this.values.push(value);
    return value;
  }

  private lease(): number {
    const roll = this.random();
    if (roll < 0.2) return LEASE_KEPT;
    if (roll < 0.3 && !this.revoked) return LEASE_REVOKED;
    return 0;
  }

  private deleteRange(): KeyRange {
    const roll = this.random();
    if (roll < 0.5) return { key: Buffer.from(this.key()) };
    if (roll < 0.7) {
      const prefix = this.pick(['a/', 'b/', 'c', 'a', 'e/']);
      return { key: Buffer.from(prefix), range_end: prefixEnd(prefix) };
    }
    if (roll < 0.85) {
      const [first, second] = [this.key(), this.key()].sort();
      return { key: Buffer.from(first!), range_end: Buffer.from(second!) };
    }
    if (roll < 0.95) return { key: Buffer.from(this.key()), range_end: ALL };
    return { key: ALL, range_end: ALL };
  }

  private put(index: number): { request: object; text: string; key: string } {
    const key = this.key();
    const value = this.value(index);
    const lease = this.lease();
    const request: Record<string, unknown> = { key: Buffer.from(key), value: Buffer.from(value) };
    if (lease !== 0) request['lease'] = lease;
    if (this.chance(0.3)) request['prev_kv'] = true;
    return { request, key, text: `put ${key}=${JSON.stringify(value)}${lease ? ` lease=${lease}` : ''}` };
  }

  private delete(): { request: object; text: string; range: KeyRange } {
    const range = this.deleteRange();
    const request: Record<string, unknown> = { ...range };
    if (this.chance(0.3)) request['prev_kv'] = true;
    return { request, range, text: `del ${describeRange(range)}` };
  }

  private compare(index: number): { compare: object; text: string } {
    const key = this.key();
    const results = ['==', '>', '<', '!='];
    const result = Math.floor(this.random() * 4);
    const target = Math.floor(this.random() * 5);
    const compare: Record<string, unknown> = { key: Buffer.from(key), result, target };
    let operand: string;
    switch (target) {
      case 0:
        compare['version'] = Math.floor(this.random() * 4);
        operand = `version ${compare['version']}`;
        break;
      case 1:
        compare['create_revision'] = Math.floor(this.random() * (index + 2));
        operand = `create ${compare['create_revision']}`;
        break;
      case 2:
        compare['mod_revision'] = Math.floor(this.random() * (index + 2));
        operand = `mod ${compare['mod_revision']}`;
        break;
      case 3: {
        const value = this.pick(this.values.slice(-15));
        compare['value'] = Buffer.from(value);
        operand = `value ${JSON.stringify(value)}`;
        break;
      }
      default:
        compare['lease'] = this.pick([0, LEASE_KEPT, LEASE_REVOKED]);
        operand = `lease ${compare['lease']}`;
        break;
    }
    let rangeText = '';
    if (this.chance(0.1)) {
      compare['range_end'] = prefixEnd(key);
      rangeText = '*';
    }
    return { compare, text: `${key}${rangeText} ${operand.split(' ')[0]} ${results[result]} ${operand.split(' ').slice(1).join(' ')}` };
  }

  /** One txn branch: puts on distinct keys and deletes not covering them (mostly), now and then a get. */
  private branch(index: number): { ops: object[]; text: string } {
    const ops: object[] = [];
    const texts: string[] = [];
    const count = Math.floor(this.random() * 4);
    const putKeys = new Set<string>();
    const deleteRanges: KeyRange[] = [];
    for (let attempt = 0; ops.length < count && attempt < 20; attempt++) {
      const roll = this.random();
      if (roll < 0.5) {
        const put = this.put(index);
        const conflicts = putKeys.has(put.key) || deleteRanges.some((range) => inRange(put.key, range));
        if (conflicts) continue;
        putKeys.add(put.key);
        ops.push({ request_put: put.request });
        texts.push(put.text);
      } else if (roll < 0.9) {
        const deletion = this.delete();
        const conflicts = [...putKeys].some((key) => inRange(key, deletion.range));
        if (conflicts) continue;
        deleteRanges.push(deletion.range);
        ops.push({ request_delete_range: deletion.request });
        texts.push(deletion.text);
      } else {
        const range = this.deleteRange();
        ops.push({ request_range: { ...range } });
        texts.push(`get ${describeRange(range)}`);
      }
    }
    if (putKeys.size > 0 && this.chance(0.05)) {
      // A second put of a key, or a delete covering it: etcd rejects the txn; both servers must alike.
      const key = this.pick([...putKeys]);
      if (this.chance(0.5)) {
        ops.push({ request_put: { key: Buffer.from(key), value: Buffer.from('duplicate') } });
        texts.push(`put ${key}="duplicate"`);
      } else {
        ops.push({ request_delete_range: { key: Buffer.from(key) } });
        texts.push(`del ${JSON.stringify(key)}`);
      }
    }
    return { ops, text: texts.join('; ') };
  }

  operation(index: number, total: number): Operation {
    if (index === Math.floor(total * 0.6)) {
      this.revoked = true;
      return { method: 'LeaseRevoke', request: { ID: LEASE_REVOKED }, text: `revoke lease ${LEASE_REVOKED}` };
    }
    const roll = this.random();
    if (roll < 0.4) {
      const put = this.put(index);
      return { method: 'Put', request: put.request, text: put.text };
    }
    if (roll < 0.55) {
      const deletion = this.delete();
      return { method: 'DeleteRange', request: deletion.request, text: deletion.text };
    }
    const compares = Array.from({ length: Math.floor(this.random() * 3) }, () => this.compare(index));
    const success = this.branch(index);
    const failure = this.branch(index);
    return {
      method: 'Txn',
      request: { compare: compares.map((item) => item.compare), success: success.ops, failure: failure.ops },
      text: `txn if (${compares.map((item) => item.text).join(' && ')}) then {${success.text}} else {${failure.text}}`,
    };
  }
}

function inRange(key: string, range: KeyRange): boolean {
  const buffer = Buffer.from(key);
  if (range.range_end === undefined) return buffer.equals(range.key);
  if (Buffer.compare(buffer, range.key) < 0) return false;
  if (range.range_end.equals(ALL)) return true;
  return Buffer.compare(buffer, range.range_end) < 0;
}

/** The sentinel: put every key (one revision), then delete everything (the next). Every watcher sees one of them. */
function sentinelOperations(): Operation[] {
  return [
    {
      method: 'Txn',
      request: { compare: [], success: KEYS.map((key) => ({ request_put: { key: Buffer.from(key), value: Buffer.from('end') } })), failure: [] },
      text: 'sentinel: put every key',
    },
    { method: 'DeleteRange', request: { key: ALL, range_end: ALL }, text: 'sentinel: delete everything' },
  ];
}

// ---------------------------------------------------------------- the watchers

const FILTER_NOPUT = 0;
const FILTER_NODELETE = 1;

interface WatcherShape {
  name: string;
  range: KeyRange;
  prevKv: boolean;
  filters: number[];
}

const WATCHER_SHAPES: WatcherShape[] = [
  { name: 'all keys, prev_kv', range: { key: ALL, range_end: ALL }, prevKv: true, filters: [] },
  { name: 'single key b', range: { key: Buffer.from('b') }, prevKv: false, filters: [] },
  { name: 'prefix a/, prev_kv', range: { key: Buffer.from('a/'), range_end: prefixEnd('a/') }, prevKv: true, filters: [] },
  { name: 'range [b, d), NOPUT', range: { key: Buffer.from('b'), range_end: Buffer.from('d') }, prevKv: false, filters: [FILTER_NOPUT] },
  { name: 'from key c, NODELETE, prev_kv', range: { key: Buffer.from('c'), range_end: ALL }, prevKv: true, filters: [FILTER_NODELETE] },
  { name: 'prefix b (b, b/1, b/2), NODELETE', range: { key: Buffer.from('b'), range_end: prefixEnd('b') }, prevKv: false, filters: [FILTER_NODELETE] },
];

/** Where a watcher starts, in words both servers share ("relative" revisions). */
type StartPoint = { kind: 'now' } | { kind: 'revision 1' } | { kind: 'revision after op'; opIndex: number };

interface WatcherSpec {
  label: string;
  shape: WatcherShape;
  start: StartPoint;
}

interface ReceivedResponse {
  watchId: number;
  headerRevision: number;
  created: boolean;
  canceled: boolean;
  cancelReason: string;
  compactRevision: number;
  fragment: boolean;
  events: any[];
}

/** One Watch stream; watchers are created one at a time, responses kept per watch id. */
class RecordedWatchStream {
  private readonly call: grpc.ClientDuplexStream<any, any>;
  private pendingCreate: { resolve(response: ReceivedResponse): void; reject(error: unknown): void } | undefined;
  readonly responsesById = new Map<number, ReceivedResponse[]>();
  failure: unknown;

  constructor(client: grpc.Client) {
    this.call = (client as unknown as { Watch(): grpc.ClientDuplexStream<any, any> }).Watch();
    this.call.on('data', (raw: any) => {
      const response: ReceivedResponse = {
        watchId: Number(raw.watch_id),
        headerRevision: Number(raw.header?.revision ?? 0),
        created: raw.created,
        canceled: raw.canceled,
        cancelReason: raw.cancel_reason,
        compactRevision: Number(raw.compact_revision),
        fragment: raw.fragment,
        events: raw.events ?? [],
      };
      if (response.created) {
        const waiting = this.pendingCreate;
        this.pendingCreate = undefined;
        if (waiting) waiting.resolve(response);
        else this.failure ??= new Error(`unexpected created response ${JSON.stringify(normalize(raw))}`);
        return;
      }
      let list = this.responsesById.get(response.watchId);
      if (!list) this.responsesById.set(response.watchId, (list = []));
      list.push(response);
    });
    this.call.on('error', (error) => {
      if ((error as grpc.ServiceError).code === grpc.status.CANCELLED) return;
      this.failure ??= error;
      this.pendingCreate?.reject(error);
    });
  }

  create(shape: WatcherShape, startRevision: number | undefined): Promise<ReceivedResponse> {
    assert.equal(this.pendingCreate, undefined, 'one create at a time');
    // Unused fields stay absent: etcd reads a present-but-empty range_end as "from key".
    const request: Record<string, unknown> = { key: shape.range.key };
    if (shape.range.range_end !== undefined) request['range_end'] = shape.range.range_end;
    if (startRevision !== undefined) request['start_revision'] = startRevision;
    if (shape.prevKv) request['prev_kv'] = true;
    if (shape.filters.length > 0) request['filters'] = shape.filters;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no created response within ${deliveryTimeoutMs} ms`)), deliveryTimeoutMs);
      this.pendingCreate = {
        resolve: (response) => {
          clearTimeout(timer);
          resolve(response);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.call.write({ create_request: request });
    });
  }

  close(): void {
    this.call.removeAllListeners('data');
    this.call.on('error', () => {});
    this.call.cancel();
  }
}

// ---------------------------------------------------------------- one server

interface ServerClients {
  unary(service: 'KV' | 'Lease', method: string, request: object): Promise<any>;
  watchClient: grpc.Client;
  close(): void;
}

function connectClients(endpoint: string): ServerClients {
  const etcdserverpb = loadGrpcPackage()['etcdserverpb'] as grpc.GrpcObject;
  const credentials = grpc.credentials.createInsecure();
  const make = (service: string) => new (etcdserverpb[service] as grpc.ServiceClientConstructor)(endpoint, credentials);
  const clients = { KV: make('KV'), Lease: make('Lease') };
  const watchClient = make('Watch');
  return {
    unary(service, method, request) {
      const client = clients[service] as unknown as Record<string, Function>;
      return new Promise((resolve, reject) => {
        client[method]!.call(clients[service], request, { deadline: Date.now() + requestDeadlineMs }, (error: grpc.ServiceError | null, response: unknown) =>
          error ? reject(error) : resolve(response),
        );
      });
    },
    watchClient,
    close() {
      clients.KV.close();
      clients.Lease.close();
      watchClient.close();
    },
  };
}

/** Comparable form: headers reduced to their revision, Buffers to text, numbers as numbers. */
function normalize(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('latin1');
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [field, inner] of Object.entries(value)) {
      if (field === 'header') result['header'] = { revision: Number((inner as { revision?: unknown } | null)?.revision ?? 0) };
      else result[field] = normalize(inner);
    }
    return result;
  }
  return value;
}

function normalizeEvent(event: any): unknown {
  return normalize({ type: event.type, kv: event.kv, prev_kv: event.prev_kv ?? null });
}

interface WatcherRecord {
  label: string;
  stream: RecordedWatchStream;
  created: ReceivedResponse;
  startRevision: number | undefined;
}

interface ServerRun {
  kind: MemberKind;
  operationResults: unknown[];
  revisionAfterOp: number[];
  finalRevision: number;
  watchers: WatcherRecord[];
}

/** The revision an operation left the store at, from its response header. */
function headerRevision(result: any): number | undefined {
  return typeof result?.header?.revision === 'number' ? result.header.revision : undefined;
}

class ServerUnderTest {
  readonly run: ServerRun;
  private readonly streams: RecordedWatchStream[] = [];
  private currentRevision = 1;

  constructor(
    readonly member: MemberProcess,
    readonly clients: ServerClients,
  ) {
    this.run = { kind: member.kind, operationResults: [], revisionAfterOp: [], finalRevision: 0, watchers: [] };
  }

  async apply(operation: Operation): Promise<void> {
    const service = operation.method === 'LeaseRevoke' ? 'Lease' : 'KV';
    let result: unknown;
    try {
      const response = await this.clients.unary(service, operation.method, operation.request);
      this.currentRevision = headerRevision(response) ?? this.currentRevision;
      result = normalize(response);
    } catch (error) {
      const serviceError = error as grpc.ServiceError;
      result = { error: grpc.status[serviceError.code] ?? serviceError.code, details: serviceError.details ?? String(error) };
    }
    this.run.operationResults.push(result);
    this.run.revisionAfterOp.push(this.currentRevision);
  }

  /** A new stream with one watcher per spec, created one after the other. */
  async watch(specs: WatcherSpec[]): Promise<void> {
    const stream = new RecordedWatchStream(this.clients.watchClient);
    this.streams.push(stream);
    for (const spec of specs) {
      const startRevision =
        spec.start.kind === 'now' ? undefined : spec.start.kind === 'revision 1' ? 1 : this.run.revisionAfterOp[spec.start.opIndex]! + 1;
      const created = await stream.create(spec.shape, startRevision);
      this.run.watchers.push({ label: spec.label, stream, created, startRevision });
    }
  }

  close(): void {
    for (const stream of this.streams) stream.close();
    this.clients.close();
  }
}

/** The last revision a watcher must reach: the sentinel delete, or the sentinel put for NODELETE watchers. */
function targetRevision(shape: WatcherShape, sentinelPutRevision: number, sentinelDeleteRevision: number): number {
  return shape.filters.includes(FILTER_NODELETE) ? sentinelPutRevision : sentinelDeleteRevision;
}

function lastEventRevision(responses: ReceivedResponse[]): number {
  let last = 0;
  for (const response of responses) for (const event of response.events) last = Math.max(last, Number(event.kv.mod_revision));
  return last;
}

/** What one watcher saw, in a form to compare: its created answer, and its events grouped by revision. */
function summarizeWatcher(record: WatcherRecord): unknown {
  const responses = record.stream.responsesById.get(record.created.watchId) ?? [];
  const groups: { revision: number; events: unknown[] }[] = [];
  const problems: string[] = [];
  let previousRevision = 0;
  for (const [index, response] of responses.entries()) {
    if (response.canceled || response.compactRevision !== 0 || response.fragment) {
      problems.push(`response ${index}: canceled=${response.canceled} compact_revision=${response.compactRevision} fragment=${response.fragment} ${response.cancelReason}`);
    }
    if (response.events.length === 0) problems.push(`response ${index}: no events (progress notification?) at header revision ${response.headerRevision}`);
    for (const event of response.events) {
      const revision = Number(event.kv.mod_revision);
      if (revision < previousRevision) problems.push(`response ${index}: revision ${revision} after ${previousRevision}`);
      const last = groups.at(-1);
      if (last && last.revision === revision) {
        // A revision split over two responses would show up here as a second group start.
        if ((last as { responseIndex?: number }).responseIndex !== index) problems.push(`revision ${revision} split across responses ${(last as { responseIndex?: number }).responseIndex} and ${index}`);
        last.events.push(normalizeEvent(event));
      } else {
        groups.push(Object.assign({ revision, events: [normalizeEvent(event)] }, { responseIndex: index }));
      }
      previousRevision = revision;
    }
  }
  return {
    label: record.label,
    startRevision: record.startRevision ?? 'now',
    created: {
      watch_id: record.created.watchId,
      header_revision: record.created.headerRevision,
      canceled: record.created.canceled,
      cancel_reason: record.created.cancelReason,
      compact_revision: record.created.compactRevision,
    },
    problems,
    groups: groups.map((group) => ({ revision: group.revision, events: group.events })),
  };
}

// ---------------------------------------------------------------- the test

function watcherPlan(total: number): { beforeWorkload: WatcherSpec[]; midWorkloadCatchUp: WatcherSpec[]; midWorkloadLive: WatcherSpec[]; afterWorkload: WatcherSpec[] } {
  const early = Math.floor(total * 0.25);
  const middle = Math.floor(total * 0.5);
  const late = Math.floor(total * 0.8);
  const specs = (start: StartPoint, text: string) => WATCHER_SHAPES.map((shape) => ({ label: `${shape.name} / ${text}`, shape, start }));
  return {
    beforeWorkload: specs({ kind: 'now' }, 'live before the workload'),
    midWorkloadCatchUp: [
      ...specs({ kind: 'revision 1' }, `from revision 1, created after op ${middle}`),
      ...specs({ kind: 'revision after op', opIndex: early }, `from the revision after op ${early}, created after op ${middle}`),
    ],
    midWorkloadLive: specs({ kind: 'now' }, `live from now, created after op ${middle}`),
    afterWorkload: [
      ...specs({ kind: 'revision 1' }, 'from revision 1, created after the workload'),
      ...specs({ kind: 'revision after op', opIndex: late }, `from the revision after op ${late}, created after the workload`),
    ],
  };
}

async function startServer(kind: MemberKind): Promise<ServerUnderTest> {
  const member = await MemberProcess.start({ kind });
  const server = new ServerUnderTest(member, connectClients(member.endpoint));
  for (const id of [LEASE_KEPT, LEASE_REVOKED]) await server.clients.unary('Lease', 'LeaseGrant', { ID: id, TTL: LEASE_TTL_SECONDS });
  return server;
}

/**
 * SIGKILL and wait for the exit, so that destroy() finds the process gone: its own
 * kill path leaves a 10 s timer behind that keeps the test process alive.
 */
async function killQuickly(member: MemberProcess): Promise<void> {
  const child = member.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

function firstDifference(reference: unknown, actual: unknown, path = ''): string | undefined {
  if (JSON.stringify(reference) === JSON.stringify(actual)) return undefined;
  if (Array.isArray(reference) && Array.isArray(actual)) {
    for (let index = 0; index < Math.max(reference.length, actual.length); index++) {
      const inner = firstDifference(reference[index], actual[index], `${path}[${index}]`);
      if (inner) return inner;
    }
  } else if (reference && actual && typeof reference === 'object' && typeof actual === 'object') {
    for (const field of new Set([...Object.keys(reference), ...Object.keys(actual)])) {
      const inner = firstDifference((reference as Record<string, unknown>)[field], (actual as Record<string, unknown>)[field], `${path}.${field}`);
      if (inner) return inner;
    }
  }
  return `${path || '(top)'}: etcd ${JSON.stringify(reference)} vs ${subject} ${JSON.stringify(actual)}`;
}

test(`random workload: ${subject} watchers see what etcd 3.4's see (seed ${seed})`, { timeout: 120_000 }, async (context) => {
  context.diagnostic(`WATCH_DIFF_SEED=${seed} WATCH_DIFF_OPS=${operationCount}`);
  const generator = new WorkloadGenerator(seed);
  const operations = Array.from({ length: operationCount }, (_, index) => generator.operation(index, operationCount));
  const plan = watcherPlan(operationCount);
  const middle = Math.floor(operationCount * 0.5);

  const [reference, actual] = await Promise.all([startServer('etcd'), startServer(subject)]);
  const servers = [reference, actual];
  try {
    const onBoth = (action: (server: ServerUnderTest) => Promise<void>) => Promise.all(servers.map(action));
    await onBoth((server) => server.watch(plan.beforeWorkload));
    for (const [index, operation] of operations.entries()) {
      await onBoth((server) => server.apply(operation));
      if (index === middle) {
        await onBoth((server) => server.watch(plan.midWorkloadCatchUp));
        await onBoth((server) => server.watch(plan.midWorkloadLive));
      }
    }
    await onBoth((server) => server.watch(plan.afterWorkload));
    for (const operation of sentinelOperations()) await onBoth((server) => server.apply(operation));

    // Every watcher's last event is a sentinel's; wait until each server's watchers saw it.
    await onBoth(async (server) => {
      const results = server.run.operationResults;
      const [sentinelPut, sentinelDelete] = [headerRevision(results.at(-2)), headerRevision(results.at(-1))];
      assert.ok(sentinelPut !== undefined && sentinelDelete !== undefined, `${server.run.kind}: sentinel writes failed: ${JSON.stringify(results.slice(-2))}`);
      server.run.finalRevision = sentinelDelete;
      await waitFor(
        `${server.run.kind}'s watchers to see the sentinel writes (revisions ${sentinelPut}, ${sentinelDelete}) (seed ${seed})`,
        () => {
          for (const record of server.run.watchers) if (record.stream.failure) throw record.stream.failure;
          const behind = server.run.watchers.filter((record) => {
            const target = targetRevision(WATCHER_SHAPES.find((shape) => record.label.startsWith(shape.name))!, sentinelPut, sentinelDelete);
            return lastEventRevision(record.stream.responsesById.get(record.created.watchId) ?? []) < target;
          });
          if (behind.length === 0) return true;
          throw new Error(`behind: ${behind.map((record) => `${record.label} at ${lastEventRevision(record.stream.responsesById.get(record.created.watchId) ?? [])}`).join('; ')}`);
        },
        { timeoutMs: deliveryTimeoutMs },
      );
    });

    const failureNote = `(seed ${seed}; replay with WATCH_DIFF_SEED=${seed})`;
    const operationDifference = firstDifference(reference.run.operationResults, actual.run.operationResults);
    if (operationDifference) {
      const index = Number(/^\[(\d+)\]/.exec(operationDifference)?.[1] ?? -1);
      const text = index >= 0 ? (index < operations.length ? operations[index]!.text : sentinelOperations()[index - operations.length]!.text) : '';
      assert.fail(`operation ${index} (${text}) answered differently ${failureNote}:\n${operationDifference}`);
    }
    assert.equal(actual.run.finalRevision, reference.run.finalRevision, `final revision ${failureNote}`);

    const referenceWatchers = reference.run.watchers.map(summarizeWatcher);
    const actualWatchers = actual.run.watchers.map(summarizeWatcher);
    for (const summary of referenceWatchers) {
      assert.deepEqual((summary as { problems: string[] }).problems, [], `etcd itself broke an assumption of this test ${failureNote}`);
    }
    const eventCount = referenceWatchers.reduce<number>((sum, summary) => sum + (summary as { groups: { events: unknown[] }[] }).groups.reduce((inner, group) => inner + group.events.length, 0), 0);
    const errorCount = reference.run.operationResults.filter((result) => (result as { error?: unknown }).error !== undefined).length;
    const failedTxnCount = reference.run.operationResults.filter((result) => (result as { succeeded?: unknown }).succeeded === false).length;
    context.diagnostic(
      `${operations.length} operations (${errorCount} rejected, ${failedTxnCount} txns took the failure branch) up to revision ${reference.run.finalRevision}; ` +
        `${referenceWatchers.length} watchers saw ${eventCount} events on etcd`,
    );
    for (const [index, summary] of referenceWatchers.entries()) {
      const difference = firstDifference(summary, actualWatchers[index]);
      if (difference) assert.fail(`watcher "${(summary as { label: string }).label}" differs ${failureNote}:\n${difference}`);
    }
    assert.deepEqual(actualWatchers, referenceWatchers);
  } finally {
    for (const server of servers) {
      server.close();
      await killQuickly(server.member);
      await server.member.destroy();
    }
  }
});
