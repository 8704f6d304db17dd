// Self-signed certificates as etcd's --auto-tls makes them: the DER encoder's
// building blocks, the certificate's contents as Node and OpenSSL read them,
// real TLS handshakes (server-only and mutual) over loopback, and the
// reuse-or-create behaviour of the files in a data directory.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import * as tls from 'node:tls';
import {
  bitStringFromNamedBits,
  boolean,
  integerFromNumber,
  integerFromUnsignedBytes,
  objectIdentifier,
  octetString,
  sequence,
  setOf,
  x509Time,
} from '../../src/tls/der.js';
import {
  createSelfSignedCertificate,
  ensureSelfSignedCertificate,
  hostPartOf,
  type SelfSignedCertificate,
} from '../../src/tls/self-signed-cert.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const OPENSSL_PATH = '/usr/bin/openssl';
const SERVER_AUTH_OID = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('DER encoder', () => {
  it('encodes integers minimally and keeps them positive', () => {
    assert.equal(hex(integerFromNumber(2)), '020102');
    assert.equal(hex(integerFromNumber(0)), '020100');
    // A set top bit would read as negative, so a zero byte is prepended.
    assert.equal(hex(integerFromUnsignedBytes(Uint8Array.of(0x80))), '02020080');
    // Redundant leading zeros are dropped.
    assert.equal(hex(integerFromUnsignedBytes(Uint8Array.of(0, 0, 0x7f))), '02017f');
  });

  it('encodes OIDs with the first two arcs combined and base-128 arcs', () => {
    assert.equal(hex(objectIdentifier('1.2.840.113549')), '06062a864886f70d');
    assert.equal(hex(objectIdentifier('2.5.29.17')), '0603551d11');
    assert.throws(() => objectIdentifier('1'));
    assert.throws(() => objectIdentifier('1.40.1'));
  });

  it('uses the long length form from 128 bytes', () => {
    assert.equal(hex(octetString(new Uint8Array(127))).slice(0, 4), '047f');
    assert.equal(hex(octetString(new Uint8Array(200))).slice(0, 6), '0481c8');
    assert.equal(hex(octetString(new Uint8Array(300))).slice(0, 8), '0482012c');
  });

  it('encodes named bits without trailing zero bits', () => {
    // digitalSignature(0) + keyEncipherment(2): 3 bits used, 5 unused.
    assert.equal(hex(bitStringFromNamedBits([0, 2])), '030205a0');
    // Bit 8 is the top bit of the second byte; the other 7 bits are padding.
    assert.equal(hex(bitStringFromNamedBits([8])), '0303070080');
  });

  it('encodes TRUE as 0xff and sorts SET OF elements', () => {
    assert.equal(hex(boolean(true)), '0101ff');
    assert.equal(hex(setOf(integerFromNumber(5), integerFromNumber(1))), '3106020101020105');
    assert.equal(hex(sequence()), '3000');
  });

  it('uses UTCTime through 2049 and GeneralizedTime from 2050', () => {
    assert.equal(
      Buffer.from(x509Time(new Date(Date.UTC(2049, 11, 31, 23, 59, 59)))).toString('latin1').slice(2),
      '491231235959Z',
    );
    assert.equal(x509Time(new Date(Date.UTC(2049, 0, 1)))[0], 0x17);
    const generalized = x509Time(new Date(Date.UTC(2050, 0, 2, 3, 4, 5)));
    assert.equal(generalized[0], 0x18);
    assert.equal(Buffer.from(generalized).toString('latin1').slice(2), '20500102030405Z');
  });
});

describe('hostPartOf', () => {
  it('takes the host of host:port and bare hosts, stripping IPv6 brackets', () => {
    assert.equal(hostPartOf('localhost:2379'), 'localhost');
    assert.equal(hostPartOf('localhost'), 'localhost');
    assert.equal(hostPartOf('127.0.0.1:2380'), '127.0.0.1');
    assert.equal(hostPartOf('[::1]:2379'), '::1');
    assert.equal(hostPartOf('[::1]'), '::1');
    assert.equal(hostPartOf('::1'), '::1');
    assert.equal(hostPartOf(':2379'), '');
    assert.throws(() => hostPartOf('[::1:2379'));
  });
});

