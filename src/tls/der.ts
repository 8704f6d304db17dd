// A minimal ASN.1 DER encoder: just the types an X.509 v3 certificate needs.
// Every function returns the complete TLV (tag, length, contents) encoding,
// so values compose by concatenation inside sequence()/set().
//
// DER (ITU-T X.690 §10) is the one canonical encoding: definite lengths in
// the fewest bytes, minimal integers, SET OF contents sorted. Signatures are
// computed over these bytes, so any deviation makes a certificate invalid.

const TAG_BOOLEAN = 0x01;
const TAG_INTEGER = 0x02;
const TAG_BIT_STRING = 0x03;
const TAG_OCTET_STRING = 0x04;
const TAG_OBJECT_IDENTIFIER = 0x06;
const TAG_UTF8_STRING = 0x0c;
const TAG_PRINTABLE_STRING = 0x13;
const TAG_IA5_STRING = 0x16;
const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;
const TAG_SEQUENCE = 0x30; // universal 16 with the constructed bit
const TAG_SET = 0x31; // universal 17 with the constructed bit
const CLASS_CONTEXT_SPECIFIC = 0x80;
const CONSTRUCTED = 0x20;

/** Encodes a length: one byte below 128, else 0x80|count followed by big-endian bytes. */
function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let remaining = length; remaining > 0; remaining = Math.floor(remaining / 256)) {
    bytes.unshift(remaining % 256);
  }
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

/** One TLV with a single-byte tag (all tags used here have numbers below 31). */
function tlv(tag: number, contents: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.of(tag), encodeLength(contents.length), contents]);
}

/** A context-specific tag number must fit the low-tag-number form. */
function checkContextTagNumber(tagNumber: number): void {
  if (!Number.isInteger(tagNumber) || tagNumber < 0 || tagNumber > 30) {
    throw new RangeError(`context tag number out of range: ${tagNumber}`);
  }
}

export function sequence(...elements: Uint8Array[]): Uint8Array {
  return tlv(TAG_SEQUENCE, concatBytes(elements));
}

/**
 * SET OF (the only SET X.509 names use): DER requires the encoded elements in ascending byte order
 * (X.690 §11.6), shorter-is-smaller when one is a prefix of the other.
 */
export function setOf(...elements: Uint8Array[]): Uint8Array {
  const sorted = [...elements].sort((left, right) => Buffer.compare(left, right));
  return tlv(TAG_SET, concatBytes(sorted));
}

/**
 * INTEGER from unsigned big-endian magnitude bytes (e.g. a random serial):
 * strips redundant leading zeros and adds one 0x00 when the top bit is set so
 * the two's-complement value stays positive.
 */
export function integerFromUnsignedBytes(magnitude: Uint8Array): Uint8Array {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.length === 0 ? Uint8Array.of(0) : magnitude.subarray(start);
  const needsSignPad = (trimmed[0]! & 0x80) !== 0;
  return tlv(TAG_INTEGER, needsSignPad ? concatBytes([Uint8Array.of(0), trimmed]) : trimmed);
}

/** INTEGER from a small non-negative number (version numbers and the like). */
export function integerFromNumber(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`integerFromNumber takes a non-negative safe integer, got ${value}`);
  }
  const bytes: number[] = [];
  for (let remaining = value; remaining > 0; remaining = Math.floor(remaining / 256)) {
    bytes.unshift(remaining % 256);
  }
  return integerFromUnsignedBytes(Uint8Array.from(bytes.length > 0 ? bytes : [0]));
}

export function boolean(value: boolean): Uint8Array {
  // DER fixes TRUE as 0xFF (BER allows any non-zero byte).
  return tlv(TAG_BOOLEAN, Uint8Array.of(value ? 0xff : 0x00));
}

/** OBJECT IDENTIFIER from dotted form, e.g. "1.2.840.10045.2.1". */
export function objectIdentifier(dotted: string): Uint8Array {
  if (!/^\d+(\.\d+)+$/.test(dotted)) throw new SyntaxError(`not a dotted OID: ${dotted}`);
  // BigInt because arcs (UUID-based ones under 2.25) can exceed 2^53.
  const arcs = dotted.split('.').map((arc) => BigInt(arc));
  const [first, second, ...rest] = arcs as [bigint, bigint, ...bigint[]];
  if (first > 2n || (first < 2n && second > 39n)) throw new SyntaxError(`invalid OID root arcs: ${dotted}`);
  // The first two arcs share one subidentifier (X.690 §8.19.4).
  const subidentifiers = [first * 40n + second, ...rest];
  const contents: number[] = [];
  for (const subidentifier of subidentifiers) {
    // Base 128, most significant group first, continuation bit on all but the last.
    const groups: number[] = [Number(subidentifier & 0x7fn)];
    for (let remaining = subidentifier >> 7n; remaining > 0n; remaining >>= 7n) {
      groups.unshift(Number(remaining & 0x7fn) | 0x80);
    }
    contents.push(...groups);
  }
  return tlv(TAG_OBJECT_IDENTIFIER, Uint8Array.from(contents));
}

export function utf8String(text: string): Uint8Array {
  return tlv(TAG_UTF8_STRING, new TextEncoder().encode(text));
}

