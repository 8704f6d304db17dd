// Reads the revoked serial numbers out of an X.509 certificate revocation
// list (PEM or DER). etcd checks a client certificate's serial against this
// list itself, ignoring the list's own validity dates, so OpenSSL's CRL
// checking (which refuses everything once the list is past its next update)
// is not used.

const TAG_INTEGER = 0x02;
const TAG_SEQUENCE = 0x30;
const TAG_UTC_TIME = 0x17;
const TAG_GENERALIZED_TIME = 0x18;

interface DerElement {
  tag: number;
  /** The contents, without tag and length. */
  body: Buffer;
}

/** The DER elements laid end to end in `bytes`. */
function readElements(bytes: Buffer): DerElement[] {
  const elements: DerElement[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 2 > bytes.length) throw new Error('truncated DER element');
    const tag = bytes[offset]!;
    let length = bytes[offset + 1]!;
    offset += 2;
    if (length & 0x80) {
      const lengthBytes = length & 0x7f;
      if (lengthBytes === 0 || lengthBytes > 4 || offset + lengthBytes > bytes.length) throw new Error('bad DER length');
      length = 0;
      for (let i = 0; i < lengthBytes; i++) length = length * 256 + bytes[offset + i]!;
      offset += lengthBytes;
    }
    if (offset + length > bytes.length) throw new Error('truncated DER element');
    elements.push({ tag, body: bytes.subarray(offset, offset + length) });
    offset += length;
  }
  return elements;
}

function onlyElement(bytes: Buffer, tag: number, what: string): DerElement {
  const elements = readElements(bytes);
  if (elements.length !== 1 || elements[0]!.tag !== tag) throw new Error(`expected ${what}`);
  return elements[0]!;
}

function pemBody(text: string): Buffer | undefined {
  const match = /-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/.exec(text);
  return match ? Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64') : undefined;
}

/** Upper-case hex of a positive INTEGER's value, without leading zeros. */
function serialHex(body: Buffer): string {
  const hex = body.toString('hex').toUpperCase().replace(/^0+/, '');
  return hex === '' ? '0' : hex;
}

export function readRevokedSerials(file: Buffer): Set<string> {
  const der = pemBody(file.toString('latin1')) ?? file;
  // CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signature }
  const certificateList = onlyElement(der, TAG_SEQUENCE, 'a CertificateList SEQUENCE');
  const tbs = readElements(certificateList.body)[0];
  if (tbs === undefined || tbs.tag !== TAG_SEQUENCE) throw new Error('expected a TBSCertList SEQUENCE');
  // TBSCertList ::= SEQUENCE { version INTEGER OPTIONAL, signature, issuer,
  //   thisUpdate Time, nextUpdate Time OPTIONAL, revokedCertificates SEQUENCE OF ... OPTIONAL, [0] extensions }
  const fields = readElements(tbs.body);
  let index = 0;
  if (fields[index]?.tag === TAG_INTEGER) index++;
  index += 2; // signature algorithm, issuer
  const isTime = (element: DerElement | undefined) => element?.tag === TAG_UTC_TIME || element?.tag === TAG_GENERALIZED_TIME;
  if (!isTime(fields[index])) throw new Error('expected thisUpdate');
  index++;
  if (isTime(fields[index])) index++;
  const serials = new Set<string>();
  const revoked = fields[index];
  if (revoked === undefined || revoked.tag !== TAG_SEQUENCE) return serials;
  for (const entry of readElements(revoked.body)) {
    if (entry.tag !== TAG_SEQUENCE) throw new Error('expected a revoked certificate entry');
    const serial = readElements(entry.body)[0];
    if (serial === undefined || serial.tag !== TAG_INTEGER) throw new Error('expected a serial number');
    serials.add(serialHex(serial.body));
  }
  return serials;
}
