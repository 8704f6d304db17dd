// The command line of `npm run bench` (etcd's Go load generator): which
// targets, cases and modes (transport, and whether auth is on) to run, how
// many alternating rounds, single members or clusters, and a scale factor on
// the request totals for quick smoke runs.

import { parseArgs } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, TARGET_NAMES, type TargetName } from '../targets.js';
import { CASES, describeCase, findCase, type CaseDefinition } from './cases.js';

/** What goes over the wire: plain gRPC or TLS with client certificates. */
export type Transport = 'plain' | 'tls';
/** What a server is run with: the transport, and for the auth modes auth enabled with simple or JWT tokens (plain transport). */
export type Mode = 'plain' | 'tls' | 'auth-simple' | 'auth-jwt';
export type AuthMode = Extract<Mode, `auth-${string}`>;

export const MODES: readonly Mode[] = ['plain', 'tls', 'auth-simple', 'auth-jwt'];
export const AUTH_MODES: readonly AuthMode[] = ['auth-simple', 'auth-jwt'];
/** The modes when neither --modes nor --tls is given: the etcd-ts / etcd comparison is over plain gRPC. */
export const DEFAULT_MODES: readonly Mode[] = ['plain'];

export function isAuthMode(mode: Mode): mode is AuthMode {
  return (AUTH_MODES as readonly Mode[]).includes(mode);
}

export function transportOf(mode: Mode): Transport {
  return mode === 'tls' ? 'tls' : 'plain';
}
export { CASES, CASE_ALIASES, connectionsFor, findCase, scaledTotal, type CaseDefinition, type CaseName } from './cases.js';

export interface GoBenchOptions {
  targets: TargetName[];
  cases: CaseDefinition[];
  /** In run order; the auth modes use the plain transport. */
  modes: Mode[];
  /** The distinct transports of the modes. */
  transports: Transport[];
  scale: number;
  /** Alternating rounds, each on fresh servers; the report gives the median over them. */
  rounds: number;
  /** Members per server: 1, or a cluster with the tool pointed at its leader (plain mode only). */
  members: number;
  writeResults: boolean;
  etcdBinary: string;
  benchmarkBinary: string;
  dataRoot: string;
  resultsDir: string;
}

export const DEFAULT_ETCD_TOOLS_DIR = '/var/tmp/etcd-tools';

export const USAGE = `Usage: npm run bench -- [options]

Runs etcd's own Go load generator (tools/benchmark, built by etcd-tools/build.sh
at \${ETCD_TOOLS_DIR:-${DEFAULT_ETCD_TOOLS_DIR}}/bin/benchmark) against etcd-ts and the
real etcd, alternating in one run. (npm run bench:node runs the TypeScript generator
for what this tool cannot do: k8s-like, watch-scale, lease-scale, key-memory.)

  --targets LIST     etcd,etcd-ts (default both)
  --cases LIST       default all:
${CASES.map((definition) => `                       ${describeCase(definition)}`).join('\n')}
                     (put1, put10, put100 and range100 still name put-1, put-10, put-100, range-l-100)
  --rounds N         rounds, each on fresh servers with fresh data dirs; targets alternate
                     within a round and who goes first alternates between rounds; the
                     report gives the median, min and max per case (default 1; publish
                     numbers from at least 5)
  --members N        members per server (default 1); with 3, a three-member cluster of each
                     target, the tool pointed at the leader (plain mode only)
  --modes LIST       ${MODES.join(',')} (default ${DEFAULT_MODES.join(',')})
                     plain: plain gRPC; tls: TLS with client-certificate auth;
                     auth-simple / auth-jwt: plain gRPC with auth enabled (users root and
                     bench, bench's role has readwrite on every key) and simple tokens, or
                     RS256 JWTs (--auth-token=jwt,...,ttl=10m, a key pair made for the run);
                     the generator runs as the non-root user bench
  --tls both|on|off  shorthand kept from before --modes: plain,tls / tls / plain
                     (not together with --modes)
  --scale F          multiply every request total (default 1; e.g. 0.1 for a smoke run,
                     2 for longer cases)
  --no-write         print only, write no result files

A case is client-bound when the generator used more than half a core
(generator CPU s ÷ wall s > 0.5); the report marks it.
`;

