// What a chaos run is made of, with defaults sized for a 2-core machine, and
// the command line that sets it (`npm run chaos -- --members 5 --seed 7`).

import type { MemberKind } from '../../support/cluster-process.js';

export interface ChaosOptions {
  kind: MemberKind;
  members: number;
  /** Seconds of workload under faults. */
  durationSeconds: number;
  seed: number;
  /** Concurrent clients, spread round-robin over the members. */
  clients: number;
  /** Keys written at any moment; each is retired for a fresh one after opsPerKey operations. */
  activeKeys: number;
  opsPerKey: number;
  requestDeadlineMs: number;
  heartbeatIntervalMs: number;
  electionTimeoutMs: number;
  /** Fault names to use (default: all that apply); see faults.ts. */
  faults: string[] | undefined;
  /** How long a fault stays before it is healed, and the quiet time between faults (ms, drawn uniformly). */
  faultHoldMs: [number, number];
  faultGapMs: [number, number];
  /** Run past the duration until every applicable fault ran once. */
  fullRound: boolean;
  /** Print each fault as it happens. */
  verbose: boolean;
  /** Members talk to each other over TLS (https peer URLs, --peer-auto-tls). */
  peerTls: boolean;
  log: (line: string) => void;
}

export function defaultOptions(overrides: Partial<ChaosOptions> = {}): ChaosOptions {
  const members = overrides.members ?? 3;
  return {
    kind: 'etcd-ts',
    members,
    durationSeconds: 30,
    seed: Date.now() % 1_000_000,
    clients: 2 * members,
    activeKeys: Math.max(4, members),
    opsPerKey: 200,
    requestDeadlineMs: 1_500,
    heartbeatIntervalMs: 100,
    electionTimeoutMs: 1_000,
    faults: undefined,
    faultHoldMs: [1_500, 4_000],
    faultGapMs: [1_000, 2_500],
    fullRound: true,
    verbose: true,
    peerTls: false,
    log: (line) => console.log(line),
    ...overrides,
  };
}

const USAGE = `usage: npm run chaos -- [--kind etcd-ts|etcd] [--members N] [--duration SECONDS] [--seed S]
       [--clients N] [--keys N] [--ops-per-key N] [--deadline MS] [--faults a,b,...] [--peer-tls] [--quiet]`;

export function parseArgs(argv: readonly string[]): ChaosOptions {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}\n${USAGE}`);
    const [name, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (name === 'quiet' || name === 'help' || name === 'peer-tls') {
      flags.add(name);
      continue;
    }
    const value = inline ?? argv[++index];
    if (value === undefined) throw new Error(`--${name} needs a value\n${USAGE}`);
    values.set(name, value);
  }
  if (flags.has('help')) throw new Error(USAGE);
  const number = (name: string): number | undefined => {
    const text = values.get(name);
    values.delete(name);
    if (text === undefined) return undefined;
    const parsed = Number(text);
    if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`--${name} must be a number, got ${text}`);
    return parsed;
  };
  const kind = values.get('kind') ?? process.env['CHAOS_KIND'] ?? 'etcd-ts';
  values.delete('kind');
  if (kind !== 'etcd-ts' && kind !== 'etcd') throw new Error(`--kind must be etcd-ts or etcd, got ${kind}`);
  const faults = values.get('faults')?.split(',').filter(Boolean);
  values.delete('faults');
  const overrides: Partial<ChaosOptions> = { kind, verbose: !flags.has('quiet'), peerTls: flags.has('peer-tls') };
  const set = <K extends keyof ChaosOptions>(key: K, value: ChaosOptions[K] | undefined) => {
    if (value !== undefined) overrides[key] = value;
  };
  set('members', number('members'));
  set('durationSeconds', number('duration'));
  set('seed', number('seed'));
  set('clients', number('clients'));
  set('activeKeys', number('keys'));
  set('opsPerKey', number('ops-per-key'));
  set('requestDeadlineMs', number('deadline'));
  set('heartbeatIntervalMs', number('heartbeat-interval'));
  set('electionTimeoutMs', number('election-timeout'));
  set('faults', faults);
  if (values.size > 0) throw new Error(`unknown option --${[...values.keys()][0]}\n${USAGE}`);
  return defaultOptions(overrides);
}
