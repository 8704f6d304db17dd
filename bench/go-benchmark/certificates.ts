// A throwaway CA and two leaves for the TLS cases, made with the openssl
// command line by the tests' generator (test/support/certificates.ts): EC
// P-256 keys, SANs DNS:localhost and IP:127.0.0.1, EKU serverAuth and
// clientAuth. Only what the benchmark needs is made (not the tests' expired,
// revoked and untrusted extras).

import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { TestCertificateAuthority, type KeyPair } from '../../test/support/certificates.js';

export interface BenchCertificates {
  dir: string;
  caCert: string;
  /** Given to the servers: --cert-file, --key-file. */
  server: KeyPair;
  /** Given to the Go benchmark and etcdctl: --cert, --key. */
  client: KeyPair;
  remove(): void;
}

export function makeBenchCertificates(root: string): BenchCertificates {
  const dir = mkdtempSync(join(root, 'bench-go-certs-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const ca = new TestCertificateAuthority(join(dir, 'ca'), 'etcd-ts bench CA');
    const server = ca.issue('server', { commonName: 'etcd-ts-bench-server' });
    const client = ca.issue('client', { commonName: 'etcd-ts-bench-client' });
    return { dir, caCert: ca.cert, server, client, remove };
  } catch (error) {
    remove();
    throw error;
  }
}
