// The servers the benchmark can start. Both take etcd's own flags, so one
// command line shape serves both.

import { join, resolve } from 'node:path';

export type TargetName = 'etcd-ts' | 'etcd';

export const TARGET_NAMES: TargetName[] = ['etcd-ts', 'etcd'];

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..');

export interface TargetDefinition {
  name: TargetName;
  /** Executable and arguments that come before etcd's flags. */
  command(): { executable: string; leadingArguments: string[] };
}

export interface TargetSettings {
  etcdBinary: string;
}

export function targetDefinition(name: TargetName, settings: TargetSettings): TargetDefinition {
  if (name === 'etcd') {
    return {
      name,
      command: () => ({ executable: settings.etcdBinary, leadingArguments: [] }),
    };
  }
  return {
    name,
    command: () => ({ executable: process.execPath, leadingArguments: [join(PROJECT_ROOT, 'dist', 'src', 'bin', 'etcd-ts.js')] }),
  };
}
