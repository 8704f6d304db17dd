import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions, USAGE, type GoBenchOptions, type Mode } from '../../bench/go-benchmark/options.js';
import { authCostTable, caseLine, markdownReport, ratioRows, resultsStemSuffix, resultsTable, summaryTable, throughputTable, tlsCostTable, type GoCaseResult } from '../../bench/go-benchmark/report.js';
import { CASES, commandArgs, connectionsFor, findCase, scaledTotal, WATCHERS } from '../../bench/go-benchmark/cases.js';
import { caseCells, generatorCores, isClientBound } from '../../bench/go-benchmark/aggregate.js';
import { serverOrder } from '../../bench/go-benchmark/run-order.js';
import { authTokenFlag } from '../../bench/go-benchmark/auth.js';
import type { RunMetadata } from '../../bench/report.js';
import type { TargetName } from '../../bench/targets.js';

function options(argv: string[]): GoBenchOptions {
  const parsed = parseOptions(argv);
  assert.notEqual(parsed, 'help');
  return parsed as GoBenchOptions;
}

test('modes default to plain: npm run bench compares the targets over plain gRPC', () => {
  const parsed = options([]);
  assert.deepEqual(parsed.modes, ['plain']);
  assert.deepEqual(parsed.transports, ['plain']);
});

test('--tls keeps working', () => {
  assert.deepEqual(options(['--tls', 'both']).modes, ['plain', 'tls']);
  assert.deepEqual(options(['--tls', 'on']).modes, ['tls']);
  assert.deepEqual(options(['--tls', 'off']).modes, ['plain']);
  assert.deepEqual(options(['--tls', 'off']).transports, ['plain']);
  assert.throws(() => options(['--tls', 'maybe']), /--tls wants both, on or off/);
});

test('--modes takes a list of modes, in the given order, without repeats', () => {
  const parsed = options(['--modes', 'plain,auth-simple,auth-jwt,plain']);
  assert.deepEqual(parsed.modes, ['plain', 'auth-simple', 'auth-jwt']);
  assert.deepEqual(parsed.transports, ['plain']);
  assert.deepEqual(options(['--modes', 'auth-jwt, tls']).modes, ['auth-jwt', 'tls']);
  assert.deepEqual(options(['--modes', 'auth-jwt, tls']).transports, ['plain', 'tls']);
});

test('--modes rejects unknown modes, an empty list and --tls beside it', () => {
  assert.throws(() => options(['--modes', 'plain,auth-oauth']), /unknown mode "auth-oauth"/);
  assert.throws(() => options(['--modes', ',']), /--modes wants at least one/);
  assert.throws(() => options(['--modes', 'plain', '--tls', 'on']), /either --modes or --tls/);
});

test('usage documents --modes and every mode', () => {
  assert.match(USAGE, /--modes LIST/);
  for (const mode of ['plain', 'tls', 'auth-simple', 'auth-jwt']) assert.ok(USAGE.includes(mode), mode);
  assert.match(USAGE, /--tls both\|on\|off/);
});

test('--auth-token flags are the same for both targets', () => {
  assert.equal(authTokenFlag('auth-simple', undefined), '--auth-token=simple');
  const keys = { dir: '/k', publicKey: '/k/jwt.pub', privateKey: '/k/jwt.key', remove: () => undefined };
  assert.equal(authTokenFlag('auth-jwt', keys), '--auth-token=jwt,pub-key=/k/jwt.pub,priv-key=/k/jwt.key,sign-method=RS256,ttl=10m');
  assert.throws(() => authTokenFlag('auth-jwt', undefined), /key pair/);
});

function result(target: TargetName, mode: Mode, requestsPerSecond: number, serverCpuMsPerRequest: number, caseName: 'put10' | 'range100' = 'put10', round = 1): GoCaseResult {
  return {
    case: caseName,
    command: caseName === 'put10' ? 'put' : 'range',
    clients: caseName === 'put10' ? 10 : 100,
    conns: caseName === 'put10' ? 1 : 10,
    total: 1000,
    target,
    transport: mode === 'tls' ? 'tls' : 'plain',
    mode,
    status: 'ok',
    round,
    order: 0,
    requestsPerSecond,
    p50Ms: 1,
    p99Ms: 2,
    errorCount: 0,
    serverCpuSeconds: 1,
    serverCpuMsPerRequest,
    generatorCpuSeconds: 0.5,
    idleServersCpuSeconds: 0,
    wallSeconds: 1,
    benchmarkArgs: [],
  };
}

