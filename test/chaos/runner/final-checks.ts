// Checks after the faults are healed: the members converge on the same
// data, the history is linearizable, and a watch from revision 1 replays
// exactly the writes the clients made — each acknowledged put once, each
// rejected cas never, in revision order without gaps, and ordered like the
// acknowledgements wherever one write finished before another began.

import type { Cluster } from '../../support/cluster-process.js';
import { waitFor } from '../../support/wait-for.js';
import { createRequest, openRawWatch } from '../../mvcc/watch/watch-clients.js';
import { KvClient } from './kv-client.js';
import type { WrittenValue } from './workload.js';

export interface Converged {
  revision: number;
  kvs: Array<{ key: string; value: string; modRevision: number; version: number }>;
}

/** Waits until every member serves the same keys under `prefix` at the same revision (serializable, local reads). */
export async function waitConverged(cluster: Cluster, prefix: string, timeoutMs: number): Promise<Converged> {
  const clients = cluster.members.map((member) => new KvClient(member.endpoint, 2_000));
  let last = 'no member answered';
  try {
    return await waitFor(
      'every member to converge on the same revision and keys',
      async () => {
        const scans = await Promise.all(
          clients.map((client) => client.scan(prefix, { serializable: true }).catch((error: Error) => error)),
        );
        const statuses = await Promise.all(clients.map((client) => client.status().catch(() => undefined)));
        last = scans
          .map((scan, index) => {
            const status = statuses[index];
            const raft = status === undefined ? '' : `, raft index ${status.raftIndex} applied ${status.raftAppliedIndex} term ${status.raftTerm} leader ${status.leader}`;
            return `${cluster.members[index]!.name}: ${scan instanceof Error ? scan.message : `revision ${scan.revision}, ${scan.kvs.length} keys`}${raft}`;
          })
          .join('; ');
        if (scans.some((scan) => scan instanceof Error)) return undefined;
        last += firstDifference(scans as Converged[], cluster.members.map((member) => member.name));
        const first = JSON.stringify(scans[0]);
        return scans.every((scan) => JSON.stringify(scan) === first) ? (scans[0] as Converged) : undefined;
      },
      { timeoutMs, intervalMs: 200 },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message} (last seen: ${last})`);
  } finally {
    for (const client of clients) client.close();
  }
}

/** The first key on which two members' scans disagree, for the report. */
function firstDifference(scans: readonly Converged[], names: readonly string[]): string {
  const show = (kv: Converged['kvs'][number] | undefined) => (kv === undefined ? 'absent' : `${kv.value}@${kv.modRevision} v${kv.version}`);
  for (let index = 1; index < scans.length; index++) {
    const a = new Map(scans[0]!.kvs.map((kv) => [kv.key, kv]));
    const b = new Map(scans[index]!.kvs.map((kv) => [kv.key, kv]));
    for (const key of new Set([...a.keys(), ...b.keys()])) {
      if (JSON.stringify(a.get(key)) !== JSON.stringify(b.get(key))) {
        return `; first difference: ${key} is ${show(a.get(key))} on ${names[0]} but ${show(b.get(key))} on ${names[index]}`;
      }
    }
  }
  return '';
}

export interface WatchedEvent {
  revision: number;
  key: string;
  value: string;
  type: 'PUT' | 'DELETE';
}

/** Every event from revision 1 up to `lastRevision`, from a watch on one member. */
export async function watchFromStart(endpoint: string, lastRevision: number, timeoutMs: number): Promise<WatchedEvent[]> {
  const watch = openRawWatch(endpoint);
  try {
    watch.send(createRequest({ key: Buffer.from([0]), range_end: Buffer.from([0]), start_revision: 1 }));
    const events: WatchedEvent[] = [];
    let seen = 0;
    await waitFor(
      `watch events up to revision ${lastRevision}`,
      () => {
        for (; seen < watch.responses.length; seen++) {
          const response = watch.responses[seen] as { canceled?: boolean; cancel_reason?: string; events?: any[] };
          if (response.canceled) throw new Error(`watch canceled: ${response.cancel_reason}`);
          for (const event of response.events ?? []) {
            events.push({
              revision: Number(event.kv.mod_revision),
              key: Buffer.from(event.kv.key).toString(),
              value: Buffer.from(event.kv.value).toString(),
              type: Number(event.type) === 1 ? 'DELETE' : 'PUT',
            });
          }
        }
        return lastRevision <= 1 || (events.length > 0 && events[events.length - 1]!.revision >= lastRevision) || undefined;
      },
      { timeoutMs, intervalMs: 50 },
    );
    return events;
  } finally {
    watch.close();
  }
}

/** Problems with the watched events given the writes the clients made; empty when all is well. */
export function checkEvents(events: readonly WatchedEvent[], lastRevision: number, writes: readonly WrittenValue[], converged: Converged, prefix: string): string[] {
  const problems: string[] = [];
  // Our txns write one key each, so every revision after 1 carries exactly one event.
  for (let index = 0; index < events.length; index++) {
    const expected = index + 2;
    if (events[index]!.revision !== expected) {
      problems.push(`watch event ${index} has revision ${events[index]!.revision}, expected ${expected} (revisions must increase by 1 without gaps)`);
      break;
    }
  }
  if (events.length !== Math.max(0, lastRevision - 1)) problems.push(`watch saw ${events.length} events but the final revision is ${lastRevision}`);

  const revisionsByValue = new Map<string, number[]>();
  for (const event of events) {
    if (!event.key.startsWith(prefix)) continue;
    const id = `${event.key}\u0000${event.value}`;
    revisionsByValue.set(id, [...(revisionsByValue.get(id) ?? []), event.revision]);
  }
  const revisionOf = new Map<WrittenValue, number>();
  for (const write of writes) {
    const revisions = revisionsByValue.get(`${write.key}\u0000${write.value}`) ?? [];
    revisionsByValue.delete(`${write.key}\u0000${write.value}`);
    if (revisions.length > 1) problems.push(`${write.key}=${write.value} was applied ${revisions.length} times (revisions ${revisions.join(', ')})`);
    if (write.status === 'acknowledged' && revisions.length === 0) problems.push(`acknowledged write ${write.key}=${write.value} is missing from the watch history`);
    if ((write.status === 'rejected' || write.status === 'no-effect') && revisions.length > 0) {
      problems.push(`${write.status} write ${write.key}=${write.value} took effect at revision ${revisions[0]}`);
    }
    if (revisions.length > 0) revisionOf.set(write, revisions[0]!);
  }
  for (const [id, revisions] of revisionsByValue) problems.push(`watch shows a write no client made: ${id.replace('\u0000', '=')} at ${revisions.join(', ')}`);

  // Real-time order: an acknowledged write that finished before another began has the lower revision.
  const acknowledged = writes.filter((write) => write.status === 'acknowledged' && revisionOf.has(write)).sort((a, b) => a.completedAtMs! - b.completedAtMs!);
  const byInvocation = [...acknowledged].sort((a, b) => a.invokedAtMs - b.invokedAtMs);
  let cursor = 0;
  let maxRevisionFinished = 0;
  let maxWrite: WrittenValue | undefined;
  for (const later of byInvocation) {
    while (cursor < acknowledged.length && acknowledged[cursor]!.completedAtMs! < later.invokedAtMs) {
      const done = acknowledged[cursor++]!;
      if (revisionOf.get(done)! > maxRevisionFinished) {
        maxRevisionFinished = revisionOf.get(done)!;
        maxWrite = done;
      }
    }
    if (maxWrite !== undefined && revisionOf.get(later)! < maxRevisionFinished) {
      problems.push(
        `${later.key}=${later.value} (revision ${revisionOf.get(later)}) began after ${maxWrite.key}=${maxWrite.value} (revision ${maxRevisionFinished}) was acknowledged`,
      );
      break;
    }
  }

  // The final state is the last event of each key.
  const lastByKey = new Map<string, WatchedEvent>();
  for (const event of events) if (event.key.startsWith(prefix)) lastByKey.set(event.key, event);
  const finalKeys = new Map(converged.kvs.map((kv) => [kv.key, kv]));
  for (const [key, event] of lastByKey) {
    const kv = finalKeys.get(key);
    if (kv === undefined || kv.value !== event.value || kv.modRevision !== event.revision) {
      problems.push(`final ${key} is ${kv ? `${kv.value}@${kv.modRevision}` : 'absent'} but its last watch event is ${event.value}@${event.revision}`);
    }
  }
  if (finalKeys.size !== lastByKey.size) problems.push(`final state has ${finalKeys.size} keys, watch history ${lastByKey.size}`);
  return problems;
}

/** Where two members' event histories first differ (revision, key, value), or undefined when identical. */
export function firstEventDifference(a: readonly WatchedEvent[], b: readonly WatchedEvent[]): string | undefined {
  const show = (event: WatchedEvent | undefined) => (event === undefined ? 'nothing' : `${event.type} ${event.key}=${event.value}@${event.revision}`);
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const x = a[index];
    const y = b[index];
    if (x?.revision !== y?.revision || x?.key !== y?.key || x?.value !== y?.value || x?.type !== y?.type) {
      return `event ${index}: ${show(x)} vs ${show(y)}`;
    }
  }
  return undefined;
}
