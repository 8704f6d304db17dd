// bbolt's on-disk format (go.etcd.io/bbolt v1.3.x, the version etcd 3.4 uses):
// the file is an array of pages of `pageSize` bytes. Pages 0 and 1 are the two
// meta pages (the valid one with the higher txid wins), then a freelist page and
// the B+tree pages of the buckets. Every page starts with a 16-byte header
// {id u64, flags u16, count u16, overflow u32}; a page whose content is larger
// than one page continues in `overflow` following pages. All integers are
// little-endian (bbolt writes its structs in the machine's byte order, and
// every platform etcd supports is little-endian).

export const boltPageSize = 4096;
export const boltMagic = 0xed0cdaed;
export const boltVersion = 2;

export const pageHeaderSize = 16;
export const branchElementSize = 16; // {pos u32, ksize u32, pgid u64}
export const leafElementSize = 16; // {flags u32, pos u32, ksize u32, vsize u32}
export const bucketHeaderSize = 16; // {root pgid u64, sequence u64}

export const branchPageFlag = 0x01;
export const leafPageFlag = 0x02;
export const metaPageFlag = 0x04;
export const freelistPageFlag = 0x10;
/** Leaf element flag: the value is a nested bucket. */
export const bucketLeafFlag = 0x01;

/** Offset of the meta struct in a meta page, its size, and the checksum's offset in it. */
export const metaOffset = pageHeaderSize;
export const metaChecksumOffset = 56;
export const metaSize = 64;

export const noFreelistPageId = 0xffff_ffff_ffff_ffffn;

const fnvOffsetBasis = 0xcbf29ce484222325n;
const fnvPrime = 0x100000001b3n;
const mask64 = (1n << 64n) - 1n;

/** FNV-1a, 64 bits (Go's hash/fnv New64a), bbolt's meta checksum. */
export function fnv64a(bytes: Uint8Array): bigint {
  let hash = fnvOffsetBasis;
  for (const byte of bytes) {
    hash ^= BigInt(byte);
    hash = (hash * fnvPrime) & mask64;
  }
  return hash;
}

export interface BoltMeta {
  readonly magic: number;
  readonly version: number;
  readonly pageSize: number;
  readonly flags: number;
  readonly rootPageId: number;
  readonly rootSequence: bigint;
  readonly freelistPageId: bigint;
  /** High-water mark: the number of pages in use. */
  readonly pageCount: number;
  readonly txid: bigint;
  readonly checksum: bigint;
}

/** Writes a complete meta page for `meta` (checksum computed here) into `page` at offset 0. */
export function writeMetaPage(page: Buffer, pageId: number, meta: Omit<BoltMeta, 'checksum' | 'magic' | 'version'>): void {
  page.fill(0, 0, pageHeaderSize + metaSize);
  page.writeBigUInt64LE(BigInt(pageId), 0);
  page.writeUInt16LE(metaPageFlag, 8);
  const m = metaOffset;
  page.writeUInt32LE(boltMagic, m);
  page.writeUInt32LE(boltVersion, m + 4);
  page.writeUInt32LE(meta.pageSize, m + 8);
  page.writeUInt32LE(meta.flags, m + 12);
  page.writeBigUInt64LE(BigInt(meta.rootPageId), m + 16);
  page.writeBigUInt64LE(meta.rootSequence, m + 24);
  page.writeBigUInt64LE(meta.freelistPageId, m + 32);
  page.writeBigUInt64LE(BigInt(meta.pageCount), m + 40);
  page.writeBigUInt64LE(meta.txid, m + 48);
  page.writeBigUInt64LE(fnv64a(page.subarray(m, m + metaChecksumOffset)), m + metaChecksumOffset);
}

/** Reads the meta struct of a meta page; `valid` says whether magic, version and checksum hold. */
export function readMetaPage(page: Buffer): { meta: BoltMeta; valid: boolean; reason?: string } {
  const m = metaOffset;
  const meta: BoltMeta = {
    magic: page.readUInt32LE(m),
    version: page.readUInt32LE(m + 4),
    pageSize: page.readUInt32LE(m + 8),
    flags: page.readUInt32LE(m + 12),
    rootPageId: Number(page.readBigUInt64LE(m + 16)),
    rootSequence: page.readBigUInt64LE(m + 24),
    freelistPageId: page.readBigUInt64LE(m + 32),
    pageCount: Number(page.readBigUInt64LE(m + 40)),
    txid: page.readBigUInt64LE(m + 48),
    checksum: page.readBigUInt64LE(m + metaChecksumOffset),
  };
  if (meta.magic !== boltMagic) return { meta, valid: false, reason: 'invalid database' };
  if (meta.version !== boltVersion) return { meta, valid: false, reason: 'version mismatch' };
  if (meta.checksum !== fnv64a(page.subarray(m, m + metaChecksumOffset))) return { meta, valid: false, reason: 'checksum error' };
  return { meta, valid: true };
}
