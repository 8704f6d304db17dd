// What one side (client port or peer port) needs to speak TLS, as etcd's
// TLSInfo describes it, and the loading of it: every file is read and
// checked once at start, so a bad certificate, key, CA or CRL is a start-up
// error naming the file rather than a failure at the first connection.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import type * as tls from 'node:tls';
import { openSslCipherList, UnknownCipherSuiteError } from './cipher-suites.js';
import { readRevokedSerials } from './crl.js';
import { describeVerifyError } from './tls-errors.js';

export interface TlsInfo {
  certFile: string;
  keyFile: string;
  trustedCaFile: string;
  /** Require and verify the other end's certificate (when it connects to us). */
  clientCertAuth: boolean;
  crlFile: string;
  /** Only a peer certificate with exactly this Common Name is accepted. */
  allowedCn: string;
  /** Only a peer certificate valid for this host name or IP is accepted. */
  allowedHostname: string;
  /** A generated certificate (--auto-tls): dialers do not verify the other end. */
  selfSigned: boolean;
  /** Go cipher-suite names (--cipher-suites); empty: OpenSSL's defaults. */
  cipherSuites: readonly string[];
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
}

export function emptyTlsInfo(): TlsInfo {
  return {
    certFile: '',
    keyFile: '',
    trustedCaFile: '',
    clientCertAuth: false,
    crlFile: '',
    allowedCn: '',
    allowedHostname: '',
    selfSigned: false,
    cipherSuites: [],
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.3',
  };
}

/** Whether TLS is configured at all (etcd's TLSInfo.Empty). */
export function hasTls(info: TlsInfo): boolean {
  return info.certFile !== '' || info.keyFile !== '';
}

export class TlsConfigError extends Error {}

/** The files of a TlsInfo, read and checked; what Node's TLS options take. */
export interface LoadedTls {
  info: TlsInfo;
  cert: Buffer;
  key: Buffer;
  ca: Buffer | undefined;
  /** Revoked serial numbers (upper-case hex, no leading zeros), from the CRL file. */
  revokedSerials: ReadonlySet<string>;
  ciphers: string | undefined;
}

// Go's TLS always offers its fixed TLS 1.3 suites; OpenSSL takes them from the same list.
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

function readFile(what: string, path: string): Buffer {
  try {
    return fs.readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new TlsConfigError(`cannot read ${what} "${path}": open ${path}: ${reason}`);
  }
}

/**
 * Reads and checks the files named by `info`. `side` names the flags in
 * messages ("client" for --cert-file..., "peer" for --peer-cert-file...).
 */
