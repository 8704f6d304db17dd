// `etcd-ts snapshot decrypt IN --key-file F --output OUT`: an encrypted
// scheduled backup (.db.enc, src/snapshot/backup-encryption.ts) back into the
// plain snapshot file `etcdctl snapshot save` would have written, which
// `etcdctl snapshot status|restore` and `etcd-ts snapshot restore` accept.
// OUT must not exist; it appears only once the authentication tag checked out.

import { existsSync } from 'node:fs';
import { parseCommandFlags } from './command-flags.js';
import { BackupDecryptionError, BackupKeyError, decryptBackupFile, readBackupKeyFile } from '../snapshot/backup-encryption.js';

export class DecryptUsageError extends Error {}

interface DecryptOptions {
  input: string;
  keyFile: string;
  output: string;
}

/** Flags as etcdctl takes them: --flag value or --flag=value. */
function parseDecryptArguments(argv: readonly string[]): DecryptOptions {
  const { values, positional } = parseCommandFlags(argv, new Set(['key-file', 'output']), (message) => new DecryptUsageError(message));
  for (const [name, value] of values) if (value === '') throw new DecryptUsageError(`flag needs an argument: --${name}`);
  if (positional.length !== 1) throw new DecryptUsageError('snapshot decrypt requires exactly one argument (the encrypted backup file)');
  const keyFile = values.get('key-file');
  const output = values.get('output');
  if (keyFile === undefined) throw new DecryptUsageError('snapshot decrypt requires --key-file');
  if (output === undefined) throw new DecryptUsageError('snapshot decrypt requires --output');
  return { input: positional[0]!, keyFile, output };
}

/** Runs `snapshot decrypt ...`; errors a user can fix are thrown as DecryptUsageError, BackupKeyError or BackupDecryptionError. */
export async function runSnapshotDecrypt(argv: readonly string[], write: (line: string) => void): Promise<void> {
  const options = parseDecryptArguments(argv);
  if (!existsSync(options.input)) throw new DecryptUsageError(`open ${options.input}: no such file or directory`);
  const key = readBackupKeyFile(options.keyFile);
  const { bytes } = await decryptBackupFile(options.input, options.output, key);
  write(`Decrypted ${options.input} to ${options.output} (${bytes} bytes)`);
}

export function isDecryptError(error: unknown): error is Error {
  return error instanceof DecryptUsageError || error instanceof BackupKeyError || error instanceof BackupDecryptionError;
}
