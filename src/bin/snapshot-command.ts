// `etcd-ts snapshot restore FILE --data-dir DIR [--name --initial-cluster
// --initial-cluster-token --initial-advertise-peer-urls --skip-hash-check]`,
// as etcdctl's: checks the snapshot's sha256 trailer, imports its buckets into
// a new backend in DIR/member/snap and writes a fresh WAL that bootstraps the
// given membership; `etcd-ts --data-dir DIR` then restarts from it. Also
// `etcd-ts snapshot status FILE [-w json|table|simple]`, and `etcd-ts snapshot
// decrypt` (snapshot-decrypt-command.ts).

import { parseCommandFlags } from './command-flags.js';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildMemberConfig, ConfigError, parseCommandLine } from '../server/config.js';
import { createLogger } from '../pkg/logger.js';
import { bootstrapRestoredMember } from '../server/restored-member.js';
import { BoltFormatError, BoltReader } from '../snapshot/bbolt-reader.js';
import { checkSnapshotHash, importBoltIntoBackend, SnapshotHashError } from '../snapshot/import.js';
import { crc32c } from '../mvcc/crc32c.js';
import { isDecryptError, runSnapshotDecrypt } from './snapshot-decrypt-command.js';

class UsageError extends Error {}

interface RestoreOptions {
  file: string;
  dataDir: string;
  name: string;
  initialCluster: string;
  initialClusterToken: string;
  initialAdvertisePeerUrls: string;
  skipHashCheck: boolean;
}

function parseRestoreArguments(argv: readonly string[]): RestoreOptions {
  const known = new Set(['data-dir', 'name', 'initial-cluster', 'initial-cluster-token', 'initial-advertise-peer-urls', 'skip-hash-check']);
  const { values, positional } = parseCommandFlags(argv, known, (message) => new UsageError(message), new Set(['skip-hash-check']));
  if (positional.length !== 1) throw new UsageError('snapshot restore requires exactly one argument');
  const name = values.get('name') ?? 'default';
  const peerUrls = values.get('initial-advertise-peer-urls') ?? 'http://localhost:2380';
  return {
    file: positional[0]!,
    name,
    dataDir: values.get('data-dir') || `${name}.etcd`,
    initialCluster: values.get('initial-cluster') ?? `${name}=${peerUrls}`,
    initialClusterToken: values.get('initial-cluster-token') ?? 'etcd-cluster',
    initialAdvertisePeerUrls: peerUrls,
    skipHashCheck: values.get('skip-hash-check') === 'true',
  };
}

async function restore(options: RestoreOptions, write: (line: string) => void): Promise<void> {
  if (existsSync(options.dataDir) && readdirSync(options.dataDir).length > 0) throw new UsageError(`data-dir "${options.dataDir}" exists`);
  if (!existsSync(options.file)) throw new UsageError(`open ${options.file}: no such file or directory`);
  const size = checkSnapshotHash(options.file, options.skipHashCheck);
  // Refuse a file that is not bbolt before creating anything.
  new BoltReader(options.file, size).close();
  const config = buildMemberConfig(
    parseCommandLine(
      [
        `--name=${options.name}`,
        `--data-dir=${options.dataDir}`,
        `--initial-cluster=${options.initialCluster}`,
        `--initial-cluster-token=${options.initialClusterToken}`,
        `--initial-advertise-peer-urls=${options.initialAdvertisePeerUrls}`,
      ],
      {},
    ).values,
  );
  if (!config.initialCluster.has(options.name)) throw new UsageError(`couldn't find local name "${options.name}" in the initial cluster configuration`);
  const createdDataDir = !existsSync(options.dataDir);
  try {
    const result = await importBoltIntoBackend(options.file, size, join(options.dataDir, 'member', 'snap'));
    const logger = createLogger({ level: 'info', write });
    await bootstrapRestoredMember(config, logger);
    logger.child('snapshot/v3_snapshot.go').info('restored snapshot', {
      path: options.file,
      'data-dir': options.dataDir,
      'wal-dir': join(options.dataDir, 'member', 'wal'),
      'snap-dir': join(options.dataDir, 'member', 'snap'),
      revision: result.revision,
      'imported-entries': result.entries,
    });
  } catch (error) {
    // Leave nothing half-made behind.
    if (createdDataDir) rmSync(options.dataDir, { recursive: true, force: true });
    else for (const entry of readdirSync(options.dataDir)) rmSync(join(options.dataDir, entry), { recursive: true, force: true });
    throw error;
  }
}

