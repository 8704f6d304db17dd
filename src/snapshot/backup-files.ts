// Names of scheduled backup files, and retention. A backup is
//   etcd-ts-backup-<UTC time, YYYYMMDDTHHMMSSZ>-rev<revision>.db      (plain)
//   etcd-ts-backup-<UTC time, YYYYMMDDTHHMMSSZ>-rev<revision>.db.enc  (encrypted)
// so names sort by time; while being written it is ".<name>.tmp", and its
// scratch directory ".<name>.scratch". Retention and clean-up touch only
// names of this shape: other files in the directory are left alone.

import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { syncDirectory } from '../pkg/durable-files.js';

const BACKUP_NAME = /^etcd-ts-backup-(\d{8}T\d{6}Z)-rev(\d+)\.db(\.enc)?$/;
const WORK_NAME = /^\.etcd-ts-backup-\d{8}T\d{6}Z-rev\d+\.db(\.enc)?\.(tmp|scratch)$/;

export interface BackupName {
  readonly name: string;
  readonly time: string;
  readonly revision: number;
  readonly encrypted: boolean;
}

export function backupFileName(at: Date, revision: number, encrypted: boolean): string {
  const time = at.toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll('-', '').replaceAll(':', '');
  return `etcd-ts-backup-${time}-rev${revision}.db${encrypted ? '.enc' : ''}`;
}

export function parseBackupFileName(name: string): BackupName | undefined {
  const match = BACKUP_NAME.exec(name);
  if (match === null) return undefined;
  return { name, time: match[1]!, revision: Number(match[2]), encrypted: match[3] !== undefined };
}

/** The backups in `directory`, oldest first (by time, then revision). */
export function listBackups(directory: string): BackupName[] {
  return readdirSync(directory)
    .map(parseBackupFileName)
    .filter((backup): backup is BackupName => backup !== undefined)
    .sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.revision - b.revision));
}

/** Deletes the oldest backups beyond the newest `retention`; returns the names deleted. */
export async function pruneBackups(directory: string, retention: number): Promise<string[]> {
  const backups = listBackups(directory);
  const deleted = backups.slice(0, Math.max(0, backups.length - retention)).map((backup) => backup.name);
  for (const name of deleted) rmSync(join(directory, name), { force: true });
  if (deleted.length > 0) await syncDirectory(directory);
  return deleted;
}

/** Removes what an interrupted backup left (temporary files, scratch directories); returns their names. */
export function removeUnfinishedBackups(directory: string): string[] {
  const leftovers = readdirSync(directory).filter((name) => WORK_NAME.test(name));
  for (const name of leftovers) rmSync(join(directory, name), { recursive: true, force: true });
  return leftovers;
}
