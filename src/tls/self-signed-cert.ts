// Self-signed certificates as etcd's --auto-tls / --peer-auto-tls make them
// (etcd 3.4 pkg/transport/listener.go SelfCert): X.509 v3, O=etcd as subject
// and issuer, one year of validity, an ECDSA P-521 key signed with
// ecdsa-with-SHA512, KeyUsage digitalSignature+keyEncipherment, ExtendedKeyUsage
// serverAuth (plus clientAuth for peers), BasicConstraints CA:FALSE and the
// listen hosts as SubjectAltNames. Built with node:crypto and the small DER
// encoder in ./der.ts so no npm dependency is needed.

import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { join } from 'node:path';
import {
  bitStringFromBytes,
  bitStringFromNamedBits,
  boolean,
  explicitContextTag,
  ia5Contents,
  implicitContextPrimitive,
  integerFromNumber,
  integerFromUnsignedBytes,
  isIa5String,
  isPrintableString,
  objectIdentifier,
  octetString,
  printableString,
  sequence,
  setOf,
  toPem,
  utf8String,
  x509Time,
} from './der.js';

export interface SelfSignedCertificate {
  /** The certificate, PEM "CERTIFICATE". */
  certPem: string;
  /** The private key, PEM PKCS#8 "PRIVATE KEY". */
  keyPem: string;
}

export type ExtraExtendedKeyUsage = 'clientAuth';

export interface SelfSignedCertificateOptions {
  /** Start of validity (notBefore); defaults to the current time. */
  now?: Date;
  /** Days from notBefore to notAfter; etcd uses 365. */
  validityDays?: number;
  /** Usages besides serverAuth; etcd adds clientAuth for peer certificates. */
  extraExtendedKeyUsages?: ExtraExtendedKeyUsage[];
}

export interface CreateSelfSignedCertificateOptions extends SelfSignedCertificateOptions {
  /** "host:port" or bare hosts (IPv6 may be bracketed); IPs become iPAddress SANs, names dNSName SANs. */
  hosts: string[];
}

export interface SelfSignedCertificateFiles {
  certFile: string;
  keyFile: string;
  /** False when both files already existed and were reused. */
  created: boolean;
}

const DEFAULT_VALIDITY_DAYS = 365;
const MILLISECONDS_PER_DAY = 24 * 60 * 60 * 1000;
// The latest instant GeneralizedTime's four-digit year can express.
const LATEST_ENCODABLE_TIME = Date.UTC(9999, 11, 31, 23, 59, 59);

// P-521 with SHA-512, as etcd (Go: ecdsa.GenerateKey(elliptic.P521())). OpenSSL 3
// offers ecdsa_secp521r1_sha512 in its default TLS 1.2 and 1.3 signature
// algorithm lists, and Go clients accept it, so nothing forces a smaller curve.
const KEY_CURVE = 'P-521';
const SIGNATURE_DIGEST = 'sha512';

