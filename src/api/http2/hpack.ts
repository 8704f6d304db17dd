// HPACK (RFC 7541), just enough for the :authority rewrite
// (authority-rewriter.ts): a decoder that mirrors the client's dynamic table
// (static table, dynamic table with eviction and size updates, prefixed
// integers, Huffman strings) and an encoder that writes only literals
// without indexing, so the receiving decoder's dynamic table stays empty.
// Names and values are bytes (Buffers): header values need not be UTF-8.
// The encoders that only tests need (indexed fields, literals with
// indexing, Huffman strings) are in test/api/http2/hpack-encoder.ts.

export class HpackError extends Error {
  constructor(message: string) {
    super(`hpack: ${message}`);
    this.name = 'HpackError';
  }
}

export interface HeaderField {
  name: Buffer;
  value: Buffer;
}

// RFC 7541 Appendix A.
const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'],
  [':path', '/index.html'], [':scheme', 'http'], [':scheme', 'https'], [':status', '200'],
  [':status', '204'], [':status', '206'], [':status', '304'], [':status', '400'],
  [':status', '404'], [':status', '500'], ['accept-charset', ''], ['accept-encoding', 'gzip, deflate'],
  ['accept-language', ''], ['accept-ranges', ''], ['accept', ''], ['access-control-allow-origin', ''],
  ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''],
  ['date', ''], ['etag', ''], ['expect', ''], ['expires', ''],
  ['from', ''], ['host', ''], ['if-match', ''], ['if-modified-since', ''],
  ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''], ['last-modified', ''],
  ['link', ''], ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''],
  ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''],
  ['retry-after', ''], ['server', ''], ['set-cookie', ''], ['strict-transport-security', ''],
  ['transfer-encoding', ''], ['user-agent', ''], ['vary', ''], ['via', ''],
  ['www-authenticate', ''],
];
const STATIC_FIELDS: HeaderField[] = STATIC_TABLE.map(([name, value]) => ({
  name: Buffer.from(name, 'latin1'),
  value: Buffer.from(value, 'latin1'),
}));

/**
 * RFC 7541 Appendix B: code lengths of symbols 0..255 and EOS (256). The
 * code is canonical (codes of one length are consecutive, in symbol order,
 * and shorter codes come first), so the lengths determine every code.
 */
export const HUFFMAN_CODE_LENGTHS: readonly number[] = [
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6, 5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6,
  12, 10, 13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13,
  14, 6, 15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5, 6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14,
  13, 28, 20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23, 24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23,
  23, 24, 22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23, 21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22,
  22, 23, 26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25, 19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27,
  27, 27, 20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23, 26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27,
  27, 26, 30,
];
const HUFFMAN_EOS = 256;
const MAX_CODE_LENGTH = 30;

/** Canonical decoding tables: for each length, the first code and where its symbols start. */
const huffman = (() => {
  const symbols = HUFFMAN_CODE_LENGTHS.map((_, symbol) => symbol).sort(
    (a, b) => HUFFMAN_CODE_LENGTHS[a]! - HUFFMAN_CODE_LENGTHS[b]! || a - b,
  );
  const firstCode = new Array<number>(MAX_CODE_LENGTH + 1).fill(0);
  const count = new Array<number>(MAX_CODE_LENGTH + 1).fill(0);
  const firstIndex = new Array<number>(MAX_CODE_LENGTH + 1).fill(0);
  let code = 0;
  let length = HUFFMAN_CODE_LENGTHS[symbols[0]!]!;
  for (let i = 0; i < symbols.length; i++) {
    const symbol = symbols[i]!;
    const symbolLength = HUFFMAN_CODE_LENGTHS[symbol]!;
    if (i > 0) code = (code + 1) * 2 ** (symbolLength - length);
    if (count[symbolLength] === 0) {
      firstCode[symbolLength] = code;
      firstIndex[symbolLength] = i;
    }
    count[symbolLength]!++;
    length = symbolLength;
  }
  return { symbols, firstCode, count, firstIndex };
})();

export function huffmanDecode(input: Buffer): Buffer {
  const out = Buffer.allocUnsafe(Math.ceil((input.length * 8) / 5));
  let written = 0;
  let code = 0;
  let length = 0;
  for (let i = 0; i < input.length; i++) {
    const octet = input[i]!;
    for (let bit = 7; bit >= 0; bit--) {
      code = code * 2 + ((octet >> bit) & 1);
      length++;
      const offset = code - huffman.firstCode[length]!;
      if (offset >= 0 && offset < huffman.count[length]!) {
        const symbol = huffman.symbols[huffman.firstIndex[length]! + offset]!;
        if (symbol === HUFFMAN_EOS) throw new HpackError('EOS in Huffman string');
        out[written++] = symbol;
        code = 0;
        length = 0;
      } else if (length >= MAX_CODE_LENGTH) {
        throw new HpackError('invalid Huffman code');
      }
    }
  }
  // Padding: fewer than 8 bits, all ones (the most significant bits of EOS).
  if (length > 7 || code !== 2 ** length - 1) throw new HpackError('invalid Huffman padding');
  return out.subarray(0, written);
}

const ENTRY_OVERHEAD = 32;
/** Largest table a client may ask for with a size update; far above any real SETTINGS_HEADER_TABLE_SIZE. */
const MAX_TABLE_SIZE = 1 << 20;
/** Integers beyond this are not lengths or indices a sane peer sends. */
const MAX_INTEGER = 2 ** 31 - 1;