interface SnapshotStatus {
  hash: number;
  revision: number;
  totalKey: number;
  totalSize: number;
}

/** etcdctl's snapshot status: crc32c over bucket names, keys and values; last revision; key count; size. */
export function snapshotStatus(path: string): SnapshotStatus {
  const reader = new BoltReader(path);
  try {
    let hash = 0;
    let revision = 0;
    let totalKey = 0;
    for (const name of reader.bucketNames()) {
      hash = crc32c(name, hash);
      const isKey = name.toString() === 'key';
      reader.forEach(name, (key, value) => {
        hash = crc32c(value, crc32c(key, hash));
        if (isKey && key.length >= 8) revision = Number(key.readBigUInt64BE(0));
        totalKey++;
      });
    }
    return { hash, revision, totalKey, totalSize: reader.meta.pageCount * reader.meta.pageSize };
  } finally {
    reader.close();
  }
}

function formatStatus(status: SnapshotStatus, format: string): string {
  const hash = status.hash.toString(16);
  if (format === 'json') return `${JSON.stringify(status)}\n`;
  if (format === 'simple') return `${hash}, ${status.revision}, ${status.totalKey}, ${humanBytes(status.totalSize)}\n`;
  const row = [hash, String(status.revision), String(status.totalKey), humanBytes(status.totalSize)];
  const header = ['HASH', 'REVISION', 'TOTAL KEYS', 'TOTAL SIZE'];
  const widths = header.map((title, index) => Math.max(title.length, row[index]!.length) + 2);
  const line = `+${widths.map((width) => '-'.repeat(width)).join('+')}+\n`;
  const cells = (values: string[], align: 'center' | 'right') =>
    `|${values
      .map((value, index) => {
        const space = widths[index]! - value.length;
        if (align === 'right') return `${' '.repeat(space - 1)}${value} `;
        const left = Math.floor(space / 2);
        return `${' '.repeat(left)}${value}${' '.repeat(space - left)}`;
      })
      .join('|')}|\n`;
  return `${line}${cells(header, 'center')}${line}${cells(row, 'right')}${line}`;
}

/** go-humanize's Bytes (SI units), as etcdctl prints sizes. */
function humanBytes(bytes: number): string {
  if (bytes < 10) return `${bytes} B`;
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  const exponent = Math.floor(Math.log(bytes) / Math.log(1000));
  const value = Math.floor((bytes / 1000 ** exponent) * 10 + 0.5) / 10;
  // Go's %.0f rounds a tie to even (20.5 -> "20").
  const whole = value - Math.floor(value) === 0.5 ? (Math.floor(value) % 2 === 0 ? Math.floor(value) : Math.ceil(value)) : Math.round(value);
  return `${value < 10 ? value.toFixed(1) : String(whole)} ${units[exponent]}`;
}

/** Runs `snapshot restore|status ...`; returns the process exit code. */
export async function runSnapshotCommand(argv: readonly string[]): Promise<number> {
  const [subcommand, ...rest] = argv;
  const write = (line: string): void => void process.stderr.write(line.endsWith('\n') ? line : `${line}\n`);
  try {
    if (subcommand === 'restore') {
      await restore(parseRestoreArguments(rest), write);
      return 0;
    }
    if (subcommand === 'decrypt') {
      await runSnapshotDecrypt(rest, write);
      return 0;
    }
    if (subcommand === 'status') {
      let format = 'simple';
      const files: string[] = [];
      for (let position = 0; position < rest.length; position++) {
        const argument = rest[position]!;
        if (argument === '-w' || argument === '--write-out') format = rest[++position] ?? format;
        else if (argument.startsWith('--write-out=') || argument.startsWith('-w=')) format = argument.slice(argument.indexOf('=') + 1);
        else files.push(argument);
      }
      if (files.length !== 1) throw new UsageError('snapshot status requires exactly one argument');
      if (!['simple', 'json', 'table'].includes(format)) throw new UsageError(`unknown output format "${format}"`);
      process.stdout.write(formatStatus(snapshotStatus(files[0]!), format));
      return 0;
    }
    throw new UsageError(
      'usage: etcd-ts snapshot restore FILE --data-dir DIR [flags] | etcd-ts snapshot status FILE [-w json|table|simple] | etcd-ts snapshot decrypt FILE.enc --key-file KEY --output FILE',
    );
  } catch (error) {
    if (error instanceof UsageError || error instanceof SnapshotHashError || error instanceof BoltFormatError || error instanceof ConfigError || isDecryptError(error)) {
      process.stderr.write(`Error: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}
