// One chaos run: start the cluster behind the peer-link proxy, run the
// clients and the nemesis for the duration, heal, wait for convergence,
// then check the history and the watch stream. Returns a report; every
// process it started is stopped before it returns, even on errors.

import { cpSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster } from '../../support/cluster-process.js';
import { HistoryRecorder, checkLinearizability, type Operation } from '../linearizability/index.js';
import { ClusterMonitor } from './cluster-monitor.js';
import { selectFaults } from './faults.js';
import { checkEvents, firstEventDifference, waitConverged, watchFromStart, type Converged, type WatchedEvent } from './final-checks.js';
import { KvClient } from './kv-client.js';
import { Nemesis } from './nemesis.js';
import type { ChaosOptions } from './options.js';
import { PeerLinkProxy } from './peer-link-proxy.js';
import { Random } from './random.js';
import { KeySpace, WorkloadStats, runClient } from './workload.js';

export interface ChaosReport {
  ok: boolean;
  seed: number;
  kind: string;
  failures: string[];
  operations: number;
  outcomes: Record<string, number>;
  errors: Record<string, number>;
  faults: Record<string, number>;
  skippedFaults: Record<string, string>;
  leaderChanges: number;
  highestTerm: number;
  finalRevision: number;
  watchEvents: number;
  keys: number;
  checkerSteps: number;
  checkerMs: number;
  historyPath: string | undefined;
  summary: string;
}

const RECOVERY_TIMEOUT_MS = 30_000;

