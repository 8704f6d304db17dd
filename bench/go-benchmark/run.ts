// `npm run bench:go`: what TLS and auth cost in throughput, measured with
// etcd's own Go load generator (tools/benchmark) against etcd-ts and the real
// etcd 3.4 in one run.
//
// One single-member server per (target, mode) is started up front (fresh
// data dir, free ports); in the auth modes auth is turned on through etcdctl
// (auth.ts); each is seeded with the range key and warmed up with
// unmeasured requests; then every case runs against every server, the order
// of servers reversed from one case to the next (A B C D, D C B A, ...) so
// neither target nor mode always runs first. Per case: the tool's
// req/s and p50/p99, the CPU the server under test used (/proc/<pid>/stat)
// and the CPU the generator used (its rusage, via /proc/self/stat's
// cutime + cstime). Servers are killed by PID at the end, on errors and on
// SIGINT/SIGTERM.

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

const RANGE_KEY = 'bench-go-range-key';
const RANGE_VALUE = 'v'.repeat(256);
const KEY_SIZE = 8;
const VALUE_SIZE = 256;
/** Unmeasured requests per kind (put, and range when a range case runs) before a server's first case, at --scale 1. */
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

function installCleanup(): void {
  process.on('exit', () => {
    killRunningBenchmark();
    killAllServersNow();
    removeKeyMaterial();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping the benchmark and the servers`);
      interrupted = true;
      killRunningBenchmark();
      stopAllServers().finally(() => process.exit(130));
    });
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** TLS files and, in the auth modes, --user=bench:PASSWORD: what the generator and etcdctl need to talk to the server as the benchmark does. */
function clientArgs(server: BenchServer): string[] {
  const user = isAuthMode(server.mode) ? [benchUserFlag(credentials)] : [];
  if (server.transport !== 'tls') return user;
  return [`--cacert=${certificates!.caCert}`, `--cert=${certificates!.client.cert}`, `--key=${certificates!.client.key}`, ...user];
}

/** The tool's command line for one run: global flags, then the command and its flags. */
function benchmarkArgs(server: BenchServer, command: 'put' | 'range', clients: number, total: number): string[] {
  const global = [`--endpoints=${server.endpoint}`, `--conns=${connectionsFor(clients)}`, `--clients=${clients}`, '--precise', '--dial-timeout=10s', ...clientArgs(server)];
  const commandArgs =
    command === 'put'
      ? ['put', `--key-size=${KEY_SIZE}`, '--sequential-keys', `--total=${total}`, `--val-size=${VALUE_SIZE}`]
      : ['range', RANGE_KEY, '--consistency=l', `--total=${total}`];
  return [...global, ...commandArgs];
}

async function prepareServer(options: GoBenchOptions, server: BenchServer, warmUpRequests: number): Promise<void> {
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
    await runBenchmark(options.benchmarkBinary, benchmarkArgs(server, command, WARM_UP_CLIENTS, warmUpRequests), CASE_TIMEOUT_MS);
  }
}

function baseResult(definition: CaseDefinition, server: BenchServer, total: number, order: number, args: string[]): GoCaseResult {
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

async function runCaseOn(options: GoBenchOptions, definition: CaseDefinition, server: BenchServer, others: BenchServer[], order: number): Promise<GoCaseResult> {
  const total = scaledTotal(definition, options.scale);
  const args = benchmarkArgs(server, definition.command, definition.clients, total);
  const result = baseResult(definition, server, total, order, args);
  if (!server.running) return { ...result, note: `${server.label} is not running` };
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
    throw new Error('dist/src/bin/etcd-ts.js is missing: build first (npm run bench:go builds for you)');
  }
  if (options.targets.includes('etcd') && !existsSync(options.etcdBinary)) throw new Error(`the real etcd is missing at ${options.etcdBinary}`);
  installCleanup();

  const warmUpRequests = Math.max(100, Math.round(WARM_UP_REQUESTS * options.scale));
  const stemSuffix = resultsStemSuffix(options.modes);
  const metadata = collectGoMetadata(options, stemSuffix, warmUpRequests);
  const notes: string[] = [];
  console.log(
    `bench:go: targets ${options.targets.join(', ')}; modes ${options.modes.join(', ')}; cases ` +
      options.cases.map((definition) => `${definition.name} (${scaledTotal(definition, options.scale)} requests)`).join(', ') +
      `; data under ${metadata.dataRootFilesystem}; generator ${options.benchmarkBinary}`,
  );

  if (options.transports.includes('tls')) certificates = makeBenchCertificates(options.dataRoot);
  if (options.modes.includes('auth-jwt')) jwtKeys = makeJwtKeys(options.dataRoot);

  // Target-major, then reversed on every other case.
  const servers: BenchServer[] = [];
  for (const targetName of options.targets) {
    for (const mode of options.modes) {
      const server = await BenchServer.start(targetDefinition(targetName, options), mode, options.dataRoot, certificates, jwtKeys);
      servers.push(server);
      try {
        await prepareServer(options, server, warmUpRequests);
      } catch (error) {
        if (interrupted) return;
        const output = server.running ? `${server.label} is still running (pid ${server.process.pid}); the tail of its output:\n${server.outputTail()}` : server.deathReport();
        throw new Error(`preparing ${server.label} failed: ${describe(error)}\n${output}`);
      }
      console.log(`started ${server.label} (pid ${server.process.pid}) at ${server.endpoint}; seeded and warmed up with ${warmUpRequests} requests per kind`);
    }
  }

  const results: GoCaseResult[] = [];
  let order = 0;
  for (const [index, definition] of options.cases.entries()) {
    const sequence = index % 2 === 0 ? servers : [...servers].reverse();
    for (const server of sequence) {
      if (interrupted) return;
      const result = await runCaseOn(options, definition, server, servers.filter((other) => other !== server), order++);
      if (interrupted) return;
      results.push(result);
      console.log(caseLine(result));
    }
  }
  await stopAllServers();
  removeKeyMaterial();

  const idle = Math.max(0, ...results.map((result) => result.idleServersCpuSeconds ?? 0));
  if (servers.length > 1) notes.push(`All ${servers.length} servers stay up for the whole run; the idle ones used at most ${idle.toFixed(2)} CPU s during any one case (idleServersCpuSeconds in the JSON).`);
  if (options.modes.some(isAuthMode)) {
    notes.push(
      'Auth modes: both servers keep their default --bcrypt-cost (10). The generator runs as the non-root user `bench` (role `bench`: readwrite on the whole keyspace), ' +
        'so every request goes through the permission check; it authenticates once per connection (--conns: 1 for 1-10 clients, 10 for 100), while it creates its clients, before its clock starts, so bcrypt is not in req/s. ' +
        'It is in the server CPU of a case, though: one etcdctl get as bench (one Authenticate) cost the server ' +
        [...authenticateCpuSeconds].map(([label, seconds]) => `${(seconds * 1000).toFixed(0)} ms (${label})`).join(', ') +
        ' of CPU, so conns × that much of a case\'s server CPU is authentication.',
    );
  }
  if (options.scale !== 1) notes.push(`--scale ${options.scale}: request totals are scaled, so cases are shorter than the 5-10 s the defaults aim for.`);

  const markdown = markdownReport(metadata, results, options.targets, options.modes, notes);
  console.log(`\n${markdown}`);

  if (options.writeResults) {
    mkdirSync(options.resultsDir, { recursive: true });
    const stem = join(options.resultsDir, `${metadata.startedAt.replace(/:/g, '').replace(/\..*$/, '').replace('T', '-')}-${stemSuffix}`);
    writeFileSync(`${stem}.json`, JSON.stringify({ metadata, notes, results, ratios: ratioRows(results) }, null, 2) + '\n');
    writeFileSync(`${stem}.md`, markdown);
    console.log(`wrote ${stem}.json and ${stem}.md`);
  }
  if (results.some((result) => result.status !== 'ok')) process.exitCode = 1;
}

main()
  .catch((error) => {
    console.error(`bench:go: ${describe(error)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    killRunningBenchmark();
    await stopAllServers();
    removeKeyMaterial();
  });
