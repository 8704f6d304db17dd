// The same machine and code metadata as bench/metadata.ts writes for the
// Node load generator's results, with this driver's settings.

import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { cpus } from 'node:os';
import type { RunMetadata } from '../report.js';
import { PROJECT_ROOT } from '../targets.js';
import { connectionsFor, scaledTotal, type GoBenchOptions } from './options.js';

function commandOutput(executable: string, args: string[]): string {
  try {
    return execFileSync(executable, args, { encoding: 'utf8', cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

export function collectGoMetadata(options: GoBenchOptions, label: string, warmUpRequests: number): RunMetadata {
  const commit = commandOutput('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = commandOutput('git', ['status', '--porcelain', '--untracked-files=no']) !== '' ? ' (uncommitted changes)' : '';
  let benchmarkBuilt = 'unknown';
  try {
    benchmarkBuilt = statSync(options.benchmarkBinary).mtime.toISOString();
  } catch {
    // reported as unknown
  }
  return {
    startedAt: new Date().toISOString(),
    label,
    commandLine: `npm run bench:go -- ${process.argv.slice(2).join(' ')}`.trim(),
    gitCommit: commit + dirty,
    nodeVersion: process.version,
    etcdVersion: commandOutput(options.etcdBinary, ['--version']).split('\n')[0] ?? 'unknown',
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    dataRootFilesystem: `${options.dataRoot} (${commandOutput('stat', ['-f', '-c', '%T', options.dataRoot])})`,
    settings: {
      targets: options.targets,
      transports: options.transports,
      scale: options.scale,
      cases: options.cases.map((definition) => ({
        name: definition.name,
        command: definition.command,
        clients: definition.clients,
        conns: connectionsFor(definition.clients),
        total: scaledTotal(definition, options.scale),
      })),
      warmUpRequestsPerServer: warmUpRequests,
      benchmarkBinary: options.benchmarkBinary,
      benchmarkBinaryBuilt: benchmarkBuilt,
    },
  };
}
