// `npm run bench:node`: starts each target's server(s), runs every workload at
// every client count against them (targets alternate per workload, fresh
// server per workload and target), prints one line per case and writes
// JSON + Markdown under bench/results/. Servers are always killed by PID,
// also on errors and SIGINT.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { connectionsFor, parseOptions, USAGE, type BenchOptions } from './options.js';
import { performance } from 'node:perf_hooks';
import { killAllServersNow, ServerCluster, stopAllServers, type ServerUsage } from './server-cluster.js';
import { PROJECT_ROOT, targetDefinition, type TargetName } from './targets.js';
import { workloadNamed } from './workloads/index.js';
import { UnsupportedByTarget } from './workloads/workload.js';
import { openConnection, describeError } from './grpc-connection.js';
import { CaseFailed, layoutFor, runCase } from './worker-pool.js';
import { resultFromRecord, statusOnlyResult, type CaseResult } from './case-result.js';
import { caseLine, markdownReport, ratioRows, ratioTable } from './report.js';
import { collectMetadata } from './metadata.js';
import { endpointsLeaderFirst } from './leader-first.js';
import { warmUpServer } from './server-warmup.js';
import type { CaseParameters } from './workload-options.js';

const SETUP_TIMEOUT_MS = 60_000;

function installCleanup(): void {
  process.on('exit', killAllServersNow);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping servers`);
      stopAllServers().finally(() => process.exit(130));
    });
  }
}

function targetOrder(options: BenchOptions, workloadIndex: number): TargetName[] {
  // Alternate who goes first, so neither target always runs on a warmer machine.
  return workloadIndex % 2 === 0 ? options.targets : [...options.targets].reverse();
}

async function runWorkloadOnTarget(options: BenchOptions, workloadName: string, targetName: TargetName, results: CaseResult[], notes: string[]): Promise<void> {
  const workload = workloadNamed(workloadName);
  const target = targetDefinition(targetName, options);
  const clientCounts = workload.clientCounts?.(options.workload) ?? options.clientCounts;
  const bases = clientCounts.map((clientCount) => ({ workload: workloadName, target: targetName, memberCount: options.memberCount, clientCount }));
  const addAll = (status: 'unsupported' | 'failed' | 'skipped', note: string) => {
    for (const base of bases) {
      const result = statusOnlyResult(base, status, note);
      results.push(result);
      console.log(caseLine(result));
    }
  };

  // Dirty pages from before (the build `npm run bench:node` just ran, the previous
  // server's data) could be written back during this target's cases and slow
  // its fdatasyncs: every target starts after a sync(1).
  spawnSync('sync');
  let cluster: ServerCluster;
  try {
    cluster = await ServerCluster.start(target, options.memberCount, options.dataRoot, options.serverFlags);
  } catch (error) {
    addAll('failed', `could not start ${targetName}: ${describeError(error).split('\n')[0]}`);
    console.error(describeError(error));
    return;
  }
  try {
    const endpoints = await endpointsLeaderFirst(cluster.endpoints, SETUP_TIMEOUT_MS);
    const setupConnection = openConnection(endpoints[0]!);
    const maxDurationMs = workload.maxDurationMs?.(options.workload) ?? options.maxSecondsPerCase * 1000;
    const baseParameters = { workloadName, options: options.workload, requestsTotal: options.requestsTotal, maxDurationMs, seed: options.seed };
    try {
      // Opt-in workloads measure memory from an empty server: no warm-up data.
      if (!workload.optIn) await warmUpServer(setupConnection);
      await workload.prepare(setupConnection, { ...baseParameters, clientCount: clientCounts[0]! });
    } catch (error) {
      const unsupported = error instanceof UnsupportedByTarget;
      addAll(unsupported ? 'unsupported' : 'failed', `${unsupported ? 'unsupported by target: ' : 'setup failed: '}${describeError(error)}`);
      return;
    } finally {
      setupConnection.close();
    }

    for (const base of bases) {
      const parameters: CaseParameters = { ...baseParameters, clientCount: base.clientCount };
      const layout = layoutFor(base.clientCount, options.workerCount, connectionsFor(options, base.clientCount));
      const usageBefore = cluster.usage();
      const setupStartMs = performance.now();
      let ready: { usage: ServerUsage; setupSeconds: number } | undefined;
      let result: CaseResult;
      try {
        const record = await runCase(parameters, endpoints, layout, workload.setupTimeoutMs ?? SETUP_TIMEOUT_MS, () => {
          ready = { usage: cluster.usage(), setupSeconds: (performance.now() - setupStartMs) / 1000 };
        });
        const usageAfter = cluster.usage();
        const metrics = workload.caseMetrics && ready ? workload.caseMetrics({ parameters, record, usageBefore, usageReady: ready.usage, usageAfter, setupSeconds: ready.setupSeconds }) : null;
        result = resultFromRecord(base, workload.headlineKinds, record, usageBefore, usageAfter, metrics);
      } catch (error) {
        const unsupported = error instanceof CaseFailed && error.unsupported;
        result = statusOnlyResult(base, unsupported ? 'unsupported' : 'failed', `${unsupported ? 'unsupported by target: ' : ''}${describeError(error)}`);
      }
      const death = cluster.deadMemberReport();
      if (death) {
        result = statusOnlyResult(base, 'failed', death.split('\n')[0]!);
        console.error(death);
      }
      results.push(result);
      console.log(caseLine(result));
      if (death || result.status === 'unsupported') {
        for (const rest of bases.slice(bases.indexOf(base) + 1)) {
          const skipped = statusOnlyResult(rest, result.status, result.note ?? '');
          results.push(skipped);
          console.log(caseLine(skipped));
        }
        return;
      }
    }
  } finally {
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(USAGE);
    return;
  }
  const options = parsed;
  installCleanup();
  const notes: string[] = [];
  if (options.targets.includes('etcd-ts') && !existsSync(join(PROJECT_ROOT, 'dist', 'src', 'bin', 'etcd-ts.js'))) {
    throw new Error('dist/src/bin/etcd-ts.js is missing: build first (npm run bench:node builds for you)');
  }
  const label = options.memberCount === 1 ? 'single' : `cluster${options.memberCount}`;
  const metadata = collectMetadata(options, label);
  console.log(`bench ${label}: targets ${options.targets.join(', ')}; workloads ${options.workloadNames.join(', ')}; clients ${options.clientCounts.join(', ')} (watch-scale, lease-scale: their own cases); ` +
    `up to ${options.requestsTotal} ops or ${options.maxSecondsPerCase} s per case; ${options.workerCount} worker threads; data under ${options.dataRoot} (${metadata.dataRootFilesystem})`);

  const results: CaseResult[] = [];
  for (const [index, workloadName] of options.workloadNames.entries()) {
    for (const targetName of targetOrder(options, index)) await runWorkloadOnTarget(options, workloadName, targetName, results, notes);
  }

  const ratios = ratioTable(ratioRows(results));
  if (ratios.length > 0) console.log(`\netcd-ts / etcd (ops/s: higher is better; the rest: lower is better)\n${ratios.join('\n')}`);
  for (const note of notes) console.log(`note: ${note}`);

  if (options.writeResults) {
    mkdirSync(options.resultsDir, { recursive: true });
    const stem = join(options.resultsDir, `${metadata.startedAt.replace(/:/g, '').replace(/\..*$/, '').replace('T', '-')}-${label}`);
    writeFileSync(`${stem}.json`, JSON.stringify({ metadata, notes, results, ratios: ratioRows(results) }, null, 2) + '\n');
    writeFileSync(`${stem}.md`, markdownReport(metadata, results, notes));
    console.log(`\nwrote ${stem}.json and ${stem}.md`);
  }
}

main()
  .catch((error) => {
    console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  })
  .finally(() => stopAllServers());