export async function runChaos(options: ChaosOptions): Promise<ChaosReport> {
  // Wall-clock stamps (UTC, as in the members' logs) so faults line up with log lines.
  const log = (line: string) => options.log(`${new Date().toISOString().slice(11, 23)} ${line}`);
  const random = new Random(options.seed);
  const nemesisRandom = random.fork(0);
  const proxy = new PeerLinkProxy();
  let cluster: Cluster | undefined;
  let monitor: ClusterMonitor | undefined;
  const clients: KvClient[] = [];
  const failures: string[] = [];
  const stats = new WorkloadStats();
  const recorder = new HistoryRecorder({ nowMs: () => performance.now() });
  const prefix = `chaos/${options.seed}/`;
  const keys = new KeySpace(prefix, options.activeKeys, options.opsPerKey);
  let nemesis: Nemesis | undefined;
  let finalRevision = 0;
  let watchEvents = 0;
  let checkerSteps = 0;
  let checkerMs = 0;
  let historyPath: string | undefined;

  try {
    log(`chaos: ${options.kind}, ${options.members} members, ${options.clients} clients, ${options.durationSeconds} s, seed ${options.seed}${options.peerTls ? ', peers over TLS' : ''}`);
    cluster = await Cluster.start({
      kind: options.kind,
      size: options.members,
      distinctAddresses: true,
      frontPeer: ({ name, real }) => proxy.addMember(name, real.host, real),
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      electionTimeoutMs: options.electionTimeoutMs,
      token: `chaos-${options.seed}`,
      readyTimeoutMs: 60_000,
      // The proxy relays bytes, so TLS runs end to end between members through it.
      ...(options.peerTls ? { peerScheme: 'https' as const, extraFlags: ['--peer-auto-tls'] } : {}),
    });
    log(`chaos: cluster up: ${cluster.endpoints.join(', ')}`);
    monitor = new ClusterMonitor(cluster);
    await monitor.learnIds();
    await monitor.waitHealthy(RECOVERY_TIMEOUT_MS);
    // Members that dial from their own address show up identified at the proxy.
    const partitionsWork = proxy.stats.accepted > 0 && proxy.stats.unidentified === 0;
    nemesis = new Nemesis(
      { cluster, proxy, monitor, random: nemesisRandom, partitionsWork, log: options.verbose ? log : () => {} },
      selectFaults(options.faults),
      { holdMs: options.faultHoldMs, gapMs: options.faultGapMs, recoveryTimeoutMs: RECOVERY_TIMEOUT_MS },
    );
    for (const [name, reason] of nemesis.skipped) log(`chaos: skipping ${name} faults: ${reason}`);
    monitor.startPolling();

    let stopped = false;
    const clientLoops: Promise<void>[] = [];
    for (let id = 0; id < options.clients; id++) {
      const kv = new KvClient(cluster.members[id % cluster.members.length]!.endpoint, options.requestDeadlineMs);
      clients.push(kv);
      clientLoops.push(
        runClient({
          id,
          kv,
          random: random.fork(id + 1),
          recorder,
          keys,
          stats,
          nowMs: () => performance.now(),
          stopped: () => stopped,
          errorBackoffMs: 50,
        }),
      );
    }
    const nemesisDone = nemesis.run();
    const runTimer = new Promise<void>((resolve) => setTimeout(resolve, options.durationSeconds * 1_000));
    await runTimer;
    if (options.fullRound) await nemesis.firstRound;
    await nemesis.stop();
    await nemesisDone;
    stopped = true;
    await Promise.all(clientLoops);
    failures.push(...nemesis.recoveryFailures);

    // Heal everything that might still be broken and let the cluster settle.
    proxy.heal();
    for (const member of cluster.members) {
      if (member.state === 'paused') member.resume();
      if (member.state === 'stopped') await member.start({ waitReady: false });
    }
    await monitor.waitHealthy(RECOVERY_TIMEOUT_MS);

    // Final linearizable reads of every key join the history, so a write lost after its acknowledgement is an anomaly.
    const leader = (await monitor.leader()) ?? cluster.members[0]!;
    const finalReader = new KvClient(leader.endpoint, 5_000);
    clients.push(finalReader);
    for (const key of keys.allKeys) {
      const token = recorder.invoke('final', { kind: 'read', key });
      try {
        const state = await finalReader.get(key);
        recorder.complete(token, { value: state.value, version: state.version });
      } catch (error) {
        recorder.fail(token);
        failures.push(`final read of ${key} on ${leader.name} failed: ${(error as Error).message}`);
      }
    }

    // Divergent members are a failure, but the checks below still run (on each member's own state) to show where.
    let converged: Converged | undefined;
    try {
      converged = await waitConverged(cluster, prefix, RECOVERY_TIMEOUT_MS);
      finalRevision = converged.revision;
    } catch (error) {
      failures.push((error as Error).message);
    }
    const history = recorder.history();
    const started = performance.now();
    const verdict = checkLinearizability(history);
    checkerMs = performance.now() - started;
    checkerSteps = verdict.steps;
    if (verdict.ok === false) {
      failures.push(`not linearizable (seed ${options.seed}) on key ${verdict.key}:\n${verdict.explanation.summary}`);
    } else if (verdict.ok === 'unknown') {
      failures.push(`linearizability undecided (seed ${options.seed}) on key ${verdict.key}: ${verdict.reason}`);
    }

    // A watch from revision 1 on every member: each must replay exactly the clients' writes, and all the same history.
    let reference: { name: string; events: WatchedEvent[] } | undefined;
    for (const member of cluster.members) {
      const state = converged ?? (await localState(member.endpoint, prefix));
      finalRevision = Math.max(finalRevision, state.revision);
      const events = await watchFromStart(member.endpoint, state.revision, RECOVERY_TIMEOUT_MS);
      watchEvents = Math.max(watchEvents, events.length);
      for (const problem of checkEvents(events, state.revision, stats.writes, state, prefix)) failures.push(`watch on ${member.name}: ${problem}`);
      if (reference === undefined) reference = { name: member.name, events };
      else {
        const difference = firstEventDifference(reference.events, events);
        if (difference !== undefined) failures.push(`${member.name} and ${reference.name} disagree on history: ${difference}`);
      }
    }
  } catch (error) {
    failures.push(`run aborted: ${(error as Error).stack ?? String(error)}`);
  } finally {
    await nemesis?.stop().catch(() => {});
    monitor?.close();
    for (const client of clients) client.close();
    // Evidence for a failed run: the history, every member's log and data directory, taken with the members down.
    if (failures.length > 0) {
      await Promise.all(cluster?.members.map((member) => member.kill()) ?? []);
      historyPath = saveEvidence(recorder.history(), options.seed, cluster);
    }
    await cluster?.stop();
    await proxy.close();
  }

  const report: ChaosReport = {
    ok: failures.length === 0,
    seed: options.seed,
    kind: options.kind,
    failures,
    operations: stats.total,
    outcomes: Object.fromEntries([...stats.outcomes].sort()),
    errors: Object.fromEntries([...stats.errors].sort((a, b) => b[1] - a[1])),
    faults: Object.fromEntries(nemesis?.injected ?? []),
    skippedFaults: Object.fromEntries(nemesis?.skipped ?? []),
    leaderChanges: monitor?.leaderChanges ?? 0,
    highestTerm: monitor?.highestTerm ?? 0,
    finalRevision,
    watchEvents,
    keys: keys.allKeys.length,
    checkerSteps,
    checkerMs,
    historyPath,
    summary: '',
  };
  report.summary = summarize(report, proxy);
  return report;
}