export function loadTls(info: TlsInfo, side: 'client' | 'peer', now: Date = new Date()): LoadedTls {
  const flag = (name: string) => (side === 'peer' ? `--peer-${name}` : `--${name}`);
  if (info.certFile === '' || info.keyFile === '') {
    throw new TlsConfigError(`${flag('cert-file')} and ${flag('key-file')} must both be present [key: ${info.keyFile}, cert: ${info.certFile}]`);
  }
  if (info.allowedCn !== '' && info.allowedHostname !== '') {
    throw new TlsConfigError(`AllowedCN and AllowedHostname are mutually exclusive (cn="${info.allowedCn}", hostname="${info.allowedHostname}")`);
  }
  const cert = readFile(`${side} certificate file (${flag('cert-file')})`, info.certFile);
  const key = readFile(`${side} key file (${flag('key-file')})`, info.keyFile);
  let certificate: crypto.X509Certificate;
  try {
    certificate = new crypto.X509Certificate(cert);
  } catch (error) {
    throw new TlsConfigError(`${flag('cert-file')} "${info.certFile}" holds no valid PEM certificate: ${(error as Error).message}`);
  }
  let privateKey: crypto.KeyObject;
  try {
    privateKey = crypto.createPrivateKey(key);
  } catch (error) {
    throw new TlsConfigError(`${flag('key-file')} "${info.keyFile}" holds no valid PEM private key: ${(error as Error).message}`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new TlsConfigError(`tls: private key "${info.keyFile}" does not match public key in certificate "${info.certFile}"`);
  }
  const notAfter = new Date(certificate.validTo);
  if (notAfter.getTime() < now.getTime()) {
    throw new TlsConfigError(`certificate "${info.certFile}" has expired: it was valid until ${notAfter.toISOString()}`);
  }
  const notBefore = new Date(certificate.validFrom);
  if (notBefore.getTime() > now.getTime()) {
    throw new TlsConfigError(`certificate "${info.certFile}" is not yet valid: it is valid from ${notBefore.toISOString()}`);
  }
  let ca: Buffer | undefined;
  if (info.trustedCaFile !== '') {
    ca = readFile(`${side} trusted CA file (${flag('trusted-ca-file')})`, info.trustedCaFile);
    try {
      new crypto.X509Certificate(ca);
    } catch (error) {
      throw new TlsConfigError(`${flag('trusted-ca-file')} "${info.trustedCaFile}" holds no valid PEM certificate: ${(error as Error).message}`);
    }
  }
  let revokedSerials: ReadonlySet<string> = new Set();
  if (info.crlFile !== '') {
    const crl = readFile(`${side} CRL file (${flag('crl-file')})`, info.crlFile);
    try {
      revokedSerials = readRevokedSerials(crl);
    } catch (error) {
      throw new TlsConfigError(`${flag('crl-file')} "${info.crlFile}" is not a certificate revocation list: ${(error as Error).message}`);
    }
  }
  let ciphers: string | undefined;
  if (info.cipherSuites.length > 0) {
    try {
      ciphers = `${TLS13_SUITES}:${openSslCipherList(info.cipherSuites)}`;
    } catch (error) {
      if (error instanceof UnknownCipherSuiteError) throw new TlsConfigError(error.message);
      throw error;
    }
  }
  return { info, cert, key, ca, revokedSerials, ciphers };
}

function versionOptions(loaded: LoadedTls): Pick<tls.SecureContextOptions, 'minVersion' | 'maxVersion' | 'ciphers'> {
  return {
    minVersion: loaded.info.minVersion,
    maxVersion: loaded.info.maxVersion,
    ...(loaded.ciphers === undefined ? {} : { ciphers: loaded.ciphers }),
  };
}

/**
 * Options for a TLS server on this side. Client certificates are asked for
 * when --client-cert-auth is on, but judged by refusalOfPeerCertificate once
 * the handshake is done, not by Node: Node would drop the connection
 * without a word to the log, and a peer could not be told why.
 */
export function serverTlsOptions(loaded: LoadedTls): tls.TlsOptions {
  return {
    cert: loaded.cert,
    key: loaded.key,
    ...(loaded.ca === undefined ? {} : { ca: loaded.ca }),
    requestCert: loaded.info.clientCertAuth,
    rejectUnauthorized: false,
    ...versionOptions(loaded),
  };
}

/** Options for dialing the other side: our certificate as the client's, the CA to verify the server. */
export function clientTlsOptions(loaded: LoadedTls): tls.ConnectionOptions {
  return {
    cert: loaded.cert,
    key: loaded.key,
    ...(loaded.ca === undefined ? {} : { ca: loaded.ca }),
    // etcd skips verification only for its own generated certificates.
    rejectUnauthorized: !loaded.info.selfSigned,
    ...versionOptions(loaded),
  };
}

/**
 * Whether a TLS server socket may go on, once its handshake is done: with
 * --client-cert-auth the client's certificate must chain to the trusted CA;
 * then etcd's extra checks: the CRL, the allowed Common Name or host name.
 * Returns the reason for refusal in etcd's words, or undefined to accept.
 */
export function refusalOfPeerCertificate(loaded: LoadedTls, socket: tls.TLSSocket): string | undefined {
  const { info } = loaded;
  // Nothing to check (the common case): skip building the certificate chain's JS objects.
  if (!info.clientCertAuth && loaded.revokedSerials.size === 0 && info.allowedCn === '' && info.allowedHostname === '') return undefined;
  const certificate = socket.getPeerCertificate(true);
  const presented = certificate !== undefined && Object.keys(certificate).length > 0;
  if (info.clientCertAuth) {
    if (!presented) return "tls: client didn't provide a certificate";
    if (!socket.authorized) return `tls: failed to verify client's certificate: ${describeVerifyError(String(socket.authorizationError))}`;
  }
  if (!presented) return info.allowedCn !== '' || info.allowedHostname !== '' ? 'client certificate authentication failed' : undefined;
  for (let link: tls.DetailedPeerCertificate | undefined = certificate; link !== undefined; ) {
    const serial = normalizeSerial(link.serialNumber);
    if (loaded.revokedSerials.has(serial)) return `transport: certificate serial ${serial.toLowerCase()} revoked`;
    const issuer: tls.DetailedPeerCertificate | undefined = link.issuerCertificate;
    link = issuer !== undefined && issuer !== link ? issuer : undefined;
  }
  if (info.allowedCn !== '' && certificate.subject?.CN !== info.allowedCn) return 'client certificate authentication failed';
  if (info.allowedHostname !== '' && !certificateMatchesHost(certificate, info.allowedHostname)) return 'client certificate authentication failed';
  return undefined;
}

/** Serial numbers as upper-case hex without leading zeros, the form the CRL reader produces. */
export function normalizeSerial(hex: string): string {
  const trimmed = hex.toUpperCase().replace(/^0+/, '');
  return trimmed === '' ? '0' : trimmed;
}

function certificateMatchesHost(certificate: tls.PeerCertificate, host: string): boolean {
  if (certificate.raw === undefined) return false;
  const x509 = new crypto.X509Certificate(certificate.raw);
  return net.isIP(host) !== 0 ? x509.checkIP(host) !== undefined : x509.checkHost(host, { subject: 'never' }) !== undefined;
}
