// The command line of `npm run bench:go`: which targets, cases and modes
// (transport, and whether auth is on) to run, and a scale factor on the
// request totals for quick smoke runs.

import { parseArgs } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, TARGET_NAMES, type TargetName } from '../targets.js';

/** What goes over the wire: plain gRPC or TLS with client certificates. */
export type Transport = 'plain' | 'tls';
/** What a server is run with: the transport, and for the auth modes auth enabled with simple or JWT tokens (plain transport). */
export type Mode = 'plain' | 'tls' | 'auth-simple' | 'auth-jwt';
export type AuthMode = Extract<Mode, `auth-${string}`>;

export const MODES: readonly Mode[] = ['plain', 'tls', 'auth-simple', 'auth-jwt'];
export const AUTH_MODES: readonly AuthMode[] = ['auth-simple', 'auth-jwt'];
/** The modes when neither --modes nor --tls is given (as before the auth modes existed). */
export const DEFAULT_MODES: readonly Mode[] = ['plain', 'tls'];

export function isAuthMode(mode: Mode): mode is AuthMode {
  return (AUTH_MODES as readonly Mode[]).includes(mode);
}

export function transportOf(mode: Mode): Transport {
  return mode === 'tls' ? 'tls' : 'plain';
}
export type CaseName = 'put1' | 'put10' | 'put100' | 'range100';

export interface CaseDefinition {
  name: CaseName;
  command: 'put' | 'range';
  clients: number;
  /** Requests at --scale 1: sized so that a case runs about 5-10 s on a 2-core machine. */
  baseTotal: number;
}

export const CASES: readonly CaseDefinition[] = [
  { name: 'put1', command: 'put', clients: 1, baseTotal: 2_000 },
  { name: 'put10', command: 'put', clients: 10, baseTotal: 15_000 },
  { name: 'put100', command: 'put', clients: 100, baseTotal: 30_000 },
  { name: 'range100', command: 'range', clients: 100, baseTotal: 50_000 },
];

export interface GoBenchOptions {
  targets: TargetName[];
  cases: CaseDefinition[];
  /** In run order; the auth modes use the plain transport. */
  modes: Mode[];
  /** The distinct transports of the modes. */
  transports: Transport[];
  scale: number;
  writeResults: boolean;
  etcdBinary: string;
  benchmarkBinary: string;
  dataRoot: string;
  resultsDir: string;
}

export const DEFAULT_ETCD_TOOLS_DIR = '/var/tmp/etcd-tools';

export const USAGE = `Usage: npm run bench:go -- [options]

Runs etcd's own Go load generator (tools/benchmark, built by etcd-tools/build.sh
at \${ETCD_TOOLS_DIR:-${DEFAULT_ETCD_TOOLS_DIR}}/bin/benchmark) against etcd-ts and the
real etcd, side by side in one run, in each of the chosen modes.

  --targets LIST     etcd,etcd-ts (default both)
  --cases LIST       ${CASES.map((definition) => definition.name).join(',')} (default all)
                     ${CASES.map((definition) => `${definition.name}: ${definition.command} ${definition.clients} client(s), ${definition.baseTotal} requests`).join('; ')}
  --modes LIST       ${MODES.join(',')} (default ${DEFAULT_MODES.join(',')})
                     plain: plain gRPC; tls: TLS with client-certificate auth;
                     auth-simple / auth-jwt: plain gRPC with auth enabled (users root and
                     bench, bench's role has readwrite on every key) and simple tokens, or
                     RS256 JWTs (--auth-token=jwt,...,ttl=10m, a key pair made for the run);
                     the generator runs as the non-root user bench
  --tls both|on|off  shorthand kept from before --modes: plain,tls / tls / plain
                     (not together with --modes)
  --scale F          multiply every request total (default 1; e.g. 0.1 for a smoke run)
  --no-write         print only, write no result files
`;

function list(text: string): string[] {
  return text.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
}

export function connectionsFor(clients: number): number {
  return Math.max(1, Math.floor(clients / 10));
}

/** The requests of a case after --scale; at least one per client. */
export function scaledTotal(definition: CaseDefinition, scale: number): number {
  return Math.max(definition.clients, Math.round(definition.baseTotal * scale));
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
    const definition = CASES.find((candidate) => candidate.name === name);
    if (!definition) throw new Error(`unknown case "${name}" (known: ${CASES.map((candidate) => candidate.name).join(', ')})`);
    return definition;
  });
  const modes = parseModes(values.modes, values.tls);
  const scale = Number(values.scale);
  if (!Number.isFinite(scale) || scale <= 0) throw new Error(`--scale wants a positive number, got "${values.scale}"`);

  return {
    targets: [...new Set(targets)] as TargetName[],
    cases: [...new Set(cases)],
    modes,
    transports: [...new Set(modes.map(transportOf))],
    scale,
    writeResults: !values['no-write'],
    etcdBinary: '/usr/bin/etcd',
    benchmarkBinary: join(process.env['ETCD_TOOLS_DIR'] || DEFAULT_ETCD_TOOLS_DIR, 'bin', 'benchmark'),
    dataRoot: tmpdir(),
    resultsDir: join(PROJECT_ROOT, 'bench', 'results'),
  };
}
