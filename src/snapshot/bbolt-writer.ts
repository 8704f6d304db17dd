// Writes a bbolt database file (the format etcd's backend uses) page by page,
// with flat memory: leaf pages go to the file as soon as they are full, and
// only one key per written page is kept to build the branch levels above them.
// Layout: meta pages 0 and 1, an empty freelist page 2, then every bucket's
// pages, then the root bucket's pages; the meta pages are written last.
// Every page written is reachable, so `bbolt check` finds no unreachable page.

import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import {
  boltPageSize,
  branchElementSize,
  branchPageFlag,
  bucketHeaderSize,
  bucketLeafFlag,
  freelistPageFlag,
  leafElementSize,
  leafPageFlag,
  pageHeaderSize,
  writeMetaPage,
} from './bbolt-format.js';

interface ChildPage {
  readonly firstKey: Buffer;
  readonly pageId: number;
}

interface LeafElement {
  readonly key: Buffer;
  readonly value: Buffer;
  readonly flags: number;
}

const firstDataPageId = 3;

export class BoltWriter {
  private readonly descriptor: number;
  private nextPageId = firstDataPageId;
  private readonly bucketRoots = new Map<string, { name: Buffer; rootPageId: number }>();
  private current: OpenBucket | undefined;
  private finished = false;

  constructor(readonly path: string) {
    this.descriptor = openSync(path, 'w', 0o600);
  }

  /** Starts a top-level bucket; its keys must then be added in ascending byte order. */
  beginBucket(name: Buffer | string): void {
    if (this.current !== undefined) throw new Error('bbolt writer: a bucket is already open');
    const nameBytes = typeof name === 'string' ? Buffer.from(name) : name;
    if (this.bucketRoots.has(nameBytes.toString('hex'))) throw new Error(`bbolt writer: bucket ${nameBytes.toString()} written twice`);
    this.current = new OpenBucket(nameBytes);
  }

  put(key: Buffer, value: Buffer): void {
    const bucket = this.current;
    if (bucket === undefined) throw new Error('bbolt writer: no open bucket');
    if (key.length === 0) throw new Error('bbolt writer: empty key');
    if (bucket.lastKey !== undefined && Buffer.compare(bucket.lastKey, key) >= 0) {
      throw new Error('bbolt writer: keys must be added in ascending order');
    }
    bucket.lastKey = key;
    this.addLeafElement(bucket, { key, value, flags: 0 });
  }

  endBucket(): void {
    const bucket = this.current;
    if (bucket === undefined) throw new Error('bbolt writer: no open bucket');
    const rootPageId = this.closeTree(bucket);
    this.bucketRoots.set(bucket.name.toString('hex'), { name: bucket.name, rootPageId });
    this.current = undefined;
  }

  /** Writes the root bucket, the freelist and both meta pages, fsyncs and closes. Returns the file size. */
  finish(): number {
    if (this.current !== undefined) throw new Error('bbolt writer: a bucket is still open');
    if (this.finished) throw new Error('bbolt writer: already finished');
    const root = new OpenBucket(Buffer.alloc(0));
    const names = [...this.bucketRoots.values()].sort((a, b) => Buffer.compare(a.name, b.name));
    for (const { name, rootPageId } of names) {
      const header = Buffer.alloc(bucketHeaderSize);
      header.writeBigUInt64LE(BigInt(rootPageId), 0); // root; sequence 0
      this.addLeafElement(root, { key: name, value: header, flags: bucketLeafFlag });
    }
    const rootPageId = this.closeTree(root);
    const pageCount = this.nextPageId;

    const freelist = Buffer.alloc(boltPageSize);
    writePageHeader(freelist, 2, freelistPageFlag, 0, 0);
    this.writePage(2, freelist);
    for (const pageId of [0, 1]) {
      const page = Buffer.alloc(boltPageSize);
      writeMetaPage(page, pageId, {
        pageSize: boltPageSize,
        flags: 0,
        rootPageId,
        rootSequence: 0n,
        freelistPageId: 2n,
        pageCount,
        txid: BigInt(pageId + 1),
      });
      this.writePage(pageId, page);
    }
    fsyncSync(this.descriptor);
    closeSync(this.descriptor);
    this.finished = true;
    return pageCount * boltPageSize;
  }

  /** Closes the file without finishing it (after an error). */
  abort(): void {
    if (this.finished) return;
    this.finished = true;
    closeSync(this.descriptor);
  }

