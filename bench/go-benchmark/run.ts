// `npm run bench`: etcd-ts against the real etcd 3.4, measured in one run
// with etcd's own Go load generator (tools/benchmark), which uses a fraction
// of a core where the TypeScript generator took 1.5 (issue 13).
//
// Per round (--rounds): one server per (target, mode) is started (a single
// member, or with --members N a cluster whose leader the tool talks to),
// each with fresh data dirs on free ports; in the auth modes auth is turned
// on through etcdctl (auth.ts); each is seeded with the range key and warmed
// up with unmeasured requests; then every case runs against every server,
// the order of servers reversed from one case to the next and between rounds
// (run-order.ts); then the round's servers are stopped. Per case: the tool's
// req/s and p50/p99, the CPU the server under test used (/proc/<pid>/stat,
// summed over members) and the CPU the generator used (its rusage, via
// /proc/self/stat's cutime + cstime). The report aggregates the rounds
// (aggregate.ts). Servers are killed by PID at the end of each round, on
// errors and on SIGINT/SIGTERM.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { etcdctlOk } from '../../test/support/etcdctl.js';
import { PROJECT_ROOT, targetDefinition } from '../targets.js';
import { BenchmarkFailed, benchmarkBinaryMissing, killRunningBenchmark, runBenchmark } from './benchmark-tool.js';
import { makeBenchCertificates, type BenchCertificates } from './certificates.js';
import { benchUserFlag, enableAuth, makeCredentials, makeJwtKeys, type AuthCredentials, type JwtKeys } from './auth.js';
import { collectGoMetadata } from './metadata.js';
import { connectionsFor, isAuthMode, parseOptions, scaledTotal, USAGE, type CaseDefinition, type GoBenchOptions } from './options.js';
import { caseLine, markdownReport, ratioRows, resultsStemSuffix, type GoCaseResult } from './report.js';
import { BenchServer, killAllServersNow, stopAllServers } from './servers.js';
import { killAllServersNow as killAllClustersNow, stopAllServers as stopAllClusters } from '../server-cluster.js';
import { ClusterServer } from './cluster-server.js';
import { commandArgs, RANGE_KEY, VALUE_SIZE, WATCHERS, type Command } from './cases.js';
import { caseCells } from './aggregate.js';
import { serverOrder } from './run-order.js';
import type { ServerUnderTest } from './server-under-test.js';
import type { TargetName } from '../targets.js';
import type { Mode } from './options.js';

const RANGE_VALUE = 'v'.repeat(VALUE_SIZE);
/** Unmeasured requests per command the run's cases use, before a server's first case, at --scale 1. */
const WARM_UP_REQUESTS = 3_000;
const WARM_UP_CLIENTS = 10;
const CASE_TIMEOUT_MS = 300_000;

let certificates: BenchCertificates | undefined;
let jwtKeys: JwtKeys | undefined;
/** Passwords of root and bench on every auth-mode server of this run. */
const credentials: AuthCredentials = makeCredentials();
let interrupted = false;
/** Server CPU of one etcdctl get as bench (an Authenticate, so one bcrypt check, and the get), per auth-mode server label. */
const authenticateCpuSeconds = new Map<string, number>();
const AUTHENTICATE_PROBES = 3;

function removeKeyMaterial(): void {
  certificates?.remove();
  certificates = undefined;
  jwtKeys?.remove();
  jwtKeys = undefined;
}

/** Every server of both kinds: single members (servers.ts) and clusters (server-cluster.ts). */
async function stopEveryServer(): Promise<void> {
  await Promise.all([stopAllServers(), stopAllClusters()]);
}