const PRINTABLE_STRING_CHARACTERS = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** Whether X.680's PrintableString alphabet can hold text (else use UTF8String). */
export function isPrintableString(text: string): boolean {
  return PRINTABLE_STRING_CHARACTERS.test(text);
}

export function printableString(text: string): Uint8Array {
  if (!isPrintableString(text)) throw new RangeError(`not a PrintableString: ${JSON.stringify(text)}`);
  return tlv(TAG_PRINTABLE_STRING, asciiBytes(text));
}

/** Whether text fits IA5String (7-bit ASCII), as dNSName SANs require. */
export function isIa5String(text: string): boolean {
  return /^[\x00-\x7f]*$/.test(text);
}

export function ia5String(text: string): Uint8Array {
  return tlv(TAG_IA5_STRING, ia5Contents(text));
}

/** The content octets of an IA5String, for use under an implicit tag. */
export function ia5Contents(text: string): Uint8Array {
  if (!isIa5String(text)) throw new RangeError(`not an IA5String: ${JSON.stringify(text)}`);
  return asciiBytes(text);
}

function asciiBytes(text: string): Uint8Array {
  return Uint8Array.from(text, (character) => character.charCodeAt(0));
}

/** BIT STRING whose length is a whole number of bytes (keys, signatures). */
export function bitStringFromBytes(bytes: Uint8Array): Uint8Array {
  return tlv(TAG_BIT_STRING, concatBytes([Uint8Array.of(0), bytes]));
}

/**
 * BIT STRING of named bits (bit 0 is the most significant bit of the first
 * byte), as KeyUsage uses. DER drops trailing zero bits (X.690 §11.2.2), so
 * the length ends at the highest set bit and the unused-bits count says how
 * many low bits of the last byte are padding.
 */
export function bitStringFromNamedBits(setBits: readonly number[]): Uint8Array {
  if (setBits.length === 0) return tlv(TAG_BIT_STRING, Uint8Array.of(0));
  const highestBit = Math.max(...setBits);
  const contents = new Uint8Array(Math.floor(highestBit / 8) + 1);
  for (const bit of setBits) {
    if (!Number.isInteger(bit) || bit < 0) throw new RangeError(`invalid bit number: ${bit}`);
    contents[Math.floor(bit / 8)]! |= 0x80 >> bit % 8;
  }
  const unusedBits = 7 - (highestBit % 8);
  return tlv(TAG_BIT_STRING, concatBytes([Uint8Array.of(unusedBits), contents]));
}

export function octetString(bytes: Uint8Array): Uint8Array {
  return tlv(TAG_OCTET_STRING, bytes);
}

/** YYMMDDHHMMSSZ / YYYYMMDDHHMMSSZ in UTC, seconds always present, no fraction (RFC 5280 §4.1.2.5). */
function timeDigits(date: Date, yearDigits: 2 | 4): string {
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  const year = date.getUTCFullYear();
  return (
    (yearDigits === 2 ? pad(year % 100) : pad(year, 4)) +
    pad(date.getUTCMonth() + 1) +
    pad(date.getUTCDate()) +
    pad(date.getUTCHours()) +
    pad(date.getUTCMinutes()) +
    pad(date.getUTCSeconds()) +
    'Z'
  );
}

function checkDate(date: Date): void {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid date');
}

export function utcTime(date: Date): Uint8Array {
  checkDate(date);
  const year = date.getUTCFullYear();
  // Two-digit years are read as 1950..2049 (RFC 5280 §4.1.2.5.1).
  if (year < 1950 || year > 2049) throw new RangeError(`UTCTime cannot hold year ${year}`);
  return tlv(TAG_UTC_TIME, asciiBytes(timeDigits(date, 2)));
}

export function generalizedTime(date: Date): Uint8Array {
  checkDate(date);
  const year = date.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`GeneralizedTime cannot hold year ${year}`);
  return tlv(TAG_GENERALIZED_TIME, asciiBytes(timeDigits(date, 4)));
}

/** An X.509 Time: UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
export function x509Time(date: Date): Uint8Array {
  checkDate(date);
  const year = date.getUTCFullYear();
  return year >= 1950 && year <= 2049 ? utcTime(date) : generalizedTime(date);
}

/** [n] EXPLICIT: a constructed context-specific tag wrapping a complete encoding. */
export function explicitContextTag(tagNumber: number, inner: Uint8Array): Uint8Array {
  checkContextTagNumber(tagNumber);
  return tlv(CLASS_CONTEXT_SPECIFIC | CONSTRUCTED | tagNumber, inner);
}

/**
 * [n] IMPLICIT over a primitive type: the context tag replaces the universal
 * one and the contents are the underlying type's content octets (e.g. the
 * GeneralName choices dNSName [2] IA5String and iPAddress [7] OCTET STRING).
 */
export function implicitContextPrimitive(tagNumber: number, contents: Uint8Array): Uint8Array {
  checkContextTagNumber(tagNumber);
  return tlv(CLASS_CONTEXT_SPECIFIC | tagNumber, contents);
}

/** Wraps DER bytes as PEM with 64-column base64 lines (RFC 7468). */
export function toPem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