  private addLeafElement(bucket: OpenBucket, element: LeafElement): void {
    const size = leafElementSize + element.key.length + element.value.length;
    if (bucket.pending.length > 0 && bucket.pendingBytes + size > boltPageSize) this.flushLeaf(bucket);
    bucket.pending.push(element);
    bucket.pendingBytes += size;
  }

  private flushLeaf(bucket: OpenBucket): void {
    const elements = bucket.pending;
    const pageId = this.writeNode(leafPageFlag, elements.length, bucket.pendingBytes, (page) => {
      let dataOffset = pageHeaderSize + elements.length * leafElementSize;
      elements.forEach((element, index) => {
        const elementOffset = pageHeaderSize + index * leafElementSize;
        page.writeUInt32LE(element.flags, elementOffset);
        page.writeUInt32LE(dataOffset - elementOffset, elementOffset + 4);
        page.writeUInt32LE(element.key.length, elementOffset + 8);
        page.writeUInt32LE(element.value.length, elementOffset + 12);
        element.key.copy(page, dataOffset);
        dataOffset += element.key.length;
        element.value.copy(page, dataOffset);
        dataOffset += element.value.length;
      });
    });
    bucket.children.push({ firstKey: elements[0]?.key ?? Buffer.alloc(0), pageId });
    bucket.pending = [];
    bucket.pendingBytes = pageHeaderSize;
  }

  /** Writes the last leaf and the branch levels above the leaves; returns the tree's root page id. */
  private closeTree(bucket: OpenBucket): number {
    if (bucket.pending.length > 0 || bucket.children.length === 0) this.flushLeaf(bucket);
    let level = bucket.children;
    while (level.length > 1) {
      const next: ChildPage[] = [];
      let group: ChildPage[] = [];
      let groupBytes = pageHeaderSize;
      const flush = (): void => {
        const children = group;
        const pageId = this.writeNode(branchPageFlag, children.length, groupBytes, (page) => {
          let dataOffset = pageHeaderSize + children.length * branchElementSize;
          children.forEach((child, index) => {
            const elementOffset = pageHeaderSize + index * branchElementSize;
            page.writeUInt32LE(dataOffset - elementOffset, elementOffset);
            page.writeUInt32LE(child.firstKey.length, elementOffset + 4);
            page.writeBigUInt64LE(BigInt(child.pageId), elementOffset + 8);
            child.firstKey.copy(page, dataOffset);
            dataOffset += child.firstKey.length;
          });
        });
        next.push({ firstKey: children[0]!.firstKey, pageId });
        group = [];
        groupBytes = pageHeaderSize;
      };
      for (const child of level) {
        const size = branchElementSize + child.firstKey.length;
        if (group.length >= 2 && groupBytes + size > boltPageSize) flush();
        group.push(child);
        groupBytes += size;
      }
      flush();
      level = next;
    }
    return level[0]!.pageId;
  }

  /** Allocates the pages for a node of `bytes` bytes, fills them and writes them; returns the first page id. */
  private writeNode(flags: number, count: number, bytes: number, fill: (page: Buffer) => void): number {
    if (count > 0xffff) throw new Error('bbolt writer: too many elements in one page');
    const pages = Math.max(1, Math.ceil(bytes / boltPageSize));
    const pageId = this.nextPageId;
    this.nextPageId += pages;
    const page = Buffer.alloc(pages * boltPageSize);
    writePageHeader(page, pageId, flags, count, pages - 1);
    fill(page);
    this.writePage(pageId, page);
    return pageId;
  }

  private writePage(pageId: number, bytes: Buffer): void {
    let written = 0;
    while (written < bytes.length) {
      written += writeSync(this.descriptor, bytes, written, bytes.length - written, pageId * boltPageSize + written);
    }
  }
}

class OpenBucket {
  pending: LeafElement[] = [];
  pendingBytes = pageHeaderSize;
  readonly children: ChildPage[] = [];
  lastKey: Buffer | undefined;
  constructor(readonly name: Buffer) {}
}

function writePageHeader(page: Buffer, pageId: number, flags: number, count: number, overflow: number): void {
  page.writeBigUInt64LE(BigInt(pageId), 0);
  page.writeUInt16LE(flags, 8);
  page.writeUInt16LE(count, 10);
  page.writeUInt32LE(overflow, 12);
}
