// etcd's --config-file: the YAML file translated into command-line flag values
// with etcd 3.4's decoding rules (embed.ConfigFromFile via sigs.k8s.io/yaml).

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigFileError, formatGoDuration, loadConfigFile } from '../../src/server/config-file.js';

const ETCD_SAMPLE = '/var/tmp/etcd-tools/gopath/src/go.etcd.io/etcd/etcd.conf.yml.sample';

const directory = mkdtempSync(join(tmpdir(), 'config-file-'));
after(() => rmSync(directory, { recursive: true, force: true }));

let fileCount = 0;
function writeConfig(text: string): string {
  const path = join(directory, `etcd-${++fileCount}.conf.yml`);
  writeFileSync(path, text);
  return path;
}

function load(text: string): { values: Record<string, string>; ignoredKeys: string[] } {
  return loadConfigFile(writeConfig(text));
}

function assertConfigFileError(text: string, pattern: RegExp): void {
  const path = writeConfig(text);
  assert.throws(
    () => loadConfigFile(path),
    (error: unknown) => {
      assert.ok(error instanceof ConfigFileError, `expected ConfigFileError, got ${String(error)}`);
      assert.ok(error.message.includes(path), `message should name ${path}: ${error.message}`);
      assert.match(error.message, pattern);
      return true;
    },
  );
}

