// What a result file needs to be comparable later: when, which code, which
// machine, which settings.

import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import type { BenchOptions } from './options.js';
import type { RunMetadata } from './report.js';
import { PROJECT_ROOT } from './targets.js';

function commandOutput(executable: string, args: string[]): string {
  try {
    return execFileSync(executable, args, { encoding: 'utf8', cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** Code, machine and time of a run; `settings` are what the run was asked to do. */
export function runMetadata(input: { label: string; commandLine: string; etcdBinary: string; dataRoot: string; settings: Record<string, unknown> }): RunMetadata {
  const commit = commandOutput('git', ['rev-parse', '--short', 'HEAD']);
  const dirty = commandOutput('git', ['status', '--porcelain', '--untracked-files=no']) !== '' ? ' (uncommitted changes)' : '';
  return {
    startedAt: new Date().toISOString(),
    label: input.label,
    commandLine: input.commandLine,
    gitCommit: commit + dirty,
    nodeVersion: process.version,
    etcdVersion: commandOutput(input.etcdBinary, ['--version']).split('\n')[0] ?? 'unknown',
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    dataRootFilesystem: `${input.dataRoot} (${commandOutput('stat', ['-f', '-c', '%T', input.dataRoot])})`,
    settings: input.settings,
  };
}

export function collectMetadata(options: BenchOptions, label: string): RunMetadata {
  const { targets, workloadNames, clientCounts, connectionCount, workerCount, requestsTotal, maxSecondsPerCase, memberCount, serverFlags, seed, workload } = options;
  return runMetadata({
    label,
    commandLine: `npm run bench:node -- ${process.argv.slice(2).join(' ')}`.trim(),
    etcdBinary: options.etcdBinary,
    dataRoot: options.dataRoot,
    settings: { targets, workloadNames, clientCounts, connectionCount: connectionCount ?? 'clients/10', workerCount, requestsTotal, maxSecondsPerCase, memberCount, serverFlags, seed, ...workload },
  });
}
