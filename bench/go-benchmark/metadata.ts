// The same machine and code metadata as bench/metadata.ts writes for the
// Node load generator's results, with this driver's settings.

import { statSync } from 'node:fs';
import { runMetadata } from '../metadata.js';
import type { RunMetadata } from '../report.js';
import { connectionsFor, scaledTotal, type GoBenchOptions } from './options.js';

export function collectGoMetadata(options: GoBenchOptions, label: string, warmUpRequests: number): RunMetadata {
  let benchmarkBuilt = 'unknown';
  try {
    benchmarkBuilt = statSync(options.benchmarkBinary).mtime.toISOString();
  } catch {
    // reported as unknown
  }
  return runMetadata({
    label,
    commandLine: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    etcdBinary: options.etcdBinary,
    dataRoot: options.dataRoot,
    settings: {
      targets: options.targets,
      modes: options.modes,
      transports: options.transports,
      scale: options.scale,
      rounds: options.rounds,
      members: options.members,
      cases: options.cases.map((definition) => ({
        name: definition.name,
        command: definition.command,
        ...(definition.consistency ? { consistency: definition.consistency } : {}),
        clients: definition.clients,
        conns: connectionsFor(definition.clients),
        total: scaledTotal(definition, options.scale),
      })),
      warmUpRequestsPerServer: warmUpRequests,
      benchmarkBinary: options.benchmarkBinary,
      benchmarkBinaryBuilt: benchmarkBuilt,
    },
  });
}