function list(text: string): string[] {
  return text.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
}

/** A whole number of at least min, for --rounds and --members. */
export function parseCount(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value) || value < min) throw new Error(`${flag} wants a whole number of at least ${min}, got "${text}"`);
  return value;
}

/** --modes LIST, or the older --tls both|on|off; neither gives DEFAULT_MODES. */
export function parseModes(modesText: string | undefined, tls: string | undefined): Mode[] {
  if (modesText !== undefined && tls !== undefined) throw new Error('give either --modes or --tls, not both (--tls both = --modes plain,tls)');
  if (tls !== undefined) {
    if (tls === 'both') return ['plain', 'tls'];
    if (tls === 'on') return ['tls'];
    if (tls === 'off') return ['plain'];
    throw new Error(`--tls wants both, on or off, got "${tls}"`);
  }
  if (modesText === undefined) return [...DEFAULT_MODES];
  const names = list(modesText);
  if (names.length === 0) throw new Error(`--modes wants at least one of ${MODES.join(', ')}`);
  for (const name of names) {
    if (!MODES.includes(name as Mode)) throw new Error(`unknown mode "${name}" (known: ${MODES.join(', ')})`);
  }
  return [...new Set(names)] as Mode[];
}

export function parseOptions(argv: string[]): GoBenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      targets: { type: 'string', default: 'etcd,etcd-ts' },
      cases: { type: 'string', default: CASES.map((definition) => definition.name).join(',') },
      modes: { type: 'string' },
      tls: { type: 'string' },
      scale: { type: 'string', default: '1' },
      rounds: { type: 'string', default: '1' },
      members: { type: 'string', default: '1' },
      'no-write': { type: 'boolean', default: false },
    },
  });
  if (values.help) return 'help';

  const targets = list(values.targets!);
  if (targets.length === 0) throw new Error('--targets wants at least one of etcd, etcd-ts');
  for (const target of targets) {
    if (!TARGET_NAMES.includes(target as TargetName)) throw new Error(`unknown target "${target}" (known: ${TARGET_NAMES.join(', ')})`);
  }
  const caseNames = list(values.cases!);
  if (caseNames.length === 0) throw new Error('--cases wants at least one case');
  const cases = caseNames.map((name) => {
    const definition = findCase(name);
    if (!definition) throw new Error(`unknown case "${name}" (known: ${CASES.map((candidate) => candidate.name).join(', ')})`);
    return definition;
  });
  const modes = parseModes(values.modes, values.tls);
  const scale = Number(values.scale);
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`--scale wants a positive number, got "${values.scale}"`);
  const rounds = parseCount('--rounds', values.rounds!, 1);
  const members = parseCount('--members', values.members!, 1);
  // server-cluster.ts starts plain-HTTP members only.
  if (members > 1 && modes.some((mode) => mode !== 'plain')) throw new Error(`--members ${members} runs plain mode only, not ${modes.filter((mode) => mode !== 'plain').join(', ')}`);

  return {
    targets: [...new Set(targets)] as TargetName[],
    cases: [...new Set(cases)],
    modes,
    transports: [...new Set(modes.map(transportOf))],
    scale,
    rounds,
    members,
    writeResults: !values['no-write'],
    etcdBinary: '/usr/bin/etcd',
    benchmarkBinary: join(process.env['ETCD_TOOLS_DIR'] || DEFAULT_ETCD_TOOLS_DIR, 'bin', 'benchmark'),
    dataRoot: tmpdir(),
    resultsDir: join(PROJECT_ROOT, 'bench', 'results'),
  };
}