const authResults: GoCaseResult[] = [
  result('etcd', 'plain', 1000, 1),
  result('etcd', 'auth-simple', 800, 1.25),
  result('etcd', 'auth-jwt', 500, 2),
  result('etcd-ts', 'plain', 500, 2),
  result('etcd-ts', 'auth-simple', 250, 4),
  result('etcd-ts', 'auth-jwt', 400, 2.5),
];

test('auth cost: auth mode ÷ plain per target, etcd-ts ÷ etcd per mode; TLS fields stay', () => {
  const [row] = ratioRows(authResults);
  assert.equal(row!.case, 'put10');
  assert.deepEqual(row!.throughput, { plain: 0.5, 'auth-simple': 0.3125, 'auth-jwt': 0.8 });
  assert.deepEqual(row!.authCost, { 'auth-simple': { etcd: 0.8, 'etcd-ts': 0.5 }, 'auth-jwt': { etcd: 0.5, 'etcd-ts': 0.8 } });
  assert.deepEqual(row!.authServerCpuPerRequest, { 'auth-simple': { etcd: 1.25, 'etcd-ts': 2 }, 'auth-jwt': { etcd: 2, 'etcd-ts': 1.25 } });
  assert.equal(row!.plainThroughput, 0.5);
  assert.equal(row!.tlsThroughput, null);
  assert.deepEqual(row!.tlsCost, { etcd: null, 'etcd-ts': null });
});

test('a failed case leaves its ratios empty', () => {
  const failed = authResults.map((entry) => (entry.target === 'etcd-ts' && entry.mode === 'auth-jwt' ? { ...entry, status: 'failed' as const, note: 'boom' } : entry));
  const [row] = ratioRows(failed);
  assert.equal(row!.authCost['auth-jwt']!['etcd-ts'], null);
  assert.equal(row!.throughput['auth-jwt'], null);
  assert.match(resultsTable(failed).join('\n'), /\| etcd-ts \| auth-jwt \| \*\*failed\*\*: boom/);
  // Every row of the table has as many cells as the header.
  const lines = resultsTable(failed);
  const cellsOf = (line: string) => (line.match(/\|/g) ?? []).length;
  for (const line of lines) assert.equal(cellsOf(line), cellsOf(lines[0]!), line);
});

test('tables name the modes; the auth cost table appears only when plain and an auth mode ran', () => {
  const modes: Mode[] = ['plain', 'auth-simple', 'auth-jwt'];
  const targets: TargetName[] = ['etcd', 'etcd-ts'];
  const rows = ratioRows(authResults);
  const cases = resultsTable(authResults).join('\n');
  assert.match(cases, /\| target \| mode \|/);
  assert.match(cases, /\| etcd \| auth-simple \| 800 \|/);
  assert.match(cases, /\| etcd-ts \| auth-jwt \| 400 \|/);
  assert.deepEqual(throughputTable(rows, targets, modes), [
    '| case | etcd-ts / etcd req/s, plain | etcd-ts / etcd req/s, auth-simple | etcd-ts / etcd req/s, auth-jwt |',
    '|---|---:|---:|---:|',
    '| put10 | 0.50× | 0.31× | 0.80× |',
  ]);
  const auth = authCostTable(rows, targets, modes);
  assert.equal(auth[0], '| case | etcd auth-simple ÷ plain req/s | etcd auth-jwt ÷ plain req/s | etcd-ts auth-simple ÷ plain req/s | etcd-ts auth-jwt ÷ plain req/s | etcd server CPU/req, auth-simple ÷ plain | etcd server CPU/req, auth-jwt ÷ plain | etcd-ts server CPU/req, auth-simple ÷ plain | etcd-ts server CPU/req, auth-jwt ÷ plain |');
  assert.equal(auth[2], '| put10 | 0.80× | 0.50× | 0.50× | 0.80× | 1.25× | 2.00× | 2.00× | 1.25× |');
  assert.deepEqual(tlsCostTable(rows, targets, modes), []);
  assert.deepEqual(authCostTable(rows, targets, ['auth-simple', 'auth-jwt']), []);
  assert.deepEqual(throughputTable(rows, ['etcd-ts'], modes), []);
  assert.match(caseLine(authResults[2]!), /^put10 +etcd +auth-jwt +clients=10/);
});

