// TLS on the client port, driven by real member processes and the real
// etcdctl 3.4 (and curl for /health when present): start-up refusals of bad
// certificates and flags before anything is written to the data dir, mutual
// TLS (--client-cert-auth) with trusted, missing, untrusted and revoked
// client certificates, plaintext and TLS clients on the wrong kind of port,
// stalled handshakes, http:// and https:// on one port, and --auto-tls.
// Certificates come from a throwaway CA made with openssl (support/certificates.ts).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTestCertificates, type KeyPair, type TestCertificates } from '../support/certificates.js';
import { etcdctl, etcdctlOk, type CommandResult } from '../support/etcdctl.js';
import { freePort } from '../support/free-port.js';
import { READY_LINE, SERVER_ENTRY, ServerProcess } from '../support/server-process.js';
import { waitFor } from '../support/wait-for.js';

/** Mirrors CLIENT_TLS_HANDSHAKE_TIMEOUT_MS in src/api/client-listener.ts. */
const CLIENT_TLS_HANDSHAKE_TIMEOUT_MS = 10_000;
/** For etcdctl calls that are expected to fail: give up sooner than the helper's defaults. */
const FAIL_FAST = ['--dial-timeout=2s', '--command-timeout=3s'];
const HAS_CURL = spawnSync('curl', ['--version'], { stdio: 'ignore' }).status === 0;

let certs: TestCertificates;
const temporaryDirectories: string[] = [];
const servers = new Set<ServerProcess>();
const startUpChildren = new Set<ReturnType<typeof spawn>>();

before(() => {
  certs = makeTestCertificates({ serverCommonName: 'etcd-ts-tls-test-server', clientCommonName: 'etcd-ts-tls-test-client' });
});

after(async () => {
  for (const child of startUpChildren) child.kill('SIGKILL');
  await Promise.all([...servers].map((server) => server.signalAndWait('SIGKILL')));
  for (const directory of temporaryDirectories) rmSync(directory, { recursive: true, force: true });
  certs?.remove();
});

function temporaryDirectory(prefix: string): string {
  const directory = mkdtempSync(join(tmpdir(), prefix));
  temporaryDirectories.push(directory);
  return directory;
}

/** etcdctl's TLS flags for a client presenting `pair` (by default the good client certificate), trusting our CA. */
function tlsClient(pair: KeyPair = certs.client): string[] {
  return [`--cacert=${certs.ca.cert}`, `--cert=${pair.cert}`, `--key=${pair.key}`];
}

/** etcdctl's TLS flags for a client with no certificate of its own, trusting `ca`. */
function tlsClientWithoutCert(ca = certs.ca.cert): string[] {
  return [`--cacert=${ca}`];
}

function describeResult(result: CommandResult): string {
  return `exit ${result.code}; stdout: ${result.stdout.trim()}; stderr: ${result.stderr.trim().slice(-600)}`;
}

