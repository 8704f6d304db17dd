// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum etcd's
// Maintenance.Hash and HashKV use (Go's crc32.MakeTable(crc32.Castagnoli)).
// Node's zlib.crc32 is the IEEE polynomial, a different function.
//
// Slicing-by-8: eight 256-entry tables let the loop consume 8 bytes per step.

const POLYNOMIAL = 0x82f63b78;

const tables: Uint32Array[] = (() => {
  const result = Array.from({ length: 8 }, () => new Uint32Array(256));
  const first = result[0]!;
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    first[byte] = crc >>> 0;
  }
  for (let byte = 0; byte < 256; byte++) {
    let crc = first[byte]!;
    for (let slice = 1; slice < 8; slice++) {
      crc = (crc >>> 8) ^ first[crc & 0xff]!;
      result[slice]![byte] = crc >>> 0;
    }
  }
  return result;
})();

const [t0, t1, t2, t3, t4, t5, t6, t7] = tables as [Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array, Uint32Array];

/**
 * Continues a CRC-32C over `bytes`: `crc32c(b, crc32c(a))` equals `crc32c(a ‖ b)`,
 * as Go's crc32.Update (and successive hash.Write calls) do. Starts from 0.
 */
export function crc32c(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  let offset = 0;
  const length = bytes.length;
  const end8 = length - (length % 8);
  while (offset < end8) {
    const low = (crc ^ (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24))) >>> 0;
    crc =
      t7[low & 0xff]! ^
      t6[(low >>> 8) & 0xff]! ^
      t5[(low >>> 16) & 0xff]! ^
      t4[low >>> 24]! ^
      t3[bytes[offset + 4]!]! ^
      t2[bytes[offset + 5]!]! ^
      t1[bytes[offset + 6]!]! ^
      t0[bytes[offset + 7]!]!;
    offset += 8;
  }
  while (offset < length) crc = (crc >>> 8) ^ t0[(crc ^ bytes[offset++]!) & 0xff]!;
  return ~crc >>> 0;
}

/** An incremental CRC-32C, shaped like Go's hash.Hash32: write() pieces, then sum(). */
export class Crc32c {
  private value = 0;

  write(bytes: Uint8Array): this {
    this.value = crc32c(bytes, this.value);
    return this;
  }

  sum(): number {
    return this.value;
  }
}