test('the TLS cost table still comes out for plain and tls', () => {
  const results = [result('etcd', 'plain', 1000, 1), result('etcd', 'tls', 500, 2), result('etcd-ts', 'plain', 800, 1), result('etcd-ts', 'tls', 600, 1.5)];
  const rows = ratioRows(results);
  assert.deepEqual(rows[0]!.tlsCost, { etcd: 0.5, 'etcd-ts': 0.75 });
  assert.equal(rows[0]!.tlsThroughput, 1.2);
  const tls = tlsCostTable(rows, ['etcd', 'etcd-ts'], ['plain', 'tls']);
  assert.equal(tls[2], '| put10 | 0.50× | 0.75× | 2.00× | 1.50× |');
  assert.deepEqual(authCostTable(rows, ['etcd', 'etcd-ts'], ['plain', 'tls']), []);
});

test('results written before the auth modes (no mode field) are read by their transport', () => {
  const old = [result('etcd', 'plain', 1000, 1), result('etcd', 'tls', 250, 4)].map(({ mode: _mode, ...rest }) => rest);
  assert.deepEqual(ratioRows(old)[0]!.tlsCost, { etcd: 0.25 });
  assert.match(resultsTable(old).join('\n'), /\| etcd \| tls \| 250 \|/);
});

test('the results file stem says go-auth when an auth mode ran, go-tls when tls did, else go; -cluster3 for three members', () => {
  assert.equal(resultsStemSuffix(['plain', 'tls']), 'go-tls');
  assert.equal(resultsStemSuffix(['plain']), 'go');
  assert.equal(resultsStemSuffix(['plain', 'auth-jwt']), 'go-auth');
  assert.equal(resultsStemSuffix(['plain'], 3), 'go-cluster3');
});