/** The member's flags on the given client URLs (the peer port stays plain), with its own data dir. */
async function memberFlags(clientUrls: string, extra: string[], dataDir: string): Promise<string[]> {
  const peerUrl = `http://127.0.0.1:${await freePort()}`;
  return [
    '--name=tls-member',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${clientUrls}`,
    `--advertise-client-urls=${clientUrls.split(',')[0]}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=tls-member=${peerUrl}`,
    ...extra,
  ];
}

interface RunningMember {
  process: ServerProcess;
  dataDir: string;
  port: number;
  /** Restarts on the same flags and data dir. */
  restart(): Promise<void>;
}

/** Starts a member whose client URLs are made from `urlsFor(port)` and waits until it serves clients. */
async function startMember(urlsFor: (port: number) => string, extra: string[]): Promise<RunningMember> {
  const port = await freePort();
  const dataDir = join(temporaryDirectory('etcd-ts-tls-member-'), 'data');
  const flags = await memberFlags(urlsFor(port), extra, dataDir);
  const member: RunningMember = {
    process: new ServerProcess('etcd-ts', flags),
    dataDir,
    port,
    async restart() {
      await member.process.signalAndWait('SIGTERM');
      servers.delete(member.process);
      member.process = new ServerProcess('etcd-ts', flags);
      servers.add(member.process);
      await member.process.waitReady('the restarted TLS member to serve clients');
    },
  };
  servers.add(member.process);
  await member.process.waitReady('the TLS member to serve clients');
  return member;
}

interface StartUpResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/** Runs the member on flags it should refuse; returns once it exits (killed once ready, or after 20 s). */
function runUntilExit(flags: string[]): Promise<StartUpResult> {
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--enable-source-maps', SERVER_ENTRY, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
    startUpChildren.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      // It accepted the flags after all: no need to wait for the deadline.
      if (stderr.includes(READY_LINE)) child.kill('SIGKILL');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      startUpChildren.delete(child);
      resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - startedAt });
    });
  });
}

/** What is in the data dir (none if it was never made). */
function dataDirContents(dataDir: string): string[] {
  if (!existsSync(dataDir)) return [];
  const found: string[] = [];
  const walk = (directory: string, prefix: string) => {
    for (const entry of readdirSync(directory)) {
      const path = join(directory, entry);
      found.push(prefix + entry);
      if (statSync(path).isDirectory()) walk(path, `${prefix}${entry}/`);
    }
  };
  walk(dataDir, '');
  return found;
}

describe('TLS start-up errors: refused before the data dir is touched', { timeout: 90_000 }, () => {
  interface Case {
    name: string;
    clientUrl?: 'http' | 'https';
    /** The peer URLs are https:// too. */
    peerTls?: boolean;
    flags: () => string[];
    /** Every pattern must match stderr. */
    expect: () => RegExp[];
  }
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const missingCert = () => join(certs.dir, 'no-such-dir', 'missing-cert.pem');
  // The tests run as root in CI, and chmod 000 does not stop root from
  // reading a file: a directory given as the key file is what cannot be
  // read there. A non-root run also tries a chmod 000 copy of the key.
  const isRoot = process.getuid?.() === 0;
  const unreadableKey = () => {
    if (isRoot) return certs.ca.dir;
    const copy = join(certs.dir, 'unreadable-key.pem');
    if (!existsSync(copy)) {
      copyFileSync(certs.server.key, copy);
      chmodSync(copy, 0o000);
    }
    return copy;
  };
  const cases: Case[] = [
    {
      name: 'a --cert-file that does not exist',
      flags: () => [`--cert-file=${missingCert()}`, `--key-file=${certs.server.key}`],
      expect: () => [new RegExp(`--cert-file\\) "${escape(missingCert())}"`), /no such file or directory/],
    },
    {
      name: `an unreadable --key-file (${isRoot ? 'running as root: a directory' : 'chmod 000'})`,
      flags: () => [`--cert-file=${certs.server.cert}`, `--key-file=${unreadableKey()}`],
      expect: () => [new RegExp(`cannot read client key file \\(--key-file\\) "${escape(unreadableKey())}"`), isRoot ? /EISDIR/ : /permission denied/],
    },
    {
      name: 'a --key-file that holds no PEM key',
      flags: () => [`--cert-file=${certs.server.cert}`, `--key-file=${certs.crl}`],
      expect: () => [new RegExp(`--key-file "${escape(certs.crl)}" holds no valid PEM private key`)],
    },
    {
      name: 'a key that does not match its certificate',
      flags: () => [`--cert-file=${certs.server.cert}`, `--key-file=${certs.mismatchedKey}`],
      expect: () => [new RegExp(`private key "${escape(certs.mismatchedKey)}" does not match public key in certificate "${escape(certs.server.cert)}"`)],
    },
    {
      name: 'an expired certificate',
      flags: () => [`--cert-file=${certs.expired.cert}`, `--key-file=${certs.expired.key}`],
      expect: () => [new RegExp(`certificate "${escape(certs.expired.cert)}" has expired`), /2020-02-01/],
    },
    {
      name: 'a --trusted-ca-file that does not exist',
      flags: () => [`--cert-file=${certs.server.cert}`, `--key-file=${certs.server.key}`, '--client-cert-auth', `--trusted-ca-file=${missingCert()}`],
      expect: () => [new RegExp(`--trusted-ca-file\\) "${escape(missingCert())}"`)],
    },
    {
      name: 'an https:// client URL without --cert-file/--key-file',
      flags: () => [],
      expect: () => [/TLS key\/cert \(--cert-file, --key-file\) must be provided for client url https:\/\/127\.0\.0\.1:\d+ with HTTPS scheme/],
    },
    {
      name: 'an unknown --cipher-suites name',
      flags: () => [`--cert-file=${certs.server.cert}`, `--key-file=${certs.server.key}`, '--cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_NOT_A_REAL_SUITE'],
      expect: () => [/unexpected TLS cipher suite "TLS_NOT_A_REAL_SUITE"/],
    },
    {
      name: 'an unknown --cipher-suites name with only http:// URLs (etcd 3.4 refuses it too)',
      clientUrl: 'http',
      flags: () => ['--cipher-suites=TLS_NOT_A_REAL_SUITE'],
      expect: () => [/unexpected TLS cipher suite "TLS_NOT_A_REAL_SUITE"/],
    },
    {
      name: 'a --peer-cert-file that does not exist, with an https:// peer URL',
      peerTls: true,
      flags: () => [`--cert-file=${certs.server.cert}`, `--key-file=${certs.server.key}`, `--peer-cert-file=${missingCert()}`, `--peer-key-file=${certs.server.key}`],
      expect: () => [new RegExp(`--peer-cert-file\\) "${escape(missingCert())}"`), /no such file or directory/],
    },
  ];

  for (const testCase of cases) {
    it(`refuses ${testCase.name}`, async () => {
      const dataDir = join(temporaryDirectory('etcd-ts-tls-refused-'), 'data');
      const clientUrl = `${testCase.clientUrl ?? 'https'}://127.0.0.1:${await freePort()}`;
      let flags = await memberFlags(clientUrl, testCase.flags(), dataDir);
      if (testCase.peerTls) {
        const peerUrl = `https://127.0.0.1:${await freePort()}`;
        flags = flags.map((flag) =>
          flag.startsWith('--listen-peer-urls=') || flag.startsWith('--initial-advertise-peer-urls=')
            ? flag.replace(/=.*/, `=${peerUrl}`)
            : flag.startsWith('--initial-cluster=')
              ? `--initial-cluster=tls-member=${peerUrl}`
              : flag,
        );
      }
      const result = await runUntilExit(flags);
      const context = `stderr:\n${result.stderr.slice(-2000)}`;
      assert.equal(result.signal, null, `it exited by itself rather than being killed (once ready, or after 20 s); ${context}`);
      assert.notEqual(result.code, 0, context);
      assert.ok(result.elapsedMs < 15_000, `it took ${result.elapsedMs} ms to give up`);
      assert.doesNotMatch(result.stderr, new RegExp(READY_LINE), context);
      assert.doesNotMatch(result.stderr, /"level":"fatal"|\n\s+at /, `a configuration error, not a crash with a stack; ${context}`);
      // The reason: a "failed to start etcd" log record's error field, or a
      // plain line (configuration errors found while parsing flags are printed so).
      const reasons = result.stderr
        .split('\n')
        .filter((line) => line.trim() !== '')
        .flatMap((line) => {
          if (!line.startsWith('{')) return [line];
          const record = JSON.parse(line) as { level: string; msg: string; error?: string };
          return record.msg === 'failed to start etcd' && record.level === 'error' ? [record.error ?? ''] : [];
        });
      assert.ok(
        reasons.some((reason) => testCase.expect().every((pattern) => pattern.test(reason))),
        `one line gives the reason, matching ${testCase.expect().join(' and ')}; ${context}`,
      );
      const contents = dataDirContents(dataDir);
      assert.deepEqual(
        contents.filter((entry) => entry.startsWith('member')),
        [],
        `no member/wal/snap data is created: ${contents.join(', ')}`,
      );
    });
  }
});

