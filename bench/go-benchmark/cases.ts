// The cases `npm run bench` runs with etcd's Go `benchmark` tool: put,
// linearizable range, serializable range and txn-put at 1, 10, 100 and 1,000
// clients (the Targets table of issue 13), plus one watch and one
// lease-keepalive case; and the tool's command line for each.
//
// Connections follow etcd's performance docs: 1 for 1 client, else one per
// ten clients (10 for 100 clients, 100 for 1,000).

export type Command = 'put' | 'range' | 'txn-put' | 'watch' | 'lease-keepalive';
export type Consistency = 'l' | 's';
/** put-1, range-l-100, range-s-10, txn-put-1000, watch, lease-keepalive, ... */
export type CaseName = string;

export interface CaseDefinition {
  name: CaseName;
  command: Command;
  /** range only: linearizable (l) or serializable (s). */
  consistency?: Consistency;
  clients: number;
  /** Requests (for watch: events received) at --scale 1, sized so a case takes a few seconds on a 2-core machine. */
  baseTotal: number;
}

export const CLIENT_COUNTS = [1, 10, 100, 1000] as const;
/** Watch case: 10 streams of 10 watchers on one key, so every put is 100 events. */
export const WATCH_STREAMS = 10;
export const WATCHERS_PER_STREAM = 10;
export const WATCHERS = WATCH_STREAMS * WATCHERS_PER_STREAM;
/** The watch command rate-limits its puts and a rate of 0 never lets one through; this is far above what either server does. */
export const WATCH_PUT_RATE = 1_000_000;
export const KEY_SIZE = 8;
export const VALUE_SIZE = 256;
/** txn-put writes random keys out of this many. */
export const TXN_KEY_SPACE = 100_000;
export const RANGE_KEY = 'bench-go-range-key';

const WRITE_TOTALS: Record<(typeof CLIENT_COUNTS)[number], number> = { 1: 3_000, 10: 15_000, 100: 40_000, 1000: 60_000 };
const READ_TOTALS: Record<(typeof CLIENT_COUNTS)[number], number> = { 1: 5_000, 10: 20_000, 100: 50_000, 1000: 60_000 };

function perClientCount(prefix: string, command: Command, totals: Record<number, number>, consistency?: Consistency): CaseDefinition[] {
  return CLIENT_COUNTS.map((clients) => ({ name: `${prefix}-${clients}`, command, ...(consistency ? { consistency } : {}), clients, baseTotal: totals[clients]! }));
}

export const CASES: readonly CaseDefinition[] = [
  ...perClientCount('put', 'put', WRITE_TOTALS),
  ...perClientCount('range-l', 'range', READ_TOTALS, 'l'),
  ...perClientCount('range-s', 'range', READ_TOTALS, 's'),
  ...perClientCount('txn-put', 'txn-put', WRITE_TOTALS),
  { name: 'watch', command: 'watch', clients: 10, baseTotal: 200_000 },
  { name: 'lease-keepalive', command: 'lease-keepalive', clients: 100, baseTotal: 20_000 },
];

/** Names the driver took before the full case list; still accepted in --cases. */
export const CASE_ALIASES: Readonly<Record<string, CaseName>> = { put1: 'put-1', put10: 'put-10', put100: 'put-100', range100: 'range-l-100' };

export function findCase(name: string): CaseDefinition | undefined {
  const canonical = CASE_ALIASES[name] ?? name;
  return CASES.find((definition) => definition.name === canonical);
}

export function connectionsFor(clients: number): number {
  return Math.max(1, Math.floor(clients / 10));
}

/** The requests of a case after --scale: at least one per client; for watch a whole number of puts (each is WATCHERS events). */
export function scaledTotal(definition: CaseDefinition, scale: number): number {
  if (definition.command === 'watch') return watchPuts(Math.round(definition.baseTotal * scale)) * WATCHERS;
  return Math.max(definition.clients, Math.round(definition.baseTotal * scale));
}

function watchPuts(events: number): number {
  return Math.max(1, Math.round(events / WATCHERS));
}

/** The command and its flags, after the tool's global flags; total as scaledTotal gives it. */
export function commandArgs(definition: Pick<CaseDefinition, 'command' | 'consistency'>, total: number): string[] {
  switch (definition.command) {
    case 'put':
      return ['put', `--key-size=${KEY_SIZE}`, '--sequential-keys', `--total=${total}`, `--val-size=${VALUE_SIZE}`];
    case 'range':
      return ['range', RANGE_KEY, `--consistency=${definition.consistency ?? 'l'}`, `--total=${total}`];
    case 'txn-put':
      return ['txn-put', `--key-size=${KEY_SIZE}`, `--val-size=${VALUE_SIZE}`, `--key-space-size=${TXN_KEY_SPACE}`, '--txn-ops=1', `--total=${total}`];
    case 'watch':
      return ['watch', `--streams=${WATCH_STREAMS}`, `--watch-per-stream=${WATCHERS_PER_STREAM}`, `--put-total=${watchPuts(total)}`, `--put-rate=${WATCH_PUT_RATE}`];
    case 'lease-keepalive':
      return ['lease-keepalive', `--total=${total}`];
  }
}

/** One line per case for --help. */
export function describeCase(definition: CaseDefinition): string {
  const what =
    definition.command === 'range'
      ? `range --consistency=${definition.consistency}`
      : definition.command === 'watch'
        ? `watch, ${WATCHERS} watchers on one key, events received`
        : definition.command;
  return `${definition.name}: ${what}, ${definition.clients} client(s), ${connectionsFor(definition.clients)} conn(s), ${definition.baseTotal} ${definition.command === 'watch' ? 'events' : 'requests'}`;
}
