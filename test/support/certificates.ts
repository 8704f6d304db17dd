// Throwaway certificate authorities and certificates for the TLS tests, made
// with the openssl command line in a temporary directory: a trusted CA, a
// leaf certificate for 127.0.0.1/localhost usable as server and as client,
// a second CA nobody trusts with a leaf of its own, an expired leaf, a
// revoked leaf with a CRL listing it, and a key that matches no certificate.
// Leaves are signed with `openssl ca`, which keeps an index of what it
// issued: that is what revocation and the CRL need, and its -startdate/
// -enddate give the expired certificate a validity entirely in the past
// (OpenSSL 3.0's `x509 -req` has no -not_before/-not_after).
//
// Keys are EC P-256: instant to generate, and Go (etcdctl) and Node take them.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const OPENSSL_BINARY = 'openssl';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface LeafOptions {
  commonName?: string;
  /** subjectAltName value; default DNS:localhost,IP:127.0.0.1. */
  subjectAltName?: string;
  /** openssl ca's YYYYMMDDHHMMSSZ dates; default from now for 30 days. */
  startDate?: string;
  endDate?: string;
}

const DEFAULT_SAN = 'DNS:localhost,IP:127.0.0.1';

// The CA's config names the leaf's SANs through the environment; openssl
// expands it whenever it loads the config, so every call sets it.
function openssl(args: string[], subjectAltName = DEFAULT_SAN): string {
  try {
    return execFileSync(OPENSSL_BINARY, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LEAF_SAN: subjectAltName } });
  } catch (error) {
    const failure = error as { stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${failure.stderr ?? failure.message}`);
  }
}

function newKey(path: string): string {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', path]);
  return path;
}

/** One CA with its own openssl ca database (index, serial, CRL number) under `dir`. */
export class TestCertificateAuthority {
  readonly cert: string;
  readonly key: string;
  private readonly configFile: string;

  constructor(
    readonly dir: string,
    readonly commonName: string,
  ) {
    mkdirSync(join(dir, 'issued'), { recursive: true });
    writeFileSync(join(dir, 'index.txt'), '');
    writeFileSync(join(dir, 'serial'), `${(0x1000 + Math.floor(Math.random() * 0xefff)).toString(16).toUpperCase()}\n`);
    writeFileSync(join(dir, 'crlnumber'), '01\n');
    this.cert = join(dir, 'ca.pem');
    this.key = join(dir, 'ca-key.pem');
    this.configFile = join(dir, 'openssl.cnf');
    writeFileSync(
      this.configFile,
      [
        '[ ca ]',
        'default_ca = test_ca',
        '[ test_ca ]',
        `dir = ${dir}`,
        'database = $dir/index.txt',
        'new_certs_dir = $dir/issued',
        'certificate = $dir/ca.pem',
        'private_key = $dir/ca-key.pem',
        'serial = $dir/serial',
        'crlnumber = $dir/crlnumber',
        'default_md = sha256',
        'default_days = 30',
        'default_crl_days = 30',
        'policy = policy_any',
        'unique_subject = no',
        'copy_extensions = none',
        '[ policy_any ]',
        'commonName = supplied',
        '[ req ]',
        'distinguished_name = req_dn',
        'prompt = no',
        '[ req_dn ]',
        `CN = ${commonName}`,
        '[ ca_ext ]',
        'basicConstraints = critical,CA:TRUE',
        'keyUsage = critical,keyCertSign,cRLSign,digitalSignature',
        'subjectKeyIdentifier = hash',
        '[ leaf_ext ]',
        'basicConstraints = critical,CA:FALSE',
        'keyUsage = critical,digitalSignature,keyEncipherment',
        'extendedKeyUsage = serverAuth,clientAuth',
        'subjectKeyIdentifier = hash',
        'authorityKeyIdentifier = keyid',
        'subjectAltName = ${ENV::LEAF_SAN}',
        '',
      ].join('\n'),
    );
    newKey(this.key);
    openssl(['req', '-config', this.configFile, '-x509', '-new', '-key', this.key, '-days', '30', '-extensions', 'ca_ext', '-out', this.cert]);
  }

  /** A leaf signed by this CA, as <name>.pem and <name>-key.pem in the CA's directory. */
  issue(name: string, options: LeafOptions = {}): KeyPair {
    const key = newKey(join(this.dir, `${name}-key.pem`));
    const csr = join(this.dir, `${name}.csr`);
    const cert = join(this.dir, `${name}.pem`);
    openssl(['req', '-config', this.configFile, '-new', '-key', key, '-subj', `/CN=${options.commonName ?? name}`, '-out', csr]);
    const dates = [...(options.startDate ? ['-startdate', options.startDate] : []), ...(options.endDate ? ['-enddate', options.endDate] : [])];
    openssl(['ca', '-batch', '-notext', '-config', this.configFile, '-extensions', 'leaf_ext', ...dates, '-in', csr, '-out', cert], options.subjectAltName);
    return { cert, key };
  }

  /** Marks an issued certificate revoked in the index. */
  revoke(cert: string): void {
    openssl(['ca', '-config', this.configFile, '-revoke', cert]);
  }

  /** A PEM CRL listing every certificate revoked so far. */
  writeCrl(path: string): string {
    openssl(['ca', '-config', this.configFile, '-gencrl', '-out', path]);
    return path;
  }
}

export interface TestCertificates {
  /** The temporary directory holding everything; removed by remove(). */
  dir: string;
  /** The CA the servers and clients are told to trust. */
  ca: TestCertificateAuthority;
  /** Signed by `ca`: SANs DNS:localhost, IP:127.0.0.1; EKU serverAuth and clientAuth. */
  server: KeyPair;
  /** A second leaf of `ca`, e.g. a client with its own CN. */
  client: KeyPair;
  /** A CA nobody is told to trust, and a leaf of it with the same SANs and EKUs. */
  untrustedCa: TestCertificateAuthority;
  untrusted: KeyPair;
  /** Signed by `ca`, valid only in 2020. */
  expired: KeyPair;
  /** Signed by `ca`, then revoked; `crl` lists it. */
  revoked: KeyPair;
  crl: string;
  /** A private key that matches none of the certificates. */
  mismatchedKey: string;
  remove(): void;
}

/** Makes the whole set in a fresh temporary directory (a few hundred ms). */
export function makeTestCertificates(options: { serverCommonName?: string; clientCommonName?: string } = {}): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ts-certs-'));
  try {
    const ca = new TestCertificateAuthority(join(dir, 'ca'), 'etcd-ts test CA');
    const untrustedCa = new TestCertificateAuthority(join(dir, 'untrusted-ca'), 'etcd-ts untrusted test CA');
    const server = ca.issue('server', { commonName: options.serverCommonName ?? 'etcd-ts-server' });
    const client = ca.issue('client', { commonName: options.clientCommonName ?? 'etcd-ts-client' });
    const untrusted = untrustedCa.issue('untrusted', { commonName: 'etcd-ts-untrusted' });
    const expired = ca.issue('expired', { commonName: 'etcd-ts-expired', startDate: '20200101000000Z', endDate: '20200201000000Z' });
    const revoked = ca.issue('revoked', { commonName: 'etcd-ts-revoked' });
    ca.revoke(revoked.cert);
    const crl = ca.writeCrl(join(dir, 'crl.pem'));
    const mismatchedKey = newKey(join(dir, 'mismatched-key.pem'));
    return { dir, ca, server, client, untrustedCa, untrusted, expired, revoked, crl, mismatchedKey, remove: () => rmSync(dir, { recursive: true, force: true }) };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