const OID = {
  organizationName: '2.5.4.10',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  extendedKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

const EXTENDED_KEY_USAGE_OIDS: Record<ExtraExtendedKeyUsage, string> = {
  clientAuth: OID.clientAuth,
};

// KeyUsage named bits (RFC 5280 §4.2.1.3).
const KEY_USAGE_DIGITAL_SIGNATURE = 0;
const KEY_USAGE_KEY_ENCIPHERMENT = 2;

// GeneralName choices used in SubjectAltName (RFC 5280 §4.2.1.6).
const GENERAL_NAME_DNS_NAME = 2;
const GENERAL_NAME_IP_ADDRESS = 7;

type SubjectAltName = { kind: 'dns'; name: string } | { kind: 'ip'; address: Uint8Array };

/**
 * The host of "host:port", "[v6]:port", "[v6]", a bare IPv6 address or a bare
 * name. etcd hands SelfCert the Host of each listen URL; bare hosts are
 * accepted too, which etcd's net.SplitHostPort would have turned into "".
 */
export function hostPartOf(hostOrHostPort: string): string {
  if (hostOrHostPort.startsWith('[')) {
    const closing = hostOrHostPort.indexOf(']');
    if (closing === -1) throw new SyntaxError(`unbalanced "[" in host ${JSON.stringify(hostOrHostPort)}`);
    return hostOrHostPort.slice(1, closing);
  }
  const firstColon = hostOrHostPort.indexOf(':');
  // Exactly one colon separates a port; two or more means a bare IPv6 address.
  if (firstColon !== -1 && firstColon === hostOrHostPort.lastIndexOf(':')) {
    return hostOrHostPort.slice(0, firstColon);
  }
  return hostOrHostPort;
}

/** The 4 or 16 address bytes of an IP literal, or undefined for a name. */
function ipAddressBytes(host: string): Uint8Array | undefined {
  if (isIPv4(host)) return Uint8Array.from(host.split('.'), Number);
  // A SAN cannot carry an IPv6 zone ("fe80::1%eth0"), so it is dropped.
  const withoutZone = host.replace(/%.*$/, '');
  if (!isIPv6(withoutZone)) return undefined;
  const bytes = ipv6Bytes(withoutZone);
  // IPv4-mapped addresses are stored as 4 bytes, like Go's x509 (ip.To4()).
  const isIpv4Mapped = bytes.subarray(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return isIpv4Mapped ? bytes.slice(12) : bytes;
}

/** Parses an IPv6 literal already validated by net.isIPv6 into 16 bytes. */
function ipv6Bytes(address: string): Uint8Array {
  const bytes = new Uint8Array(16);
  let groupsText = address;
  // A dotted IPv4 tail ("::ffff:1.2.3.4") fills the last two groups.
  const lastColon = address.lastIndexOf(':');
  const tail = address.slice(lastColon + 1);
  if (tail.includes('.')) {
    bytes.set(tail.split('.').map(Number), 12);
    groupsText = address.slice(0, lastColon + 1) + '0:0';
  }
  const splitGroups = (text: string) => (text === '' ? [] : text.split(':'));
  let groups: string[];
  const elision = groupsText.indexOf('::');
  if (elision === -1) {
    groups = groupsText.split(':');
  } else {
    const head = splitGroups(groupsText.slice(0, elision));
    const rest = splitGroups(groupsText.slice(elision + 2));
    groups = [...head, ...Array<string>(8 - head.length - rest.length).fill('0'), ...rest];
  }
  groups.forEach((group, index) => {
    if (index >= 6 && tail.includes('.')) return; // already set from the IPv4 tail
    const value = parseInt(group, 16);
    bytes[index * 2] = value >> 8;
    bytes[index * 2 + 1] = value & 0xff;
  });
  return bytes;
}

/** SubjectAltNames for the hosts: DNS names then IPs (Go's order), duplicates dropped. */
function subjectAltNamesFor(hosts: readonly string[]): SubjectAltName[] {
  const dnsNames: SubjectAltName[] = [];
  const ipAddresses: SubjectAltName[] = [];
  const seen = new Set<string>();
  for (const hostOrHostPort of hosts) {
    const host = hostPartOf(hostOrHostPort);
    const address = ipAddressBytes(host);
    if (address !== undefined) {
      const key = `ip:${Buffer.from(address).toString('hex')}`;
      if (!seen.has(key)) ipAddresses.push({ kind: 'ip', address });
      seen.add(key);
    } else {
      // dNSName is an IA5String; Go's x509 refuses other names the same way.
      if (!isIa5String(host)) throw new RangeError(`host ${JSON.stringify(host)} is not ASCII, so cannot be a dNSName`);
      // DNS names compare case-insensitively.
      const key = `dns:${host.toLowerCase()}`;
      if (!seen.has(key)) dnsNames.push({ kind: 'dns', name: host });
      seen.add(key);
    }
  }
  return [...dnsNames, ...ipAddresses];
}

function encodeGeneralName(altName: SubjectAltName): Uint8Array {
  return altName.kind === 'dns'
    ? implicitContextPrimitive(GENERAL_NAME_DNS_NAME, ia5Contents(altName.name))
    : implicitContextPrimitive(GENERAL_NAME_IP_ADDRESS, altName.address);
}

/** Name ::= SEQUENCE OF RelativeDistinguishedName; here the single RDN O=<organization>. */
function encodeOrganizationName(organization: string): Uint8Array {
  // PrintableString when it fits, else UTF8String, as Go does.
  const value = isPrintableString(organization) ? printableString(organization) : utf8String(organization);
  return sequence(setOf(sequence(objectIdentifier(OID.organizationName), value)));
}

/** Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }. */
function encodeExtension(oid: string, critical: boolean, valueDer: Uint8Array): Uint8Array {
  // DER omits a field equal to its DEFAULT, so critical appears only when true.
  return critical
    ? sequence(objectIdentifier(oid), boolean(true), octetString(valueDer))
    : sequence(objectIdentifier(oid), octetString(valueDer));
}

/** A positive serial below 2^128, like etcd's rand.Int(rand.Reader, 1<<128) (zero is not positive, so redrawn). */
function randomSerialNumber(): Uint8Array {
  for (;;) {
    const candidate = randomBytes(16);
    if (candidate.some((byte) => byte !== 0)) return candidate;
  }
}

function checkOptions(options: CreateSelfSignedCertificateOptions): void {
  if (options.validityDays !== undefined && !(Number.isFinite(options.validityDays) && options.validityDays > 0)) {
    throw new RangeError(`validityDays must be a positive number, got ${options.validityDays}`);
  }
  for (const usage of options.extraExtendedKeyUsages ?? []) {
    if (!Object.hasOwn(EXTENDED_KEY_USAGE_OIDS, usage)) throw new RangeError(`unknown extended key usage ${usage}`);
  }
}

/** Generates a key pair and a self-signed certificate for the hosts, as etcd's SelfCert does. */
export function createSelfSignedCertificate(options: CreateSelfSignedCertificateOptions): SelfSignedCertificate {
  checkOptions(options);
  // Times are encoded to the second; truncate so notAfter is exactly validityDays later.
  const notBefore = new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000);
  if (Number.isNaN(notBefore.getTime())) throw new RangeError('options.now is not a valid date');
  const validityDays = options.validityDays ?? DEFAULT_VALIDITY_DAYS;
  const notAfter = new Date(notBefore.getTime() + Math.round(validityDays * MILLISECONDS_PER_DAY));
  if (notAfter.getTime() > LATEST_ENCODABLE_TIME) throw new RangeError('notAfter would be past the year 9999');

  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: KEY_CURVE });
  // SubjectPublicKeyInfo exactly as X.509 embeds it (id-ecPublicKey, named curve, uncompressed point).
  const subjectPublicKeyInfo = publicKey.export({ type: 'spki', format: 'der' });

  // ECDSA AlgorithmIdentifiers carry no parameters at all (RFC 5758 §3.2).
  const signatureAlgorithm = sequence(objectIdentifier(OID.ecdsaWithSha512));
  const name = encodeOrganizationName('etcd');

  const extendedKeyUsageOids = [
    OID.serverAuth,
    ...new Set((options.extraExtendedKeyUsages ?? []).map((usage) => EXTENDED_KEY_USAGE_OIDS[usage])),
  ];
  const subjectAltNames = subjectAltNamesFor(options.hosts);
  // Go's extension order: KeyUsage, ExtendedKeyUsage, BasicConstraints, SubjectAltName.
  const extensions = [
    encodeExtension(
      OID.keyUsage,
      true,
      bitStringFromNamedBits([KEY_USAGE_DIGITAL_SIGNATURE, KEY_USAGE_KEY_ENCIPHERMENT]),
    ),
    encodeExtension(OID.extendedKeyUsage, false, sequence(...extendedKeyUsageOids.map(objectIdentifier))),
    // cA FALSE is the DEFAULT, so DER leaves an empty SEQUENCE.
    encodeExtension(OID.basicConstraints, true, sequence()),
  ];
  // Non-critical because the subject is not empty (RFC 5280 §4.2.1.6); omitted without hosts, as Go does.
  if (subjectAltNames.length > 0) {
    extensions.push(encodeExtension(OID.subjectAltName, false, sequence(...subjectAltNames.map(encodeGeneralName))));
  }

  const tbsCertificate = sequence(
    explicitContextTag(0, integerFromNumber(2)), // version v3
    integerFromUnsignedBytes(randomSerialNumber()),
    signatureAlgorithm,
    name, // issuer: self-signed, so the subject
    sequence(x509Time(notBefore), x509Time(notAfter)),
    name, // subject
    subjectPublicKeyInfo,
    explicitContextTag(3, sequence(...extensions)),
  );
  // Node's ECDSA signatures default to the DER Ecdsa-Sig-Value X.509 expects.
  const signature = sign(SIGNATURE_DIGEST, tbsCertificate, privateKey);
  const certificate = sequence(tbsCertificate, signatureAlgorithm, bitStringFromBytes(signature));

  return {
    certPem: toPem('CERTIFICATE', certificate),
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

/**
 * etcd's SelfCert: reuse <dir>/cert.pem and <dir>/key.pem when both exist,
 * else create the directory (0700), generate a certificate and write both
 * files (key 0600). Each file is written to a temporary name and renamed, key
 * first, so a crash never leaves a pair that looks complete but is not.
 */
export function ensureSelfSignedCertificate(
  dir: string,
  hosts: string[],
  options: SelfSignedCertificateOptions = {},
): SelfSignedCertificateFiles {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (existsSync(certFile) && existsSync(keyFile)) return { certFile, keyFile, created: false };

  const { certPem, keyPem } = createSelfSignedCertificate({ ...options, hosts });
  writeFileAtomically(keyFile, keyPem, 0o600);
  writeFileAtomically(certFile, certPem, 0o644);
  return { certFile, keyFile, created: true };
}

function writeFileAtomically(path: string, contents: string, mode: number): void {
  const temporaryPath = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    // 'wx' creates a fresh file, so the mode applies (modulo umask) from the first byte.
    writeFileSync(temporaryPath, contents, { mode, flag: 'wx' });
    renameSync(temporaryPath, path);
  } catch (error) {
    rmSync(temporaryPath, { force: true });
    throw error;
  }
}