describe('mutual TLS on the client port (--client-cert-auth)', { timeout: 90_000 }, () => {
  let member: RunningMember;
  let endpoint: string;
  const stalled: net.Socket[] = [];
  const stalledClosedAt = new Map<net.Socket, number>();
  let stalledOpenedAt = 0;

  before(async () => {
    member = await startMember((port) => `https://127.0.0.1:${port}`, [
      `--cert-file=${certs.server.cert}`,
      `--key-file=${certs.server.key}`,
      `--trusted-ca-file=${certs.ca.cert}`,
      '--client-cert-auth',
    ]);
    endpoint = `https://127.0.0.1:${member.port}`;
  });
  after(() => {
    for (const socket of stalled) socket.destroy();
  });

  const rejections = () => member.process.output.split('\n').filter((line) => line.includes('"msg":"rejected connection"'));

  it('a client with a certificate from the trusted CA can put and get', async () => {
    assert.equal((await etcdctlOk(endpoint, [...tlsClient(), 'put', 'tls-key', 'tls-value'])).trim(), 'OK');
    assert.equal(await etcdctlOk(endpoint, [...tlsClient(), 'get', 'tls-key']), 'tls-key\ntls-value\n');
    assert.match(member.process.output, /"msg":"serving client traffic securely"/);
    assert.doesNotMatch(member.process.output, /serving client traffic insecurely/);
  });

  it('a client without a certificate is refused', async () => {
    const before = rejections().length;
    const result = await etcdctl(endpoint, [...tlsClientWithoutCert(), ...FAIL_FAST, 'put', 'no-cert', 'x']);
    assert.notEqual(result.code, 0, describeResult(result));
    assert.match(result.stderr, /context deadline exceeded|DeadlineExceeded|Unavailable/, describeResult(result));
    await waitFor('the member to log the rejected connection', () => rejections().length > before || undefined);
  });

  it('a client whose certificate comes from an untrusted CA is refused', async () => {
    const before = rejections().length;
    const result = await etcdctl(endpoint, [...tlsClient(certs.untrusted), ...FAIL_FAST, 'put', 'untrusted', 'x']);
    assert.notEqual(result.code, 0, describeResult(result));
    assert.match(result.stderr, /context deadline exceeded|DeadlineExceeded|Unavailable/, describeResult(result));
    await waitFor('the member to log the rejected connection', () => rejections().length > before || undefined);
    assert.equal(await etcdctlOk(endpoint, [...tlsClient(), 'get', 'untrusted', '--print-value-only']), '', 'the refused put wrote nothing');
  });

  // Node's own refusal (rejectUnauthorized) would close these silently: the log said
  // "socket hang up" from "undefined:undefined".
  it("the member's log says why each client certificate was refused, and from where", () => {
    const lines = rejections();
    assert.ok(lines.some((line) => /client didn't provide a certificate/.test(line)), lines.join('\n'));
    assert.ok(lines.some((line) => /x509: certificate signed by unknown authority/.test(line)), lines.join('\n'));
    assert.ok(lines.every((line) => /"remote-addr":"127\.0\.0\.1:\d+"/.test(line)), lines.join('\n'));
  });

  it('a plaintext client on the TLS port is refused, and the member stays healthy', async () => {
    const result = await etcdctl(`http://127.0.0.1:${member.port}`, [...FAIL_FAST, 'put', 'plaintext', 'x']);
    assert.notEqual(result.code, 0, describeResult(result));
    await waitFor('the member to log the plaintext connection', () =>
      /"msg":"rejected connection".*tls: first record does not look like a TLS handshake/.test(member.process.output) || undefined,
    );
    if (HAS_CURL) {
      const curl = spawnSync('curl', ['-sS', '--max-time', '5', `http://127.0.0.1:${member.port}/health`], { encoding: 'utf8' });
      assert.match(curl.stdout, /Client sent an HTTP request to an HTTPS server/, curl.stderr);
      const secure = spawnSync('curl', ['-sS', '--max-time', '5', '--cacert', certs.ca.cert, '--cert', certs.client.cert, '--key', certs.client.key, `https://127.0.0.1:${member.port}/health`], {
        encoding: 'utf8',
      });
      assert.equal(secure.status, 0, secure.stderr);
      assert.match(secure.stdout, /"health":"true"/);
    }
    assert.ok(member.process.running);
    const health = await etcdctl(endpoint, [...tlsClient(), 'endpoint', 'health']);
    assert.equal(health.code, 0, describeResult(health));
    assert.match(health.stdout + health.stderr, /is healthy: successfully committed proposal/);
    assert.equal(await etcdctlOk(endpoint, [...tlsClient(), 'get', 'plaintext', '--print-value-only']), '');
  });

  it('a TLS client on a plain port is refused', async () => {
    const plain = await startMember((port) => `http://127.0.0.1:${port}`, []);
    try {
      const result = await etcdctl(`https://127.0.0.1:${plain.port}`, [...tlsClient(), ...FAIL_FAST, 'put', 'tls-on-plain', 'x']);
      assert.notEqual(result.code, 0, describeResult(result));
      await waitFor('the plain member to log the TLS connection', () =>
        /"msg":"rejected connection".*a TLS client on a port without TLS/.test(plain.process.output) || undefined,
      );
      // The same member serves the plaintext client it is meant for.
      assert.equal((await etcdctlOk(`http://127.0.0.1:${plain.port}`, ['put', 'plain-ok', '1'])).trim(), 'OK');
    } finally {
      await plain.process.signalAndWait('SIGKILL');
      servers.delete(plain.process);
    }
  });

  it('connections that stall before or in the handshake do not hold up other clients', async () => {
    stalledOpenedAt = Date.now();
    const open = (partialHello: boolean) =>
      new Promise<net.Socket>((resolve, reject) => {
        const socket = net.connect({ host: '127.0.0.1', port: member.port }, () => {
          // A TLS record header announcing a ClientHello, and only its first bytes.
          if (partialHello) socket.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
          resolve(socket);
        });
        socket.on('error', () => undefined);
        socket.on('close', () => stalledClosedAt.set(socket, Date.now()));
        socket.once('error', reject);
      });
    stalled.push(await open(false), await open(true));
    const put = await etcdctl(endpoint, [...tlsClient(), ...FAIL_FAST, 'put', 'while-stalled', 'yes']);
    assert.equal(put.code, 0, describeResult(put));
    assert.equal(await etcdctlOk(endpoint, [...tlsClient(), 'get', 'while-stalled', '--print-value-only']), 'yes\n');
    assert.deepEqual(
      stalled.map((socket) => stalledClosedAt.has(socket)),
      [false, false],
      'the stalled sockets were still open while the put went through',
    );
  });

  // Node only reports a handshake timeout (the socket stayed open), and a socket that
  // sends nothing never reaches the TLS server's timeout at all.
  it(
    `the server closes stalled connections after its handshake timeout (${CLIENT_TLS_HANDSHAKE_TIMEOUT_MS} ms)`,
    async () => {
      assert.equal(stalled.length, 2, 'the previous test opened the stalled sockets');
      const bound = CLIENT_TLS_HANDSHAKE_TIMEOUT_MS + 8_000;
      await waitFor('the server to close both stalled sockets', () => stalled.every((socket) => stalledClosedAt.has(socket)) || undefined, {
        timeoutMs: Math.max(1_000, stalledOpenedAt + bound - Date.now()),
        intervalMs: 100,
      });
      for (const socket of stalled) {
        const after = stalledClosedAt.get(socket)! - stalledOpenedAt;
        assert.ok(after >= CLIENT_TLS_HANDSHAKE_TIMEOUT_MS - 1_000, `closed after ${after} ms, not before the timeout`);
      }
      assert.match(member.process.output, /"msg":"rejected connection".*TLS handshake timeout/);
      assert.ok(member.process.running);
    },
  );
});

describe('--client-crl-file', { timeout: 60_000 }, () => {
  it('refuses the revoked certificate and accepts the good one', async () => {
    const member = await startMember((port) => `https://127.0.0.1:${port}`, [
      `--cert-file=${certs.server.cert}`,
      `--key-file=${certs.server.key}`,
      `--trusted-ca-file=${certs.ca.cert}`,
      '--client-cert-auth',
      `--client-crl-file=${certs.crl}`,
    ]);
    const endpoint = `https://127.0.0.1:${member.port}`;
    assert.equal((await etcdctlOk(endpoint, [...tlsClient(), 'put', 'crl-good', '1'])).trim(), 'OK');

    const revoked = await etcdctl(endpoint, [...tlsClient(certs.revoked), ...FAIL_FAST, 'put', 'crl-revoked', '1']);
    assert.notEqual(revoked.code, 0, describeResult(revoked));
    const serial = new X509Certificate(readFileSync(certs.revoked.cert)).serialNumber.toLowerCase().replace(/^0+/, '');
    await waitFor('the member to log the revoked serial', () =>
      new RegExp(`"msg":"rejected connection".*certificate serial ${serial} revoked`).test(member.process.output) || undefined,
    );
    if (HAS_CURL) {
      const curl = spawnSync('curl', ['-sS', '--max-time', '5', '--cacert', certs.ca.cert, '--cert', certs.revoked.cert, '--key', certs.revoked.key, `${endpoint}/health`], { encoding: 'utf8' });
      assert.notEqual(curl.status, 0, `curl with the revoked certificate: ${curl.stdout}`);
      assert.doesNotMatch(curl.stdout, /health/);
    }
    // A certificate the CRL does not list, from the same CA, still works after the refusals.
    assert.equal(await etcdctlOk(endpoint, [...tlsClient(certs.server), 'get', 'crl-good', '--print-value-only']), '1\n');
    assert.equal(await etcdctlOk(endpoint, [...tlsClient(), 'get', 'crl-revoked', '--print-value-only']), '');
  });
});

describe('http:// and https:// on one port', { timeout: 60_000 }, () => {
  it('serves plaintext and TLS clients on the same port', async () => {
    const member = await startMember((port) => `http://127.0.0.1:${port},https://127.0.0.1:${port}`, [`--cert-file=${certs.server.cert}`, `--key-file=${certs.server.key}`]);
    const plainEndpoint = `http://127.0.0.1:${member.port}`;
    const tlsEndpoint = `https://127.0.0.1:${member.port}`;
    assert.equal((await etcdctlOk(plainEndpoint, ['put', 'shared-port', 'from-plain'])).trim(), 'OK');
    // Server-side TLS only: the client needs just the CA.
    assert.equal(await etcdctlOk(tlsEndpoint, [...tlsClientWithoutCert(), 'get', 'shared-port', '--print-value-only']), 'from-plain\n');
    assert.equal((await etcdctlOk(tlsEndpoint, [...tlsClientWithoutCert(), 'put', 'shared-port', 'from-tls'])).trim(), 'OK');
    assert.equal(await etcdctlOk(plainEndpoint, ['get', 'shared-port', '--print-value-only']), 'from-tls\n');
    // The TLS side still verifies itself to clients: one that does not trust the CA fails.
    const untrusting = await etcdctl(tlsEndpoint, [...tlsClientWithoutCert(certs.untrustedCa.cert), ...FAIL_FAST, 'get', 'shared-port']);
    assert.notEqual(untrusting.code, 0, describeResult(untrusting));
    assert.match(member.process.output, new RegExp(`"msg":"serving client traffic securely","address":"127\\.0\\.0\\.1:${member.port}"`));
    assert.match(member.process.output, new RegExp(`"msg":"serving client traffic insecurely; this is strongly discouraged!","address":"127\\.0\\.0\\.1:${member.port}"`));
    if (HAS_CURL) {
      const plain = spawnSync('curl', ['-sS', '--max-time', '5', `${plainEndpoint}/health`], { encoding: 'utf8' });
      assert.match(plain.stdout, /"health":"true"/, plain.stderr);
      const secure = spawnSync('curl', ['-sS', '--max-time', '5', '--cacert', certs.ca.cert, `${tlsEndpoint}/health`], { encoding: 'utf8' });
      assert.match(secure.stdout, /"health":"true"/, secure.stderr);
    }
  });
});

describe('--auto-tls', { timeout: 60_000 }, () => {
  it('generates a certificate under <data-dir>/fixtures/client, serves TLS with it, and reuses it on restart', async () => {
    const member = await startMember((port) => `https://127.0.0.1:${port}`, ['--auto-tls']);
    const endpoint = `https://127.0.0.1:${member.port}`;
    const certFile = join(member.dataDir, 'fixtures', 'client', 'cert.pem');
    const keyFile = join(member.dataDir, 'fixtures', 'client', 'key.pem');
    assert.ok(existsSync(certFile) && existsSync(keyFile), 'cert.pem and key.pem were generated');
    const certificate = new X509Certificate(readFileSync(certFile));
    assert.ok(certificate.checkIP('127.0.0.1'), `the certificate names 127.0.0.1: ${certificate.subjectAltName}`);
    assert.equal(statSync(keyFile).mode & 0o077, 0, 'the key is readable by its owner only');
    assert.match(member.process.output, /"msg":"generated self-signed certificate"/);

    const skipVerify = ['--insecure-transport=false', '--insecure-skip-tls-verify'];
    assert.equal((await etcdctlOk(endpoint, [...skipVerify, 'put', 'auto', 'tls'])).trim(), 'OK');
    // Without skipping verification, the self-signed certificate is not trusted.
    const verifying = await etcdctl(endpoint, [...FAIL_FAST, 'get', 'auto']);
    assert.notEqual(verifying.code, 0, describeResult(verifying));

    const certBytes = readFileSync(certFile);
    const keyBytes = readFileSync(keyFile);
    await member.restart();
    assert.match(member.process.output, /"msg":"reusing self-signed certificate"/);
    assert.ok(readFileSync(certFile).equals(certBytes), 'the same certificate after the restart');
    assert.ok(readFileSync(keyFile).equals(keyBytes), 'the same key after the restart');
    assert.equal(await etcdctlOk(endpoint, [...skipVerify, 'get', 'auto', '--print-value-only']), 'tls\n');
  });
});
