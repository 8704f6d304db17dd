// Encrypted backups (etcd-ts; etcd has none): AES-256-GCM over the whole
// snapshot file (bbolt + sha256 trailer), streamed, never held in memory.
//
// File format, version 1:
//
//   offset  length  content
//   0       8       magic: the ASCII bytes "ETCDTSBK"
//   8       1       format version (1)
//   9       12      nonce (random per file)
//   21      n       ciphertext of the n-byte snapshot file
//   21+n    16      GCM authentication tag
//
// The 21 header bytes are the GCM additional authenticated data, so the tag
// covers header and ciphertext: a wrong key, a changed byte anywhere or a
// truncated file all fail the tag check. A random 96-bit nonce per file is
// safe for far more files than a backup schedule writes with one key.
//
// The key is 32 bytes: a key file holds either exactly 32 raw bytes, or 64 hex
// characters (optionally followed by a newline); anything else is refused.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, linkSync, readFileSync, unlinkSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { syncDirectory } from '../pkg/durable-files.js';

export const BACKUP_MAGIC = Buffer.from('ETCDTSBK', 'ascii');
export const BACKUP_FORMAT_VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const BACKUP_HEADER_BYTES = BACKUP_MAGIC.length + 1 + NONCE_BYTES;
const KEY_BYTES = 32;
const CIPHER = 'aes-256-gcm';

export class BackupKeyError extends Error {}
export class BackupDecryptionError extends Error {}

/** A key file's content: exactly 32 raw bytes, or 64 hex characters with an optional trailing newline. */
export function parseBackupKey(content: Buffer, source: string): Buffer {
  const text = content.toString('latin1').replace(/\r?\n$/, '');
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (content.length === KEY_BYTES) return Buffer.from(content);
  throw new BackupKeyError(`${source}: an encryption key must be 32 raw bytes or 64 hex characters, got ${content.length} bytes`);
}

export function readBackupKeyFile(path: string): Buffer {
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    throw new BackupKeyError(`cannot read encryption key file: ${(error as Error).message}`);
  }
  return parseBackupKey(content, path);
}

/** Encrypts `plaintext` chunk by chunk: yields the header, the ciphertext, then the tag. */
export async function* encryptBackup(plaintext: AsyncIterable<Buffer>, key: Buffer): AsyncGenerator<Buffer> {
  const header = Buffer.concat([BACKUP_MAGIC, Buffer.from([BACKUP_FORMAT_VERSION]), randomBytes(NONCE_BYTES)]);
  const cipher = createCipheriv(CIPHER, key, header.subarray(BACKUP_MAGIC.length + 1), { authTagLength: TAG_BYTES });
  cipher.setAAD(header);
  yield header;
  for await (const chunk of plaintext) {
    const encrypted = cipher.update(chunk);
    if (encrypted.length > 0) yield encrypted;
  }
  const last = cipher.final();
  if (last.length > 0) yield last;
  yield cipher.getAuthTag();
}

/**
 * Decrypts the encrypted backup `inputPath` into `outputPath`, which must not
 * exist. The plaintext goes to a temporary file beside it that becomes
 * `outputPath` only after the tag has been verified (and the file fsync'd);
 * on any failure the temporary file is removed and the input is untouched.
 */
export async function decryptBackupFile(inputPath: string, outputPath: string, key: Buffer): Promise<{ bytes: number }> {
  if (existsSync(outputPath)) throw new BackupDecryptionError(`${outputPath} exists; refusing to overwrite it`);
  const input = await open(inputPath, 'r');
  const temporaryPath = join(dirname(outputPath), `.${basename(outputPath)}.decrypting-${process.pid}`);
  let output: Awaited<ReturnType<typeof open>> | undefined;
  try {
    const { size } = await input.stat();
    const header = Buffer.alloc(BACKUP_HEADER_BYTES);
    const { bytesRead } = await input.read(header, 0, header.length, 0);
    if (bytesRead < BACKUP_MAGIC.length || !header.subarray(0, BACKUP_MAGIC.length).equals(BACKUP_MAGIC)) {
      throw new BackupDecryptionError(`${inputPath} is not an encrypted etcd-ts backup (no ${BACKUP_MAGIC.toString()} header)`);
    }
    if (bytesRead < BACKUP_HEADER_BYTES || size < BACKUP_HEADER_BYTES + TAG_BYTES) {
      throw new BackupDecryptionError(`${inputPath} is truncated (${size} bytes): wrong key or corrupted file`);
    }
    const version = header[BACKUP_MAGIC.length]!;
    if (version !== BACKUP_FORMAT_VERSION) throw new BackupDecryptionError(`${inputPath}: unsupported encrypted backup format version ${version}`);
    const tag = Buffer.alloc(TAG_BYTES);
    await input.read(tag, 0, TAG_BYTES, size - TAG_BYTES);
    const decipher = createDecipheriv(CIPHER, key, header.subarray(BACKUP_MAGIC.length + 1), { authTagLength: TAG_BYTES });
    decipher.setAAD(header);
    decipher.setAuthTag(tag);
    output = await open(temporaryPath, 'wx');
    const end = size - TAG_BYTES;
    const chunk = Buffer.alloc(1024 * 1024);
    let written = 0;
    for (let offset = BACKUP_HEADER_BYTES; offset < end; ) {
      const { bytesRead: read } = await input.read(chunk, 0, Math.min(chunk.length, end - offset), offset);
      if (read === 0) throw new BackupDecryptionError(`${inputPath}: unexpected end of file`);
      offset += read;
      const plain = decipher.update(chunk.subarray(0, read));
      await output.write(plain);
      written += plain.length;
    }
    let last: Buffer;
    try {
      last = decipher.final();
    } catch {
      throw new BackupDecryptionError(`${inputPath}: authentication failed: wrong key or corrupted file`);
    }
    await output.write(last);
    written += last.length;
    await output.sync();
    await output.close();
    output = undefined;
    // link refuses an existing name, so an OUT made meanwhile is not overwritten either.
    try {
      linkSync(temporaryPath, outputPath);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupDecryptionError(`${outputPath} exists; refusing to overwrite it`);
      throw error;
    }
    await syncDirectory(dirname(outputPath));
    return { bytes: written };
  } finally {
    await output?.close();
    await input.close();
    try {
      unlinkSync(temporaryPath);
    } catch {
      // never made, or already linked and removed
    }
  }
}