/** One member's keys and revision from its local state (serializable). */
async function localState(endpoint: string, prefix: string): Promise<Converged> {
  const client = new KvClient(endpoint, 5_000);
  try {
    return await client.scan(prefix, { serializable: true });
  } finally {
    client.close();
  }
}

/** Writes the history JSON and the members' logs to a fresh temp directory; returns the history's path. */
function saveEvidence(history: Operation[], seed: number, cluster: Cluster | undefined): string {
  const directory = mkdtempSync(join(tmpdir(), `chaos-seed-${seed}-`));
  const path = join(directory, 'history.json');
  writeFileSync(path, JSON.stringify(history));
  for (const member of cluster?.members ?? []) {
    writeFileSync(join(directory, `${member.name}.log`), member.allOutput);
    if (existsSync(member.dataDir)) cpSync(member.dataDir, join(directory, `${member.name}.etcd`), { recursive: true });
  }
  return path;
}

function summarize(report: ChaosReport, proxy: PeerLinkProxy): string {
  const lines = [
    `chaos ${report.ok ? 'PASSED' : 'FAILED'}: ${report.kind}, seed ${report.seed}`,
    `  operations: ${report.operations} on ${report.keys} keys — ${Object.entries(report.outcomes).map(([key, count]) => `${key} ${count}`).join(', ')}`,
    `  faults: ${Object.entries(report.faults).map(([key, count]) => `${key} ${count}`).join(', ') || 'none'}`,
    ...Object.entries(report.skippedFaults).map(([name, reason]) => `  skipped ${name}: ${reason}`),
    `  leader changes seen: ${report.leaderChanges} (highest term ${report.highestTerm})`,
    `  final revision ${report.finalRevision}, watch events ${report.watchEvents}; checker ${report.checkerSteps} steps in ${Math.round(report.checkerMs)} ms`,
    `  peer proxy: ${proxy.stats.accepted} connections, ${proxy.stats.refused} refused, ${proxy.stats.severed} severed, ${proxy.stats.unidentified} unidentified`,
  ];
  const errors = Object.entries(report.errors).slice(0, 8);
  if (errors.length > 0) lines.push(`  errors: ${errors.map(([label, count]) => `${label} ×${count}`).join('; ')}`);
  for (const failure of report.failures) lines.push(`  FAILURE: ${failure}`);
  if (report.historyPath !== undefined) lines.push(`  history: ${report.historyPath} (member logs and data directories beside it)`);
  return lines.join('\n');
}
