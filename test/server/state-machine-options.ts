// State machine options for tests: a fresh temp directory (removed by
// removeStateMachineDirectories, for an `after` hook), a silent logger, a
// frozen lessor clock, and commit failures thrown.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StateMachineOptions } from '../../src/server/state-machine.js';
import { silentLogger } from '../../src/pkg/logger.js';
import { newTokenProvider } from '../../src/auth/tokens/index.js';

const directories: string[] = [];

export function testStateMachineOptions(name: string, overrides: Partial<StateMachineOptions> = {}): StateMachineOptions {
  const directory = mkdtempSync(join(tmpdir(), `${name}-`));
  directories.push(directory);
  return {
    directory,
    logger: silentLogger,
    clock: { nowMs: () => 0 },
    minLeaseTtlSeconds: 5,
    expiredLeaseRetryIntervalMs: 1000,
    backendBatchIntervalMs: 100,
    backendBatchLimit: 10_000,
    onCommitFailure: (error) => {
      throw error;
    },
    auth: { tokenProvider: newTokenProvider('simple', { ttlSeconds: 300, logger: silentLogger }), bcryptCost: 4 },
    ...overrides,
  };
}

export function removeStateMachineDirectories(): void {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
}
