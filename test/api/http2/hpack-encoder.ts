// HPACK encoders that only tests need, to craft header blocks the way
// clients write them: indexed fields, literals with incremental indexing,
// Huffman strings. The server's side (src/api/http2/hpack.ts) decodes these
// and writes only literals without indexing.
//
// The Huffman codes are built here from the code lengths alone, apart from
// the decoder's own tables, so a round trip checks the two against each other.

import { HUFFMAN_CODE_LENGTHS, writeInteger, type HeaderField } from '../../../src/api/http2/hpack.js';

/** Canonical Huffman codes (RFC 7541 Appendix B) of symbols 0..256, from their lengths. */
const HUFFMAN_CODES: readonly number[] = (() => {
  const codes = new Array<number>(HUFFMAN_CODE_LENGTHS.length).fill(0);
  let next = 0;
  let previousLength = 0;
  const maxLength = Math.max(...HUFFMAN_CODE_LENGTHS);
  for (let length = 1; length <= maxLength; length++) {
    for (let symbol = 0; symbol < HUFFMAN_CODE_LENGTHS.length; symbol++) {
      if (HUFFMAN_CODE_LENGTHS[symbol] !== length) continue;
      next *= 2 ** (length - previousLength);
      previousLength = length;
      codes[symbol] = next++;
    }
  }
  return codes;
})();

/** The Huffman code of `symbol` (0..256; 256 is EOS). */
export function huffmanCode(symbol: number): { code: number; length: number } {
  return { code: HUFFMAN_CODES[symbol]!, length: HUFFMAN_CODE_LENGTHS[symbol]! };
}

/** `input` as a Huffman string, padded with the most significant bits of EOS. */
export function huffmanEncode(input: Buffer): Buffer {
  let bits = 0;
  for (const octet of input) bits += HUFFMAN_CODE_LENGTHS[octet]!;
  const out = Buffer.alloc(Math.ceil(bits / 8));
  let position = 0;
  for (const octet of input) {
    const code = HUFFMAN_CODES[octet]!;
    for (let bit = HUFFMAN_CODE_LENGTHS[octet]! - 1; bit >= 0; bit--, position++) {
      if (Math.floor(code / 2 ** bit) % 2 === 1) out[position >> 3]! |= 0x80 >> (position & 7);
    }
  }
  for (; position < out.length * 8; position++) out[position >> 3]! |= 0x80 >> (position & 7);
  return out;
}

/** A literal with incremental indexing and a literal name (strings raw or Huffman-coded). */
export function encodeLiteralWithIndexing(field: HeaderField, huffmanStrings = false): Buffer {
  const parts: Buffer[] = [Buffer.from([0x40])];
  for (const bytes of [field.name, field.value]) {
    const encoded = huffmanStrings ? huffmanEncode(bytes) : bytes;
    const prefix: number[] = [];
    writeInteger(prefix, huffmanStrings ? 0x80 : 0x00, 7, encoded.length);
    parts.push(Buffer.from(prefix), encoded);
  }
  return Buffer.concat(parts);
}

/** An indexed header field. */
export function encodeIndexed(index: number): Buffer {
  const out: number[] = [];
  writeInteger(out, 0x80, 7, index);
  return Buffer.from(out);
}
