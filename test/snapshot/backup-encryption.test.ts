// Encrypted backups (src/snapshot/backup-encryption.ts): a streamed round
// trip of several chunks; the documented header; and every bad input — a
// wrong key, a truncated file, a flipped byte in the header, the ciphertext
// or the tag, a file that is not an encrypted backup, an existing output —
// refused with a clear error, no output left behind, the input unchanged.
// Key files: 32 raw bytes or 64 hex characters, nothing else.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BACKUP_HEADER_BYTES,
  BACKUP_MAGIC,
  BackupDecryptionError,
  BackupKeyError,
  decryptBackupFile,
  encryptBackup,
  parseBackupKey,
  readBackupKeyFile,
} from '../../src/snapshot/backup-encryption.js';

const directory = mkdtempSync(join(tmpdir(), 'etcd-ts-backup-encryption-'));
after(() => rmSync(directory, { recursive: true, force: true }));

let fileNumber = 0;
const path = (name: string): string => join(directory, `${fileNumber++}-${name}`);

async function* chunksOf(data: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let offset = 0; offset < data.length; offset += size) yield data.subarray(offset, offset + size);
}

async function encryptToFile(data: Buffer, key: Buffer): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of encryptBackup(chunksOf(data, 64 * 1024 + 7), key)) parts.push(part);
  const file = path('backup.db.enc');
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

/** Decrypting must fail with `message`, leave no output (nor temporary file) and the input as it was. */
async function assertRefused(input: string, key: Buffer, message: RegExp): Promise<void> {
  const before = readFileSync(input);
  const output = path('out.db');
  const filesBefore = readdirSync(directory).length;
  await assert.rejects(decryptBackupFile(input, output, key), (error: Error) => {
    assert.ok(error instanceof BackupDecryptionError, `${error.constructor.name}: ${error.message}`);
    assert.match(error.message, message);
    return true;
  });
  assert.equal(existsSync(output), false, 'no output after a failure');
  assert.equal(readdirSync(directory).length, filesBefore, 'no temporary file left');
  assert.deepEqual(readFileSync(input), before, 'input unchanged');
}