describe('loadConfigFile', () => {
  it("recognises every key of etcd's etcd.conf.yml.sample", (t) => {
    if (!existsSync(ETCD_SAMPLE)) {
      t.skip(`${ETCD_SAMPLE} not present`);
      return;
    }
    const { values, ignoredKeys } = loadConfigFile(ETCD_SAMPLE);
    assert.deepEqual(ignoredKeys, []);
    assert.deepEqual(values, {
      name: 'default',
      'snapshot-count': '10000',
      'heartbeat-interval': '100',
      'election-timeout': '1000',
      'quota-backend-bytes': '0',
      'listen-peer-urls': 'http://localhost:2380',
      'listen-client-urls': 'http://localhost:2379',
      'max-snapshots': '5',
      'max-wals': '5',
      'initial-advertise-peer-urls': 'http://localhost:2380',
      'advertise-client-urls': 'http://localhost:2379',
      'discovery-fallback': 'proxy',
      'initial-cluster-token': 'etcd-cluster',
      'initial-cluster-state': 'new',
      'strict-reconfig-check': 'false',
      'enable-v2': 'true',
      'enable-pprof': 'true',
      proxy: 'off',
      'proxy-failure-wait': '5000',
      'proxy-refresh-interval': '30000',
      'proxy-dial-timeout': '1000',
      'proxy-write-timeout': '5000',
      'proxy-read-timeout': '0',
      'client-cert-auth': 'false',
      'auto-tls': 'false',
      'peer-client-cert-auth': 'false',
      'peer-auto-tls': 'false',
      debug: 'false',
      logger: 'zap',
      'log-outputs': 'stderr',
      'force-new-cluster': 'false',
      'auto-compaction-mode': 'periodic',
      'auto-compaction-retention': '1',
    });
    // Empty settings (data-dir:, wal-dir:, cors:, initial-cluster:, discovery:, cert-file: ...) keep their defaults.
    for (const flag of ['data-dir', 'wal-dir', 'cors', 'initial-cluster', 'discovery', 'cert-file', 'peer-cert-file', 'peer-trusted-ca-file']) {
      assert.equal(Object.hasOwn(values, flag), false, flag);
    }
  });

  it('maps nested security sections, lists, booleans, numbers and durations to flags', () => {
    const { values, ignoredKeys } = load(`
name: 'infra1'
data-dir: /var/lib/etcd
snapshot-count: 5000
max-request-bytes: 0x100000
quota-backend-bytes: 8589934592
max-concurrent-streams: 4294967295
backend-batch-limit: -1
enable-v2: no
enable-grpc-gateway: yes
strict-reconfig-check: true
listen-client-urls: https://10.0.0.1:2379,https://127.0.0.1:2379
initial-cluster: infra1=https://10.0.0.1:2380,infra2=https://10.0.0.2:2380
initial-cluster-state: existing
log-outputs: [stderr, /var/log/etcd.log]
cipher-suites:
  - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
  - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
grpc-keepalive-min-time: 5000000000
experimental-watch-progress-notify-interval: 600000000000
backend-batch-interval: 1.5e+6
auto-compaction-retention: '1.5'
some-future-setting: 7
client-transport-security:
  cert-file: /etc/etcd/server.crt
  key-file: /etc/etcd/server.key
  client-cert-auth: true
  trusted-ca-file: /etc/etcd/ca.crt
  auto-tls: false
  crl-file: /etc/etcd/client.crl
peer-transport-security:
  cert-file: /etc/etcd/peer.crt
  key-file: /etc/etcd/peer.key
  client-cert-auth: on
  trusted-ca-file: /etc/etcd/peer-ca.crt
  auto-tls: true
  allowed-cn: etcd-peer
`);
    assert.deepEqual(values, {
      name: 'infra1',
      'data-dir': '/var/lib/etcd',
      'snapshot-count': '5000',
      'max-request-bytes': '1048576',
      'quota-backend-bytes': '8589934592',
      'max-concurrent-streams': '4294967295',
      'backend-batch-limit': '-1',
      'enable-v2': 'false',
      'enable-grpc-gateway': 'true',
      'strict-reconfig-check': 'true',
      'listen-client-urls': 'https://10.0.0.1:2379,https://127.0.0.1:2379',
      // etcd's file mode keeps the default advertise URL; the command line would drop it.
      'advertise-client-urls': 'http://localhost:2379',
      'initial-cluster': 'infra1=https://10.0.0.1:2380,infra2=https://10.0.0.2:2380',
      'initial-cluster-state': 'existing',
      'log-outputs': 'stderr,/var/log/etcd.log',
      'cipher-suites': 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
      'grpc-keepalive-min-time': '5s',
      'experimental-watch-progress-notify-interval': '10m0s',
      'backend-batch-interval': '1.5ms',
      'auto-compaction-retention': '1.5',
      'cert-file': '/etc/etcd/server.crt',
      'key-file': '/etc/etcd/server.key',
      'client-cert-auth': 'true',
      'trusted-ca-file': '/etc/etcd/ca.crt',
      'auto-tls': 'false',
      'peer-cert-file': '/etc/etcd/peer.crt',
      'peer-key-file': '/etc/etcd/peer.key',
      'peer-client-cert-auth': 'true',
      'peer-trusted-ca-file': '/etc/etcd/peer-ca.crt',
      'peer-auto-tls': 'true',
    });
    // etcd 3.4's securityConfig has no crl-file or allowed-cn: they are ignored, in file order.
    assert.deepEqual(ignoredKeys, ['some-future-setting', 'client-transport-security.crl-file', 'peer-transport-security.allowed-cn']);
  });

  it('keeps defaults for null and empty values where etcd does', () => {
    const { values } = load(`
name:
wal-dir: ''
listen-peer-urls: ''
initial-cluster-state: ''
proxy: ''
cors: ~
log-outputs: []
cipher-suites:
client-transport-security:
peer-transport-security: {cert-file: ~}
`);
    // A plain string is set even when empty (as --wal-dir= would); the rest keep their defaults.
    assert.deepEqual(values, { 'wal-dir': '' });
  });

  it('follows encoding/json key matching: case-insensitive fallback, later key in byte order wins', () => {
    assert.deepEqual(load('Name: upper\nSNAPSHOT-COUNT: 7\n').values, { name: 'upper', 'snapshot-count': '7' });
    assert.deepEqual(load('name: b\nName: a\n').values, { name: 'b' });
    assert.deepEqual(load('name: a\nname: b\n').values, { name: 'b' });
    // CORS and Proxy are other (untagged) Go fields that a case-insensitive match reaches first.
    assert.deepEqual(load('CORS: "*"\nProxy: "on"\n'), { values: {}, ignoredKeys: ['CORS', 'Proxy'] });
    assert.deepEqual(load('Client-Transport-Security: {CERT-FILE: c.pem}\n').values, { 'cert-file': 'c.pem' });
  });

  it('reads scalars as go-yaml v2 does', () => {
    assert.deepEqual(load('heartbeat-interval: 010\nelection-timeout: 0o17\nsnapshot-count: 1_000\nmax-wals: 08\n').values, {
      'heartbeat-interval': '8',
      'election-timeout': '15',
      'snapshot-count': '1000',
      'max-wals': '8',
    });
    // Timestamps and sexagesimal-looking values stay strings; anchors and merge keys work.
    assert.deepEqual(load("name: 1:20\ninitial-cluster-token: 2001-12-14\nlogger: '.'\n").values, {
      name: '1:20',
      'initial-cluster-token': '2001-12-14',
      logger: '.',
    });
    assert.deepEqual(load('base: &base {name: merged, debug: y}\n<<: *base\n'), { values: { name: 'merged', debug: 'true' }, ignoredKeys: ['base'] });
    // Only the first document counts.
    assert.deepEqual(load('name: first\n---\nname: second\n').values, { name: 'first' });
    // proxy and discovery-fallback (etcdmain's configProxy) take numbers and booleans as text.
    assert.deepEqual(load('proxy: on\ndiscovery-fallback: 1\n').values, { proxy: 'true', 'discovery-fallback': '1' });
  });

  it('clears the built-in initial cluster when discovery is configured', () => {
    assert.deepEqual(load('discovery: https://discovery.etcd.io/x\ninitial-cluster: default=http://localhost:2380\n').values, {
      discovery: 'https://discovery.etcd.io/x',
    });
    assert.deepEqual(load('discovery-srv: example.com\ninitial-cluster: a=http://a:2380\n').values, {
      'discovery-srv': 'example.com',
      'initial-cluster': 'a=http://a:2380',
    });
  });

  it('returns nothing for an empty file', () => {
    assert.deepEqual(load(''), { values: {}, ignoredKeys: [] });
    assert.deepEqual(load('# comments only\n'), { values: {}, ignoredKeys: [] });
  });

  it('names the file when it cannot be read', () => {
    const missing = join(directory, 'does-not-exist.yml');
    assert.throws(
      () => loadConfigFile(missing),
      (error: unknown) => error instanceof ConfigFileError && error.message.includes(missing) && /ENOENT/.test(error.message),
    );
  });

  it('rejects invalid YAML', () => {
    assertConfigFileError('name: [unterminated\n', /invalid YAML/);
    assertConfigFileError('name: x\n  bad: indent\n', /invalid YAML/);
    assertConfigFileError('? [a]\n: x\n', /unsupported mapping key/);
  });

  it('rejects values of the wrong type as etcd 3.4 does', () => {
    assertConfigFileError('enable-v2: "true"\n', /"enable-v2": expected a boolean, got string "true"/);
    assertConfigFileError('snapshot-count: -1\n', /"snapshot-count": -1 is out of range for uint/);
    assertConfigFileError('snapshot-count: 1.5\n', /"snapshot-count": expected an integer/);
    assertConfigFileError('snapshot-count: "100"\n', /"snapshot-count": expected an integer/);
    assertConfigFileError('max-concurrent-streams: 4294967296\n', /out of range for uint32/);
    // etcd 3.4 decodes a number for a string setting as an error (the sample quotes "1" for this reason).
    assertConfigFileError('auto-compaction-retention: 1\n', /"auto-compaction-retention": expected a string, got integer 1/);
    assertConfigFileError('name: yes\n', /"name": expected a string, got boolean true/);
    assertConfigFileError('grpc-keepalive-min-time: 5s\n', /"grpc-keepalive-min-time": expected an integer number of nanoseconds/);
    assertConfigFileError('log-outputs: stderr\n', /"log-outputs": expected a list/);
    assertConfigFileError('cipher-suites: [1]\n', /"cipher-suites": expected a string/);
    assertConfigFileError('client-transport-security: yes\n', /"client-transport-security": expected a mapping/);
    assertConfigFileError('peer-transport-security: {auto-tls: "true"}\n', /"peer-transport-security.auto-tls": expected a boolean/);
    assertConfigFileError('- name\n', /expected a mapping of settings at the top level/);
    assertConfigFileError('unknown-setting: .nan\n', /NaN/);
  });
});

describe('formatGoDuration', () => {
  it("prints time.Duration's String()", () => {
    const cases: Array<[bigint, string]> = [
      [0n, '0s'],
      [1n, '1ns'],
      [1_500n, '1.5µs'],
      [2_000_000n, '2ms'],
      [1_500_000_000n, '1.5s'],
      [3_600_000_000_000n, '1h0m0s'],
      [3_661_000_000_001n, '1h1m1.000000001s'],
      [-5_000_000_000n, '-5s'],
      [9_223_372_036_854_775_807n, '2562047h47m16.854775807s'],
    ];
    for (const [nanoseconds, text] of cases) assert.equal(formatGoDuration(nanoseconds), text);
  });
});
