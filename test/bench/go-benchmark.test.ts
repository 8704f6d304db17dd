import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions, USAGE, type GoBenchOptions, type Mode } from '../../bench/go-benchmark/options.js';
import { authCostTable, caseLine, markdownReport, ratioRows, resultsStemSuffix, resultsTable, throughputTable, tlsCostTable, type GoCaseResult } from '../../bench/go-benchmark/report.js';
import { authTokenFlag } from '../../bench/go-benchmark/auth.js';
import type { RunMetadata } from '../../bench/report.js';
import type { TargetName } from '../../bench/targets.js';

function options(argv: string[]): GoBenchOptions {
  const parsed = parseOptions(argv);
  assert.notEqual(parsed, 'help');
  return parsed as GoBenchOptions;
}

test('modes default to plain and tls, as before --modes', () => {
  const parsed = options([]);
  assert.deepEqual(parsed.modes, ['plain', 'tls']);
  assert.deepEqual(parsed.transports, ['plain', 'tls']);
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

function result(target: TargetName, mode: Mode, requestsPerSecond: number, serverCpuMsPerRequest: number, caseName: 'put10' | 'range100' = 'put10'): GoCaseResult {
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

test('the results file stem says go-auth when an auth mode ran, else go-tls', () => {
  assert.equal(resultsStemSuffix(['plain', 'tls']), 'go-tls');
  assert.equal(resultsStemSuffix(['plain']), 'go-tls');
  assert.equal(resultsStemSuffix(['plain', 'auth-jwt']), 'go-auth');
});

test('the Markdown report has the sections of the modes that ran', () => {
  const metadata = { startedAt: '2024-01-01T00:00:00.000Z', label: 'go-auth', commandLine: 'npm run bench:go', settings: {} } as unknown as RunMetadata;
  const markdown = markdownReport(metadata, authResults, ['etcd', 'etcd-ts'], ['plain', 'auth-simple', 'auth-jwt'], ['a note']);
  assert.match(markdown, /^# Go benchmark, plain vs auth-simple vs auth-jwt /);
  assert.match(markdown, /## Cases/);
  assert.match(markdown, /## etcd-ts \/ etcd/);
  assert.match(markdown, /## Auth cost/);
  assert.doesNotMatch(markdown, /## TLS cost/);
  assert.match(markdown, /> a note/);
});