describe('createSelfSignedCertificate', () => {
  const now = new Date();
  let generated: SelfSignedCertificate;
  let certificate: X509Certificate;

  before(() => {
    generated = createSelfSignedCertificate({ hosts: ['localhost:2379', '127.0.0.1:2379', '[::1]:2380'], now });
    certificate = new X509Certificate(generated.certPem);
  });

  it('is a certificate for O=etcd issued by itself, signed by its own key', () => {
    assert.match(certificate.subject, /(^|\n)O=etcd($|\n)/);
    assert.match(certificate.issuer, /(^|\n)O=etcd($|\n)/);
    assert.equal(certificate.checkPrivateKey(createPrivateKey(generated.keyPem)), true);
    assert.equal(certificate.verify(certificate.publicKey), true);
    assert.equal(certificate.ca, false);
  });

  it('has a PKCS#8 P-521 key and a positive serial of at most 128 bits', () => {
    assert.match(generated.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
    assert.match(generated.certPem, /^-----BEGIN CERTIFICATE-----\n/);
    assert.equal(createPrivateKey(generated.keyPem).asymmetricKeyDetails?.namedCurve, 'secp521r1');
    const serial = BigInt(`0x${certificate.serialNumber}`);
    assert.ok(serial > 0n && serial < 1n << 128n, certificate.serialNumber);
  });

  it('is valid from now for 365 days', () => {
    const validFrom = new Date(certificate.validFrom).getTime();
    const validTo = new Date(certificate.validTo).getTime();
    // Encoded to the second, so up to one second earlier than now.
    assert.ok(Math.abs(validFrom - now.getTime()) < 1000, certificate.validFrom);
    assert.equal(validTo - validFrom, 365 * DAY_MS);
  });

  it('names the hosts in its SubjectAltName and matches them', () => {
    assert.equal(certificate.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    assert.equal(certificate.checkHost('localhost'), 'localhost');
    assert.equal(certificate.checkIP('127.0.0.1'), '127.0.0.1');
    assert.equal(certificate.checkIP('::1'), '::1');
    assert.equal(certificate.checkHost('example.com'), undefined);
    assert.equal(certificate.checkIP('127.0.0.2'), undefined);
  });

  it('allows serverAuth only unless clientAuth is asked for', () => {
    assert.deepEqual(certificate.keyUsage, [SERVER_AUTH_OID]);
    const peer = new X509Certificate(
      createSelfSignedCertificate({ hosts: ['localhost'], extraExtendedKeyUsages: ['clientAuth'] }).certPem,
    );
    assert.deepEqual(peer.keyUsage, [SERVER_AUTH_OID, CLIENT_AUTH_OID]);
  });

  it('dedupes hosts, keeps empty and unspecified hosts as etcd does, and stores mapped IPv4 as 4 bytes', () => {
    const { certPem } = createSelfSignedCertificate({
      hosts: ['localhost:2379', 'LOCALHOST:2380', '10.0.0.1:1', '::ffff:10.0.0.1', ':2379', '0.0.0.0:2380', 'node-1'],
    });
    assert.equal(
      new X509Certificate(certPem).subjectAltName,
      'DNS:localhost, DNS:, DNS:node-1, IP Address:10.0.0.1, IP Address:0.0.0.0',
    );
  });

  it('leaves SubjectAltName out without hosts and refuses non-ASCII names', () => {
    assert.equal(new X509Certificate(createSelfSignedCertificate({ hosts: [] }).certPem).subjectAltName, undefined);
    assert.throws(() => createSelfSignedCertificate({ hosts: ['bücher.example'] }), /not ASCII/);
  });

  it('uses GeneralizedTime for a notAfter from 2050', () => {
    const start = new Date(Date.UTC(2049, 6, 1));
    const late = new X509Certificate(createSelfSignedCertificate({ hosts: ['localhost'], now: start }).certPem);
    assert.equal(new Date(late.validFrom).getTime(), start.getTime());
    assert.equal(new Date(late.validTo).getTime(), start.getTime() + 365 * DAY_MS);
  });

  it('honours validityDays and rejects nonsense', () => {
    const short = new X509Certificate(createSelfSignedCertificate({ hosts: [], now, validityDays: 2 }).certPem);
    assert.equal(new Date(short.validTo).getTime() - new Date(short.validFrom).getTime(), 2 * DAY_MS);
    assert.throws(() => createSelfSignedCertificate({ hosts: [], validityDays: 0 }));
    assert.throws(() => createSelfSignedCertificate({ hosts: [], validityDays: Number.NaN }));
  });

  it('parses with openssl x509', (t) => {
    if (!existsSync(OPENSSL_PATH)) {
      t.skip(`${OPENSSL_PATH} not found`);
      return;
    }
    const result = spawnSync(OPENSSL_PATH, ['x509', '-noout', '-text'], { input: generated.certPem, encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
    const text = result.stdout;
    for (const expected of [
      'Version: 3 (0x2)',
      'Signature Algorithm: ecdsa-with-SHA512',
      'Issuer: O = etcd',
      'Subject: O = etcd',
      'NIST CURVE: P-521',
      'Digital Signature, Key Encipherment',
      'TLS Web Server Authentication',
      'CA:FALSE',
      'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
    ]) {
      assert.ok(text.includes(expected), `openssl output lacks ${JSON.stringify(expected)}:\n${text}`);
    }
    assert.match(text, /X509v3 Key Usage: critical/);
    assert.match(text, /X509v3 Basic Constraints: critical/);
  });
});

/** What the server's TLS layer concluded about a client certificate. */
interface ClientAuthorization {
  authorized: boolean;
  error: string | undefined;
}

/** A TLS server on 127.0.0.1 that answers each connection's first chunk with the same bytes. */
async function startEchoServer(
  options: tls.TlsOptions,
): Promise<{ server: tls.Server; port: number; clientErrors: Error[]; authorizations: ClientAuthorization[] }> {
  const clientErrors: Error[] = [];
  const authorizations: ClientAuthorization[] = [];
  const server = tls.createServer(options, (socket) => {
    authorizations.push({ authorized: socket.authorized, error: socket.authorizationError?.toString() });
    socket.once('data', (chunk) => socket.end(chunk));
    socket.on('error', () => {}); // the client's side of a failed test reports it
  });
  server.on('tlsClientError', (error) => clientErrors.push(error));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port, clientErrors, authorizations };
}

function closeServer(server: tls.Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/**
 * Connects, sends one byte and resolves with the echoed reply. Rejects on any
 * TLS error, including the server refusing a client certificate after a TLS
 * 1.3 client already considers the handshake done.
 */
function exchangeByte(port: number, options: tls.ConnectionOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...options });
    let reply: Buffer | undefined;
    socket.once('secureConnect', () => socket.write('x'));
    socket.on('data', (chunk: Buffer) => {
      reply = chunk;
      socket.end();
    });
    socket.once('error', (error) => {
      socket.destroy();
      reject(error);
    });
    socket.once('close', () => (reply ? resolve(reply) : reject(new Error('connection closed without a reply'))));
  });
}

