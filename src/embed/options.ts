// startMember's options: etcd's flags in camelCase, turned back into the
// command line and given to the member's own flag parser and config builder,
// so that defaults, validation and error texts are exactly the binary's.

import { applyConfigFile, buildMemberConfig, ConfigError, parseCommandLine, type MemberConfig } from '../server/config.js';
import { FLAGS } from '../server/config-flags.js';
import type { Logger } from '../pkg/logger.js';
import { NOT_OPTIONS, type FlagOptions } from './flag-options.js';

/** Options that are not etcd flags: how the embedded member is set up. */
export interface EmbedOnlyOptions {
  /** Where the member logs. Default: nothing is logged, unless `logLevel` or `logOutputs` is given. */
  logger?: Logger;
  /** Client port on 127.0.0.1 when `listenClientUrls` is not given. Default: a free port. */
  clientPort?: number;
  /** Peer port on 127.0.0.1 when `listenPeerUrls` is not given. Default: a free port. */
  peerPort?: number;
  /** Keep the temporary data dir after close(). Default false (a `dataDir` you name is never removed). */
  keepDataDir?: boolean;
}

export type MemberOptions = FlagOptions & EmbedOnlyOptions;

const EMBED_ONLY: ReadonlySet<string> = new Set(['logger', 'clientPort', 'peerPort', 'keepDataDir']);

/** An option that is not a flag, or a value the flag parser refused. */
export class MemberOptionError extends Error {
  override readonly name = 'MemberOptionError';
}

export function camelCaseOf(flag: string): string {
  return flag.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** camelCase option name -> flag name, for every flag that can be an option. */
const FLAG_OF_OPTION: ReadonlyMap<string, string> = new Map(
  Object.keys(FLAGS)
    .filter((flag) => !NOT_OPTIONS.has(flag))
    .map((flag) => [camelCaseOf(flag), flag]),
);

export function knownOptionNames(): string[] {
  return [...FLAG_OF_OPTION.keys(), ...EMBED_ONLY];
}

/** Levenshtein distance, case-insensitive (a wrong capital is a typo too). */
export function editDistance(a: string, b: string): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i++) {
    const current = [i];
    for (let j = 1; j <= right.length; j++) {
      const substitution = previous[j - 1]! + (left[i - 1] === right[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[right.length]!;
}

/** The known option nearest to `name`, if it is near enough to be a likely typo. */
export function nearestOption(name: string): string | undefined {
  // A flag written as a flag ('snapshot-count', 'snapshot_count') maps straight to its option.
  const asFlag = name.replace(/^-+/, '').replaceAll('_', '-').toLowerCase();
  if (FLAG_OF_OPTION.has(camelCaseOf(asFlag))) return camelCaseOf(asFlag);
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const known of knownOptionNames()) {
    const distance = editDistance(name, known);
    if (distance < bestDistance) [best, bestDistance] = [known, distance];
  }
  return best !== undefined && bestDistance <= Math.max(3, Math.floor(name.length / 3)) ? best : undefined;
}

function flagValue(option: string, value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new MemberOptionError(`option ${option}: ${value} is not a finite number`);
    const flag = FLAG_OF_OPTION.get(option)!;
    return FLAGS[flag]!.kind === 'duration' ? `${value}ms` : String(value);
  }
  if (value instanceof URL) return value.href.replace(/\/$/, '');
  if (Array.isArray(value)) return value.map((item) => flagValue(option, item)).join(',');
  throw new MemberOptionError(`option ${option}: unsupported value ${String(value)} (give a string, number, boolean or array)`);
}

/**
 * The flag values for these options, with the embedding defaults (`defaults`,
 * already in flag form) under them; unknown options are refused with the
 * nearest known name.
 */
export function flagValuesOf(options: Readonly<Record<string, unknown>>, defaults: Readonly<Record<string, string>>): { argv: string[]; explicit: Set<string> } {
  const values = new Map<string, string>(Object.entries(defaults));
  const explicit = new Set<string>();
  for (const [option, value] of Object.entries(options)) {
    if (EMBED_ONLY.has(option) || value === undefined) continue;
    const flag = FLAG_OF_OPTION.get(option);
    if (flag === undefined) {
      const nearest = nearestOption(option);
      throw new MemberOptionError(`unknown option "${option}"${nearest ? `; did you mean "${nearest}"?` : ''} (options are etcd's flags in camelCase, e.g. snapshotCount for --snapshot-count)`);
    }
    values.set(flag, flagValue(option, value));
    explicit.add(flag);
  }
  return { argv: [...values].map(([flag, value]) => `--${flag}=${value}`), explicit };
}

/** The member configuration, built exactly as the etcd-ts binary builds it from the same flags. */
export function memberConfigOf(argv: string[]): MemberConfig {
  try {
    // No environment: ETCD_* variables of the test process must not leak into embedded members.
    return buildMemberConfig(applyConfigFile(parseCommandLine(argv, {})).values);
  } catch (error) {
    if (error instanceof ConfigError) throw new MemberOptionError(error.message.replace(/flag -([a-z0-9-]+)/g, (_, flag: string) => `option ${camelCaseOf(flag)} (--${flag})`));
    throw error;
  }
}