function installCleanup(): void {
  process.on('exit', () => {
    killRunningBenchmark();
    killAllServersNow();
    killAllClustersNow();
    removeKeyMaterial();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the benchmark and the servers`);
      interrupted = true;
      killRunningBenchmark();
      stopEveryServer().finally(() => process.exit(130));
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** TLS files and, in the auth modes, --user=bench:PASSWORD: what the generator and etcdctl need to talk to the server as the benchmark does. */
function clientArgs(server: ServerUnderTest): string[] {
  const user = isAuthMode(server.mode) ? [benchUserFlag(credentials)] : [];
  if (server.transport !== 'tls') return user;
  return [`--cacert=${certificates!.caCert}`, `--cert=${certificates!.client.cert}`, `--key=${certificates!.client.key}`, ...user];
}

/** The tool's command line for one run: global flags, then the command and its flags. */
function benchmarkArgs(server: ServerUnderTest, definition: Pick<CaseDefinition, 'command' | 'consistency'>, clients: number, total: number): string[] {
  const global = [`--endpoints=${server.endpoint}`, `--conns=${connectionsFor(clients)}`, `--clients=${clients}`, '--precise', '--dial-timeout=10s', ...clientArgs(server)];
  return [...global, ...commandArgs(definition, total)];
}

/** Warm-up size per command: for watch, events (a put reaches every watcher). */
function warmUpTotal(command: Command, warmUpRequests: number): number {
  return command === 'watch' ? Math.max(1, Math.round(warmUpRequests / 10)) * WATCHERS : warmUpRequests;
}

async function prepareServer(options: GoBenchOptions, server: ServerUnderTest, warmUpRequests: number): Promise<void> {
  const needsRangeKey = options.cases.some((definition) => definition.command === 'range');
  if (isAuthMode(server.mode)) {
    // Users, roles and auth enable; the range key is put as root.
    await enableAuth(server.endpoint, credentials, needsRangeKey ? { key: RANGE_KEY, value: RANGE_VALUE } : undefined);
    // The generator authenticates once per connection, and that bcrypt check lands in the case's server CPU.
    const before = server.cpuSeconds();
    for (let probe = 0; probe < AUTHENTICATE_PROBES; probe++) await etcdctlOk(server.endpoint, [...clientArgs(server), 'get', 'bench-go-auth-probe']);
    authenticateCpuSeconds.set(server.label, (server.cpuSeconds() - before) / AUTHENTICATE_PROBES);
  } else if (needsRangeKey) {
    await etcdctlOk(server.endpoint, [...clientArgs(server), 'put', RANGE_KEY, RANGE_VALUE]);
  }
  // etcd is compiled ahead of time, etcd-ts is JIT-compiled: both are measured warm.
  const commands = [...new Set(options.cases.map((definition) => definition.command))];
  for (const command of commands) {
    await runBenchmark(options.benchmarkBinary, benchmarkArgs(server, { command }, WARM_UP_CLIENTS, warmUpTotal(command, warmUpRequests)), CASE_TIMEOUT_MS);
  }
}

function baseResult(definition: CaseDefinition, server: ServerUnderTest, total: number, order: number, round: number, args: string[]): GoCaseResult {
  return {
    case: definition.name,
    command: definition.command,
    clients: definition.clients,
    conns: connectionsFor(definition.clients),
    total,
    target: server.target.name,
    transport: server.transport,
    mode: server.mode,
    status: 'failed',
    round,
    order,
    requestsPerSecond: null,
    p50Ms: null,
    p99Ms: null,
    errorCount: null,
    serverCpuSeconds: null,
    serverCpuMsPerRequest: null,
    generatorCpuSeconds: null,
    idleServersCpuSeconds: null,
    wallSeconds: null,
    benchmarkArgs: args,
  };
}

async function runCaseOn(
  options: GoBenchOptions,
  definition: CaseDefinition,
  server: ServerUnderTest,
  others: ServerUnderTest[],
  order: number,
  round: number,
): Promise<GoCaseResult> {
  const total = scaledTotal(definition, options.scale);
  if (!server.running) return { ...baseResult(definition, server, total, order, round, []), note: `${server.label} is not running` };
  try {
    await server.findLeader();
  } catch (error) {
    return { ...baseResult(definition, server, total, order, round, []), note: `no leader: ${describe(error)}` };
  }
  const args = benchmarkArgs(server, definition, definition.clients, total);
  const result = baseResult(definition, server, total, order, round, args);
  // Dirty pages from the previous case could be written back during this one and slow its fdatasyncs.
  spawnSync('sync');
  const othersCpu = () => others.reduce((sum, other) => sum + (other.running ? other.cpuSeconds() : 0), 0);
  const serverCpuBefore = server.cpuSeconds();
  const othersCpuBefore = othersCpu();
  try {
    const run = await runBenchmark(options.benchmarkBinary, args, CASE_TIMEOUT_MS * Math.max(1, options.scale));
    const serverCpuSeconds = server.cpuSeconds() - serverCpuBefore;
    const { summary } = run;
    const succeeded = total - summary.errorCount;
    Object.assign(result, {
      status: 'ok',
      requestsPerSecond: summary.requestsPerSecond,
      p50Ms: summary.percentilesMs['50'] ?? null,
      p99Ms: summary.percentilesMs['99'] ?? null,
      errorCount: summary.errorCount,
      serverCpuSeconds,
      serverCpuMsPerRequest: succeeded > 0 ? (serverCpuSeconds * 1000) / succeeded : null,
      generatorCpuSeconds: run.cpuSeconds,
      idleServersCpuSeconds: othersCpu() - othersCpuBefore,
      wallSeconds: run.wallSeconds,
      summary,
    } satisfies Partial<GoCaseResult>);
    if (summary.errorCount > 0) result.note = `errors: ${JSON.stringify(summary.errors)}`;
  } catch (error) {
    result.note = describe(error);
    if (!(error instanceof BenchmarkFailed)) console.error(error);
  }
  if (!server.running) {
    const report = server.deathReport();
    console.error(report);
    return { ...result, status: 'failed', note: report.split('\n')[0]! };
  }
  return result;
}

async function startServer(options: GoBenchOptions, targetName: TargetName, mode: Mode): Promise<ServerUnderTest> {
  const target = targetDefinition(targetName, options);
  if (options.members > 1) return ClusterServer.start(target, options.members, options.dataRoot);
  return BenchServer.start(target, mode, options.dataRoot, certificates, jwtKeys);
}

/** Starts, seeds and warms up one server per (target, mode) for a round; targets in the order of the round's first case. */
async function startRoundServers(options: GoBenchOptions, round: number, warmUpRequests: number): Promise<ServerUnderTest[] | undefined> {
  const servers: ServerUnderTest[] = [];
  for (const targetName of serverOrder(options.targets, 0, round)) {
    for (const mode of options.modes) {
      const server = await startServer(options, targetName, mode);
      servers.push(server);
      try {
        await prepareServer(options, server, warmUpRequests);
      } catch (error) {
        if (interrupted) return undefined;
        const output = server.running ? `${server.label} is still running (pids ${server.pids.join(', ')}); the tail of its output:\n${server.outputTail()}` : server.deathReport();
        throw new Error(`preparing ${server.label} failed: ${describe(error)}\n${output}`);
      }
      console.log(`round ${round}: started ${server.label} (pids ${server.pids.join(', ')}) at ${server.endpoint}; seeded and warmed up with ${warmUpRequests} requests per kind`);
    }
  }
  return servers;
}

async function main(): Promise<void> {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') {
    console.log(USAGE);
    return;
  }
  const options = parsed;
  if (benchmarkBinaryMissing(options.benchmarkBinary)) {
    throw new Error(
      `etcd's Go benchmark tool is missing at ${options.benchmarkBinary}: build it with etcd-tools' build.sh ` +
        `(as root: /work/shared/etcd-tools/build.sh; it installs into \${ETCD_TOOLS_DIR:-/var/tmp/etcd-tools}/bin)`,
    );
  }
  if (options.targets.includes('etcd-ts') && !existsSync(join(PROJECT_ROOT, 'dist', 'src', 'bin', 'etcd-ts.js'))) {
    throw new Error('dist/src/bin/etcd-ts.js is missing: build first (npm run bench builds for you)');
  }
  if (options.targets.includes('etcd') && !existsSync(options.etcdBinary)) throw new Error(`the real etcd is missing at ${options.etcdBinary}`);
  installCleanup();

  const warmUpRequests = Math.max(100, Math.round(WARM_UP_REQUESTS * options.scale));
  const stemSuffix = resultsStemSuffix(options.modes, options.members);
  const metadata = collectGoMetadata(options, stemSuffix, warmUpRequests);
  const notes: string[] = [];
  console.log(
    `bench: targets ${options.targets.join(', ')}; ${options.members} member(s); modes ${options.modes.join(', ')}; ${options.rounds} round(s); cases ` +
      options.cases.map((definition) => `${definition.name} (${scaledTotal(definition, options.scale)})`).join(', ') +
      `; data under ${metadata.dataRootFilesystem}; generator ${options.benchmarkBinary}`,
  );

  if (options.transports.includes('tls')) certificates = makeBenchCertificates(options.dataRoot);
  if (options.modes.includes('auth-jwt')) jwtKeys = makeJwtKeys(options.dataRoot);

  const results: GoCaseResult[] = [];
  let order = 0;
  let serversPerRound = 0;
  for (let round = 1; round <= options.rounds; round++) {
    const servers = await startRoundServers(options, round, warmUpRequests);
    if (!servers || interrupted) return;
    serversPerRound = servers.length;
    for (const [index, definition] of options.cases.entries()) {
      for (const server of serverOrder(servers, index, round)) {
        if (interrupted) return;
        const result = await runCaseOn(options, definition, server, servers.filter((other) => other !== server), order++, round);
        if (interrupted) return;
        results.push(result);
        console.log(`r${round} ${caseLine(result)}`);
      }
    }
    // Fresh servers and data dirs for the next round.
    await stopEveryServer();
  }
  removeKeyMaterial();

  const idle = Math.max(0, ...results.map((result) => result.idleServersCpuSeconds ?? 0));
  if (serversPerRound > 1) notes.push(`All ${serversPerRound} servers of a round stay up for the whole round; the idle ones used at most ${idle.toFixed(2)} CPU s during any one case (idleServersCpuSeconds in the JSON).`);
  if (options.members > 1) {
    notes.push(
      `${options.members}-member clusters of each target on this one machine; the tool talks to the leader only (found before every case). ` +
        'Server CPU is the sum over the members, so server CPU ms/req counts the followers\' work too.',
    );
  }
  if (options.modes.some(isAuthMode)) {
    notes.push(
      'Auth modes: both servers keep their default --bcrypt-cost (10). The generator runs as the non-root user `bench` (role `bench`: readwrite on the whole keyspace), ' +
        'so every request goes through the permission check; it authenticates once per connection (--conns: 1 for 1-10 clients, clients/10 above), while it creates its clients, before its clock starts, so bcrypt is not in req/s. ' +
        'It is in the server CPU of a case, though: one etcdctl get as bench (one Authenticate) cost the server ' +
        [...authenticateCpuSeconds].map(([label, seconds]) => `${(seconds * 1000).toFixed(0)} ms (${label})`).join(', ') +
        ' of CPU, so conns × that much of a case\'s server CPU is authentication.',
    );
  }
  if (options.scale !== 1) notes.push(`--scale ${options.scale}: request totals are scaled, so cases are ${options.scale < 1 ? 'shorter' : 'longer'} than the defaults.`);
  if (options.rounds < 5) notes.push(`${options.rounds} round(s): issue 13 publishes medians of at least 5 alternating rounds (--rounds 5).`);

  const markdown = markdownReport(metadata, results, options.targets, options.modes, notes);
  console.log(`\n${markdown}`);

  if (options.writeResults) {
    mkdirSync(options.resultsDir, { recursive: true });
    const stem = join(options.resultsDir, `${metadata.startedAt.replace(/:/g, '').replace(/\..*$/, '').replace('T', '-')}-${stemSuffix}`);
    writeFileSync(`${stem}.json`, JSON.stringify({ metadata, notes, cells: caseCells(results), results, ratios: ratioRows(results) }, null, 2) + '\n');
    writeFileSync(`${stem}.md`, markdown);
    console.log(`wrote ${stem}.json and ${stem}.md`);
  }
  if (results.some((result) => result.status !== 'ok')) process.exitCode = 1;
}

main()
  .catch((error) => {
    console.error(`bench: ${describe(error)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    killRunningBenchmark();
    await stopEveryServer();
    removeKeyMaterial();
  });