describe('encrypted backups (AES-256-GCM)', () => {
  const key = randomBytes(32);
  // More than one read chunk of the decrypter (1 MiB), not a multiple of anything.
  const plaintext = randomBytes(3 * 1024 * 1024 + 123);

  it('round-trips a multi-chunk file, with the documented header and the tag at the end', async () => {
    const encrypted = await encryptToFile(plaintext, key);
    const bytes = readFileSync(encrypted);
    assert.equal(bytes.length, BACKUP_HEADER_BYTES + plaintext.length + 16);
    assert.deepEqual(bytes.subarray(0, 8), Buffer.from('ETCDTSBK'));
    assert.deepEqual(BACKUP_MAGIC, Buffer.from('ETCDTSBK'));
    assert.equal(bytes[8], 1, 'format version');
    assert.equal(BACKUP_HEADER_BYTES, 8 + 1 + 12);
    // The ciphertext is not the plaintext.
    assert.notDeepEqual(bytes.subarray(BACKUP_HEADER_BYTES, BACKUP_HEADER_BYTES + 64), plaintext.subarray(0, 64));
    const output = path('plain.db');
    const result = await decryptBackupFile(encrypted, output, key);
    assert.equal(result.bytes, plaintext.length);
    assert.equal(createHash('sha256').update(readFileSync(output)).digest('hex'), createHash('sha256').update(plaintext).digest('hex'));
  });

  it('uses a fresh nonce per file', async () => {
    const first = readFileSync(await encryptToFile(plaintext.subarray(0, 1000), key));
    const second = readFileSync(await encryptToFile(plaintext.subarray(0, 1000), key));
    assert.notDeepEqual(first.subarray(9, 21), second.subarray(9, 21));
    assert.notDeepEqual(first.subarray(21), second.subarray(21));
  });

  it('refuses a wrong key', async () => {
    const encrypted = await encryptToFile(plaintext, key);
    await assertRefused(encrypted, randomBytes(32), /wrong key or corrupted file/);
  });

  it('refuses truncated files: short of the tag, mid-ciphertext, down to the header', async () => {
    const bytes = readFileSync(await encryptToFile(plaintext, key));
    for (const length of [bytes.length - 1, bytes.length - 16, Math.floor(bytes.length / 2), BACKUP_HEADER_BYTES + 16, BACKUP_HEADER_BYTES + 3]) {
      const truncated = path('truncated.db.enc');
      writeFileSync(truncated, bytes.subarray(0, length));
      await assertRefused(truncated, key, /wrong key or corrupted file/);
    }
  });

  it('refuses a flipped byte in the ciphertext, the tag, the nonce or the version', async () => {
    const bytes = readFileSync(await encryptToFile(plaintext, key));
    const cases: [string, number, RegExp][] = [
      ['first ciphertext byte', BACKUP_HEADER_BYTES, /wrong key or corrupted file/],
      ['middle ciphertext byte', Math.floor(bytes.length / 2), /wrong key or corrupted file/],
      ['last ciphertext byte', bytes.length - 17, /wrong key or corrupted file/],
      ['tag byte', bytes.length - 1, /wrong key or corrupted file/],
      ['nonce byte', 12, /wrong key or corrupted file/],
      ['version byte', 8, /unsupported encrypted backup format version/],
    ];
    for (const [what, offset, message] of cases) {
      const garbled = Buffer.from(bytes);
      garbled[offset] = garbled[offset]! ^ 0x01;
      const file = path('garbled.db.enc');
      writeFileSync(file, garbled);
      await assertRefused(file, key, message).catch((error: Error) => assert.fail(`${what}: ${error.message}`));
    }
  });

  it('refuses a file that is not an encrypted backup', async () => {
    const plain = path('plain-snapshot.db');
    writeFileSync(plain, plaintext.subarray(0, 4096));
    await assertRefused(plain, key, /is not an encrypted etcd-ts backup/);
    const empty = path('empty.db.enc');
    writeFileSync(empty, Buffer.alloc(0));
    await assertRefused(empty, key, /is not an encrypted etcd-ts backup/);
  });

  it('refuses to overwrite an existing output', async () => {
    const encrypted = await encryptToFile(plaintext.subarray(0, 5000), key);
    const output = path('existing.db');
    writeFileSync(output, 'keep me');
    await assert.rejects(decryptBackupFile(encrypted, output, key), /exists; refusing to overwrite it/);
    assert.equal(readFileSync(output, 'utf8'), 'keep me');
  });
});

describe('backup key files', () => {
  it('takes 32 raw bytes', () => {
    const raw = randomBytes(32);
    const file = path('raw.key');
    writeFileSync(file, raw);
    assert.deepEqual(readBackupKeyFile(file), raw);
  });

  it('takes 64 hex characters, with or without a trailing newline', () => {
    const raw = randomBytes(32);
    assert.deepEqual(parseBackupKey(Buffer.from(raw.toString('hex')), 'k'), raw);
    assert.deepEqual(parseBackupKey(Buffer.from(`${raw.toString('hex').toUpperCase()}\n`), 'k'), raw);
  });

  it('refuses anything else with a clear error', () => {
    for (const content of [randomBytes(31), randomBytes(33), Buffer.alloc(0), Buffer.from('z'.repeat(64)), Buffer.from(`${'ab'.repeat(31)}\n`), Buffer.from('ab'.repeat(33))]) {
      assert.throws(() => parseBackupKey(content, 'key.bin'), (error: Error) => {
        assert.ok(error instanceof BackupKeyError);
        assert.match(error.message, /^key\.bin: an encryption key must be 32 raw bytes or 64 hex characters, got \d+ bytes$/);
        return true;
      });
    }
    assert.throws(() => readBackupKeyFile(join(directory, 'missing.key')), /cannot read encryption key file: .*ENOENT/);
  });
});