describe('TLS handshakes with self-signed certificates', () => {
  const serverPair = createSelfSignedCertificate({ hosts: ['localhost:0', '127.0.0.1:0'] });
  const clientPair = createSelfSignedCertificate({ hosts: ['localhost'], extraExtendedKeyUsages: ['clientAuth'] });
  // Same shape but serverAuth only: a server that asks for client certificates must refuse it.
  const serverOnlyPair = createSelfSignedCertificate({ hosts: ['localhost'] });

  it('server TLS: a client trusting the certificate verifies it by name and by IP', async () => {
    const { server, port } = await startEchoServer({ cert: serverPair.certPem, key: serverPair.keyPem });
    try {
      assert.equal((await exchangeByte(port, { ca: serverPair.certPem, servername: 'localhost' })).toString(), 'x');
      // Without servername Node checks the IP it connected to against the iPAddress SANs.
      assert.equal((await exchangeByte(port, { ca: serverPair.certPem })).toString(), 'x');
      // Both TLS versions, since they negotiate ECDSA signature algorithms differently.
      for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
        const reply = await exchangeByte(port, {
          ca: serverPair.certPem,
          servername: 'localhost',
          minVersion: version,
          maxVersion: version,
        });
        assert.equal(reply.toString(), 'x', version);
      }
    } finally {
      await closeServer(server);
    }
  });

  it('server TLS: a name outside the SANs or an untrusted certificate fails', async () => {
    const { server, port } = await startEchoServer({ cert: serverPair.certPem, key: serverPair.keyPem });
    try {
      await assert.rejects(exchangeByte(port, { ca: serverPair.certPem, servername: 'etcd.example' }), {
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
      await assert.rejects(exchangeByte(port, { ca: clientPair.certPem, servername: 'localhost' }));
    } finally {
      await closeServer(server);
    }
  });

  it('mutual TLS: the server accepts a client certificate with clientAuth', async () => {
    const { server, port, clientErrors, authorizations } = await startEchoServer({
      cert: serverPair.certPem,
      key: serverPair.keyPem,
      requestCert: true,
      rejectUnauthorized: true,
      ca: clientPair.certPem,
    });
    try {
      const reply = await exchangeByte(port, {
        ca: serverPair.certPem,
        servername: 'localhost',
        cert: clientPair.certPem,
        key: clientPair.keyPem,
      });
      assert.equal(reply.toString(), 'x');
      assert.deepEqual(clientErrors, []);
      assert.deepEqual(authorizations, [{ authorized: true, error: undefined }]);
    } finally {
      await closeServer(server);
    }
  });

  it('mutual TLS: the server refuses no certificate and one without clientAuth', async () => {
    const { server, port, clientErrors } = await startEchoServer({
      cert: serverPair.certPem,
      key: serverPair.keyPem,
      requestCert: true,
      rejectUnauthorized: true,
      ca: [clientPair.certPem, serverOnlyPair.certPem],
    });
    try {
      await assert.rejects(exchangeByte(port, { ca: serverPair.certPem, servername: 'localhost' }));
      // Node verifies after the handshake and drops the connection, so the client sees no reply.
      await assert.rejects(
        exchangeByte(port, {
          ca: serverPair.certPem,
          servername: 'localhost',
          cert: serverOnlyPair.certPem,
          key: serverOnlyPair.keyPem,
        }),
      );
      assert.equal(clientErrors.length, 2);
    } finally {
      await closeServer(server);
    }
  });

  it('mutual TLS: a missing clientAuth usage is the reason for the refusal', async () => {
    // rejectUnauthorized off, so the server reports its verdict instead of dropping the connection.
    const { server, port, authorizations } = await startEchoServer({
      cert: serverPair.certPem,
      key: serverPair.keyPem,
      requestCert: true,
      rejectUnauthorized: false,
      ca: [clientPair.certPem, serverOnlyPair.certPem],
    });
    try {
      for (const pair of [clientPair, serverOnlyPair]) {
        const reply = await exchangeByte(port, {
          ca: serverPair.certPem,
          servername: 'localhost',
          cert: pair.certPem,
          key: pair.keyPem,
        });
        assert.equal(reply.toString(), 'x');
      }
      assert.deepEqual(authorizations, [
        { authorized: true, error: undefined },
        { authorized: false, error: 'INVALID_PURPOSE' },
      ]);
    } finally {
      await closeServer(server);
    }
  });
});

describe('ensureSelfSignedCertificate', () => {
  let scratch: string;

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'etcd-ts-auto-tls-'));
  });

  after(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('creates the directory and files with private modes, then reuses them', () => {
    const dir = join(scratch, 'data', 'fixtures', 'peer');
    const first = ensureSelfSignedCertificate(dir, ['localhost:2380'], { extraExtendedKeyUsages: ['clientAuth'] });
    assert.deepEqual(first, { certFile: join(dir, 'cert.pem'), keyFile: join(dir, 'key.pem'), created: true });
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(first.keyFile).mode & 0o777, 0o600);
    // The certificate is public, but nobody else may replace it.
    assert.equal(statSync(first.certFile).mode & 0o022, 0);

    const certPem = readFileSync(first.certFile, 'utf8');
    const keyPem = readFileSync(first.keyFile, 'utf8');
    const written = new X509Certificate(certPem);
    assert.equal(written.checkPrivateKey(createPrivateKey(keyPem)), true);
    assert.deepEqual(written.keyUsage, [SERVER_AUTH_OID, CLIENT_AUTH_OID]);
    assert.equal(written.subjectAltName, 'DNS:localhost');

    const second = ensureSelfSignedCertificate(dir, ['other-host:2380']);
    assert.deepEqual(second, { ...first, created: false });
    assert.equal(readFileSync(second.certFile, 'utf8'), certPem);
    assert.equal(readFileSync(second.keyFile, 'utf8'), keyPem);
  });

  it('regenerates both files when one is missing', () => {
    const dir = join(scratch, 'half');
    const first = ensureSelfSignedCertificate(dir, ['localhost']);
    const oldCertPem = readFileSync(first.certFile, 'utf8');
    rmSync(first.keyFile);
    const second = ensureSelfSignedCertificate(dir, ['localhost']);
    assert.equal(second.created, true);
    const newCertPem = readFileSync(second.certFile, 'utf8');
    assert.notEqual(newCertPem, oldCertPem);
    assert.equal(
      new X509Certificate(newCertPem).checkPrivateKey(createPrivateKey(readFileSync(second.keyFile, 'utf8'))),
      true,
    );
  });

  it('keeps whatever is in a complete pair, as etcd does', () => {
    const dir = join(scratch, 'preexisting');
    ensureSelfSignedCertificate(dir, []);
    writeFileSync(join(dir, 'cert.pem'), 'not a certificate');
    assert.equal(ensureSelfSignedCertificate(dir, []).created, false);
    assert.equal(readFileSync(join(dir, 'cert.pem'), 'utf8'), 'not a certificate');
  });
});