test('the Markdown report has the sections of the modes that ran', () => {
  const metadata = { startedAt: '2024-01-01T00:00:00.000Z', label: 'go-auth', commandLine: 'npm run bench:go', settings: {} } as unknown as RunMetadata;
  const markdown = markdownReport(metadata, authResults, ['etcd', 'etcd-ts'], ['plain', 'auth-simple', 'auth-jwt'], ['a note']);
  assert.match(markdown, /^# Go benchmark, plain vs auth-simple vs auth-jwt /);
  assert.match(markdown, /## Cases/);
  assert.match(markdown, /## Medians over 1 round/);
  assert.match(markdown, /## etcd-ts \/ etcd per mode/);
  assert.match(markdown, /## Auth cost/);
  assert.doesNotMatch(markdown, /## TLS cost/);
  assert.match(markdown, /> a note/);
});

test('the cases cover put, range l and s and txn-put at 1, 10, 100 and 1,000 clients, plus watch and lease-keepalive', () => {
  for (const prefix of ['put', 'range-l', 'range-s', 'txn-put']) {
    for (const clients of [1, 10, 100, 1000]) {
      const definition = findCase(`${prefix}-${clients}`);
      assert.ok(definition, `${prefix}-${clients}`);
      assert.equal(definition.clients, clients);
    }
  }
  assert.equal(findCase('range-s-100')!.consistency, 's');
  assert.equal(findCase('range-l-100')!.consistency, 'l');
  assert.equal(findCase('watch')!.command, 'watch');
  assert.equal(findCase('lease-keepalive')!.command, 'lease-keepalive');
  assert.equal(CASES.length, 18);
  assert.deepEqual(options([]).cases, [...CASES]);
});

test('--conns as etcd\'s docs use them: 1 for 1 client, clients/10 otherwise', () => {
  assert.deepEqual([1, 10, 100, 1000].map(connectionsFor), [1, 1, 10, 100]);
});

test('old case names still work in --cases; unknown ones are refused', () => {
  assert.deepEqual(options(['--cases', 'put1,range100']).cases.map((definition) => definition.name), ['put-1', 'range-l-100']);
  assert.deepEqual(options(['--cases', 'put-1000,watch,put-1000']).cases.map((definition) => definition.name), ['put-1000', 'watch']);
  assert.throws(() => options(['--cases', 'put-5']), /unknown case "put-5"/);
});

test('--rounds and --members: whole numbers of at least 1, default 1; clusters run plain mode only', () => {
  const defaults = options([]);
  assert.equal(defaults.rounds, 1);
  assert.equal(defaults.members, 1);
  assert.equal(options(['--rounds', '5']).rounds, 5);
  assert.equal(options(['--members', '3']).members, 3);
  assert.equal(options(['--members', '3', '--modes', 'plain']).members, 3);
  for (const bad of ['0', '-1', '1.5', 'two', '']) assert.throws(() => options([`--rounds=${bad}`]), /--rounds wants a whole number/, bad);
  assert.throws(() => options(['--members', '0']), /--members wants a whole number/);
  assert.throws(() => options(['--members', '3', '--modes', 'plain,tls']), /--members 3 runs plain mode only, not tls/);
  assert.match(USAGE, /--rounds N/);
  assert.match(USAGE, /--members N/);
});

test('the tool\'s command line per case', () => {
  assert.deepEqual(commandArgs(findCase('put-10')!, 100), ['put', '--key-size=8', '--sequential-keys', '--total=100', '--val-size=256']);
  assert.deepEqual(commandArgs(findCase('range-l-100')!, 50), ['range', 'bench-go-range-key', '--consistency=l', '--total=50']);
  assert.deepEqual(commandArgs(findCase('range-s-1')!, 50), ['range', 'bench-go-range-key', '--consistency=s', '--total=50']);
  assert.deepEqual(commandArgs(findCase('txn-put-1')!, 10), ['txn-put', '--key-size=8', '--val-size=256', '--key-space-size=100000', '--txn-ops=1', '--total=10']);
  assert.deepEqual(commandArgs(findCase('watch')!, 20 * WATCHERS), ['watch', '--streams=10', '--watch-per-stream=10', '--put-total=20', '--put-rate=1000000']);
  assert.deepEqual(commandArgs(findCase('lease-keepalive')!, 10), ['lease-keepalive', '--total=10']);
});

test('--scale: at least one request per client; watch in whole puts', () => {
  assert.equal(scaledTotal(findCase('put-1')!, 1), 3000);
  assert.equal(scaledTotal(findCase('put-1')!, 0.1), 300);
  assert.equal(scaledTotal(findCase('put-1000')!, 0.001), 1000);
  assert.equal(scaledTotal(findCase('watch')!, 1), 200_000);
  assert.equal(scaledTotal(findCase('watch')!, 0.00001), WATCHERS);
  assert.equal(scaledTotal(findCase('watch')!, 0.1) % WATCHERS, 0);
});

test('servers alternate from case to case, and the first alternates between rounds', () => {
  const servers = ['etcd', 'etcd-ts'];
  assert.deepEqual([0, 1, 2].map((index) => serverOrder(servers, index, 1)), [['etcd', 'etcd-ts'], ['etcd-ts', 'etcd'], ['etcd', 'etcd-ts']]);
  assert.deepEqual([0, 1, 2].map((index) => serverOrder(servers, index, 2)), [['etcd-ts', 'etcd'], ['etcd', 'etcd-ts'], ['etcd-ts', 'etcd']]);
  assert.deepEqual(serverOrder(servers, 0, 3), ['etcd', 'etcd-ts']);
  assert.deepEqual(servers, ['etcd', 'etcd-ts']);
});

test('client-bound: the generator used more than half a core', () => {
  assert.equal(generatorCores({ generatorCpuSeconds: 3, wallSeconds: 4 }), 0.75);
  assert.equal(generatorCores({ generatorCpuSeconds: null, wallSeconds: 4 }), null);
  assert.equal(generatorCores({ generatorCpuSeconds: 1, wallSeconds: 0 }), null);
  assert.equal(isClientBound(0.5), false);
  assert.equal(isClientBound(0.51), true);
  assert.equal(isClientBound(null), false);
  const bound = { ...result('etcd', 'plain', 1000, 1), generatorCpuSeconds: 0.6, wallSeconds: 1 };
  assert.match(caseLine(bound), /\(0\.60 cores\) CLIENT-BOUND/);
  assert.doesNotMatch(caseLine(result('etcd', 'plain', 1000, 1)), /CLIENT-BOUND/);
  assert.match(resultsTable([bound]).join('\n'), /\| 0\.60 \*\*client-bound\*\* \|$/);
});

/** Three rounds of put10 on both targets; etcd-ts's round 2 failed. */
function threeRounds(): GoCaseResult[] {
  const run = (target: TargetName, round: number, requestsPerSecond: number, p99Ms: number, generatorCpuSeconds: number): GoCaseResult => ({
    ...result(target, 'plain', requestsPerSecond, 1, 'put10', round),
    p99Ms,
    generatorCpuSeconds,
    wallSeconds: 1,
  });
  return [
    run('etcd', 1, 1000, 4, 0.7),
    run('etcd-ts', 1, 400, 9, 0.2),
    run('etcd-ts', 2, 600, 7, 0.3),
    run('etcd', 2, 1200, 2, 0.4),
    run('etcd', 3, 900, 3, 0.6),
    { ...run('etcd-ts', 3, 0, 0, 0), status: 'failed', requestsPerSecond: null, note: 'boom' },
  ];
}

test('cells: median, min and max over the rounds; failed rounds counted apart; client-bound by the median generator cores', () => {
  const [etcd, etcdTs] = caseCells(threeRounds());
  assert.equal(etcd!.target, 'etcd');
  assert.equal(etcd!.okRuns, 3);
  assert.equal(etcd!.failedRuns, 0);
  assert.equal(etcd!.requestsPerSecond, 1000);
  assert.deepEqual(etcd!.requestsPerSecondRange, { min: 900, max: 1200 });
  assert.equal(etcd!.p99Ms, 3);
  assert.equal(etcd!.generatorCores, 0.6);
  assert.equal(etcd!.clientBound, true);
  assert.equal(etcdTs!.okRuns, 2);
  assert.equal(etcdTs!.failedRuns, 1);
  assert.equal(etcdTs!.requestsPerSecond, 500);
  assert.equal(etcdTs!.p99Ms, 8);
  assert.equal(etcdTs!.clientBound, false);
  assert.equal(ratioRows(threeRounds())[0]!.plainThroughput, 0.5);
});

test('summary table: etcd\'s absolute numbers next to etcd-ts\'s, the ratio of medians, client-bound marked', () => {
  const lines = summaryTable(caseCells(threeRounds()), ['etcd-ts', 'etcd'], ['plain']);
  assert.equal(
    lines[0],
    '| case | clients | conns | etcd req/s (min–max) | etcd p99 ms | etcd generator cores | etcd server CPU ms/req | etcd-ts req/s (min–max) | etcd-ts p99 ms | etcd-ts generator cores | etcd-ts server CPU ms/req | etcd-ts / etcd req/s | etcd-ts / etcd p99 |',
  );
  assert.equal(lines[1], '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  assert.equal(lines[2], '| put10 | 10 | 1 | 1000 (900–1200) | 3.00 | 0.60 **client-bound** | 1.000 | 500 (400–600), 1 failed | 8.00 | 0.25 | 1.000 | 0.50× | 2.67× |');
  // One target: no ratio columns; more than one mode: a mode column.
  assert.doesNotMatch(summaryTable(caseCells(threeRounds()), ['etcd'], ['plain'])[0]!, /etcd-ts/);
  const modes = summaryTable(caseCells(authResults), ['etcd', 'etcd-ts'], ['plain', 'auth-simple']);
  assert.match(modes[0]!, /^\| case \| mode \| clients/);
  assert.match(modes[1]!, /^\|---\|---\|---:\|/);
  assert.match(modes[3]!, /^\| put10 \| auth-simple \| 10 \| 1 \| 800 \|/);
  assert.deepEqual(summaryTable([], ['etcd'], ['plain']), []);
});

test('the report says how many rounds the medians are over', () => {
  const metadata = { startedAt: '2024-01-01T00:00:00.000Z', label: 'go', commandLine: 'npm run bench', settings: {} } as unknown as RunMetadata;
  const markdown = markdownReport(metadata, threeRounds(), ['etcd', 'etcd-ts'], ['plain'], []);
  assert.match(markdown, /median over 3 round\(s\)/);
  assert.match(markdown, /## Medians over 3 round\(s\)/);
  assert.match(markdown, /more than 0\.5 of a core/);
  assert.doesNotMatch(markdown, /## etcd-ts \/ etcd per mode/);
  assert.match(markdown, /\| 3 \| put10 \| 10 \| 1 \| 1000 \| etcd-ts \| plain \| \*\*failed\*\*: boom/);
});