/** A decoder with its own dynamic table (RFC 7541 §2.3.2, §4). */
export class HpackDecoder {
  /** Newest first. */
  private dynamic: HeaderField[] = [];
  private size = 0;
  private maxSize: number;

  constructor(maxTableSize = 4096) {
    this.maxSize = maxTableSize;
  }

  get dynamicTableSize(): number {
    return this.size;
  }

  get dynamicTableLength(): number {
    return this.dynamic.length;
  }

  /** Decodes one complete header block, updating the dynamic table. */
  decode(block: Buffer): HeaderField[] {
    const headers: HeaderField[] = [];
    const reader = { block, offset: 0 };
    let fieldSeen = false;
    while (reader.offset < block.length) {
      const first = block[reader.offset]!;
      if (first & 0x80) {
        // Indexed header field.
        const index = readInteger(reader, 7);
        headers.push(this.lookup(index));
        fieldSeen = true;
      } else if (first & 0x40) {
        // Literal with incremental indexing.
        const field = this.readLiteral(reader, 6);
        this.add(field);
        headers.push(field);
        fieldSeen = true;
      } else if (first & 0x20) {
        // Dynamic table size update: only at the start of a block.
        if (fieldSeen) throw new HpackError('table size update after a header field');
        const size = readInteger(reader, 5);
        if (size > MAX_TABLE_SIZE) throw new HpackError(`table size ${size} too large`);
        this.maxSize = size;
        this.evict();
      } else {
        // Literal without indexing (0000) or never indexed (0001).
        headers.push(this.readLiteral(reader, 4));
        fieldSeen = true;
      }
    }
    return headers;
  }

  private readLiteral(reader: Reader, prefixBits: number): HeaderField {
    const index = readInteger(reader, prefixBits);
    const name = index === 0 ? readString(reader) : this.lookup(index).name;
    const value = readString(reader);
    return { name, value };
  }

  private lookup(index: number): HeaderField {
    if (index === 0) throw new HpackError('index 0');
    if (index <= STATIC_FIELDS.length) return STATIC_FIELDS[index - 1]!;
    const field = this.dynamic[index - STATIC_FIELDS.length - 1];
    if (!field) throw new HpackError(`index ${index} beyond the tables`);
    return field;
  }

  private add(field: HeaderField): void {
    const entrySize = field.name.length + field.value.length + ENTRY_OVERHEAD;
    if (entrySize > this.maxSize) {
      // §4.4: an entry larger than the table empties it and is not added.
      this.dynamic = [];
      this.size = 0;
      return;
    }
    // Copies: the block's buffer must not be kept alive by the table.
    this.dynamic.unshift({ name: Buffer.from(field.name), value: Buffer.from(field.value) });
    this.size += entrySize;
    this.evict();
  }

  private evict(): void {
    while (this.size > this.maxSize) {
      const oldest = this.dynamic.pop()!;
      this.size -= oldest.name.length + oldest.value.length + ENTRY_OVERHEAD;
    }
  }
}

interface Reader {
  block: Buffer;
  offset: number;
}

function readInteger(reader: Reader, prefixBits: number): number {
  const { block } = reader;
  if (reader.offset >= block.length) throw new HpackError('truncated integer');
  const max = (1 << prefixBits) - 1;
  let value = block[reader.offset++]! & max;
  if (value < max) return value;
  let shift = 0;
  for (;;) {
    if (reader.offset >= block.length) throw new HpackError('truncated integer');
    const octet = block[reader.offset++]!;
    value += (octet & 0x7f) * 2 ** shift;
    if (value > MAX_INTEGER) throw new HpackError('integer too large');
    if ((octet & 0x80) === 0) return value;
    shift += 7;
  }
}

function readString(reader: Reader): Buffer {
  const { block } = reader;
  if (reader.offset >= block.length) throw new HpackError('truncated string');
  const isHuffman = (block[reader.offset]! & 0x80) !== 0;
  const length = readInteger(reader, 7);
  if (reader.offset + length > block.length) throw new HpackError('truncated string');
  const raw = block.subarray(reader.offset, reader.offset + length);
  reader.offset += length;
  return isHuffman ? huffmanDecode(raw) : raw;
}

/** Appends `value` as an RFC 7541 §5.1 integer with a `prefixBits`-bit prefix, after the `firstBits` pattern. */
export function writeInteger(out: number[], firstBits: number, prefixBits: number, value: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(firstBits | value);
    return;
  }
  out.push(firstBits | max);
  value -= max;
  while (value >= 0x80) {
    out.push((value % 0x80) | 0x80);
    value = Math.floor(value / 0x80);
  }
  out.push(value);
}

/**
 * Encodes fields as literals without indexing with literal (raw) names and
 * values: the block neither reads nor changes the receiver's dynamic table.
 */
export function encodeLiteralsWithoutIndexing(fields: readonly HeaderField[]): Buffer {
  const parts: Buffer[] = [];
  for (const { name, value } of fields) {
    const prefix: number[] = [0x00];
    writeInteger(prefix, 0x00, 7, name.length);
    parts.push(Buffer.from(prefix), name);
    const valuePrefix: number[] = [];
    writeInteger(valuePrefix, 0x00, 7, value.length);
    parts.push(Buffer.from(valuePrefix), value);
  }
  return Buffer.concat(parts);
}
