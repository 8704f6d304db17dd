// Reads a bbolt database file (etcd's backend, or a snapshot of it): picks the
// valid meta page with the highest txid, then walks the root bucket and each
// top-level bucket's B+tree (or inline page) in key order. Pages are read from
// the file one at a time, so memory stays flat whatever the file size.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import {
  boltPageSize,
  branchElementSize,
  branchPageFlag,
  bucketHeaderSize,
  bucketLeafFlag,
  leafElementSize,
  leafPageFlag,
  pageHeaderSize,
  readMetaPage,
  type BoltMeta,
} from './bbolt-format.js';

export class BoltFormatError extends Error {}

/** Where a bucket's entries live: a page tree in the file, or an inline page inside its parent's value. */
type BucketLocation = { readonly rootPageId: number } | { readonly inlinePage: Buffer };

export class BoltReader {
  private readonly descriptor: number;
  readonly meta: BoltMeta;
  readonly fileSize: number;
  private closed = false;

  /** Opens `path`, reading at most its first `limit` bytes (the rest, e.g. a sha256 trailer, is ignored). */
  constructor(readonly path: string, limit?: number) {
    this.descriptor = openSync(path, 'r');
    try {
      this.fileSize = Math.min(fstatSync(this.descriptor).size, limit ?? Number.MAX_SAFE_INTEGER);
      this.meta = this.readMeta();
    } catch (error) {
      closeSync(this.descriptor);
      throw error;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.descriptor);
  }

  /** The names of the top-level buckets, in key order. */
  bucketNames(): Buffer[] {
    const names: Buffer[] = [];
    this.forEachElement({ rootPageId: this.meta.rootPageId }, (key, _value, flags) => {
      if ((flags & bucketLeafFlag) !== 0) names.push(Buffer.from(key));
    });
    return names;
  }

  /** Visits every key/value of top-level bucket `name` in key order; false if there is no such bucket. */
  forEach(name: Buffer | string, visit: (key: Buffer, value: Buffer) => void): boolean {
    const nameBytes = typeof name === 'string' ? Buffer.from(name) : name;
    let location: BucketLocation | undefined;
    this.forEachElement({ rootPageId: this.meta.rootPageId }, (key, value, flags) => {
      if ((flags & bucketLeafFlag) !== 0 && key.equals(nameBytes)) location = bucketLocation(value);
    });
    if (location === undefined) return false;
    this.forEachElement(location, (key, value, flags) => {
      // etcd keeps no nested buckets; skip any rather than present them as values.
      if ((flags & bucketLeafFlag) === 0) visit(key, value);
    });
    return true;
  }

  private readMeta(): BoltMeta {
    if (this.fileSize < 2 * pageHeaderSize + 64) throw new BoltFormatError('file size too small');
    const candidates: BoltMeta[] = [];
    let firstReason = 'invalid database';
    // The second meta page sits at the page size recorded in the first; bbolt
    // files written by etcd use the OS page size, which is 4096 on its platforms.
    const first = this.readBytes(0, Math.min(boltPageSize, this.fileSize));
    const firstMeta = readMetaPage(first);
    if (firstMeta.valid) candidates.push(firstMeta.meta);
    else firstReason = firstMeta.reason ?? firstReason;
    const pageSize = firstMeta.valid ? firstMeta.meta.pageSize : boltPageSize;
    if (this.fileSize >= pageSize * 2) {
      const second = readMetaPage(this.readBytes(pageSize, pageSize));
      if (second.valid) candidates.push(second.meta);
    }
    if (candidates.length === 0) throw new BoltFormatError(firstReason);
    candidates.sort((a, b) => (a.txid > b.txid ? -1 : a.txid < b.txid ? 1 : 0));
    const meta = candidates[0]!;
    if (meta.pageSize !== boltPageSize) throw new BoltFormatError(`unsupported page size ${meta.pageSize}`);
    if (meta.pageCount * meta.pageSize > this.fileSize) {
      throw new BoltFormatError(`file size too small: ${this.fileSize} bytes for ${meta.pageCount} pages`);
    }
    return meta;
  }

  private readBytes(offset: number, length: number): Buffer {
    if (offset + length > this.fileSize) throw new BoltFormatError(`page beyond end of file at offset ${offset}`);
    const bytes = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const read = readSync(this.descriptor, bytes, done, length - done, offset + done);
      if (read === 0) throw new BoltFormatError('unexpected end of file');
      done += read;
    }
    return bytes;
  }

  private readPage(pageId: number): Buffer {
    if (pageId < 2 || pageId >= this.meta.pageCount) throw new BoltFormatError(`page ${pageId} out of bounds`);
    const header = this.readBytes(pageId * boltPageSize, boltPageSize);
    const overflow = header.readUInt32LE(12);
    if (overflow === 0) return header;
    if (pageId + overflow >= this.meta.pageCount) throw new BoltFormatError(`page ${pageId} overflows the file`);
    return this.readBytes(pageId * boltPageSize, (overflow + 1) * boltPageSize);
  }

  private forEachElement(location: BucketLocation, visit: (key: Buffer, value: Buffer, flags: number) => void): void {
    if ('inlinePage' in location) {
      this.forEachInPage(location.inlinePage, visit, 0);
      return;
    }
    this.forEachInPage(this.readPage(location.rootPageId), visit, 0);
  }

  private forEachInPage(page: Buffer, visit: (key: Buffer, value: Buffer, flags: number) => void, depth: number): void {
    if (depth > 64) throw new BoltFormatError('page tree too deep');
    const flags = page.readUInt16LE(8);
    const count = page.readUInt16LE(10);
    if ((flags & leafPageFlag) !== 0) {
      for (let index = 0; index < count; index++) {
        const elementOffset = pageHeaderSize + index * leafElementSize;
        const elementFlags = page.readUInt32LE(elementOffset);
        const keyOffset = elementOffset + page.readUInt32LE(elementOffset + 4);
        const keySize = page.readUInt32LE(elementOffset + 8);
        const valueSize = page.readUInt32LE(elementOffset + 12);
        if (keyOffset + keySize + valueSize > page.length) throw new BoltFormatError('leaf element beyond its page');
        visit(page.subarray(keyOffset, keyOffset + keySize), page.subarray(keyOffset + keySize, keyOffset + keySize + valueSize), elementFlags);
      }
    } else if ((flags & branchPageFlag) !== 0) {
      for (let index = 0; index < count; index++) {
        const elementOffset = pageHeaderSize + index * branchElementSize;
        const childPageId = Number(page.readBigUInt64LE(elementOffset + 8));
        this.forEachInPage(this.readPage(childPageId), visit, depth + 1);
      }
    } else {
      throw new BoltFormatError(`invalid page type ${flags.toString(16)}`);
    }
  }
}

function bucketLocation(value: Buffer): BucketLocation {
  if (value.length < bucketHeaderSize) throw new BoltFormatError('bucket header too short');
  const rootPageId = Number(value.readBigUInt64LE(0));
  if (rootPageId === 0) return { inlinePage: Buffer.from(value.subarray(bucketHeaderSize)) };
  return { rootPageId };
}
