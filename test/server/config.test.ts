import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyConfigFile, buildMemberConfig, ConfigError, parseCommandLine, parseDurationMs } from '../../src/server/config.js';
import { computeClusterId, computeMemberId, formatId } from '../../src/server/membership/ids.js';

describe('member configuration', () => {
  it('uses etcd defaults with no flags', () => {
    const config = buildMemberConfig(parseCommandLine([], {}).values);
    assert.equal(config.name, 'default');
    assert.equal(config.dataDir, 'default.etcd');
    assert.deepEqual(config.listenClientUrls.map((url) => url.href), ['http://localhost:2379/']);
    assert.equal(config.maxRequestBytes, 1572864);
    assert.equal(config.maxTxnOps, 128);
    assert.equal(config.heartbeatIntervalMs, 100);
    assert.equal(config.electionTimeoutMs, 1000);
    assert.equal(config.snapshotCount, 100000);
    assert.deepEqual([...config.initialCluster.keys()], ['default']);
    assert.equal(config.watchProgressNotifyIntervalMs, 600_000);
  });

  it('accepts Go flag syntax and ETCD_* variables, flags winning', () => {
    const parsed = parseCommandLine(['-name', 'n1', '--data-dir=/tmp/x', '--max-txn-ops', '7', '--version'], {
      ETCD_NAME: 'ignored',
      ETCD_MAX_REQUEST_BYTES: '1000',
    });
    const config = buildMemberConfig({ ...parsed.values, 'initial-cluster': 'n1=http://localhost:2380' });
    assert.equal(config.name, 'n1');
    assert.equal(config.dataDir, '/tmp/x');
    assert.equal(config.maxTxnOps, 7);
    assert.equal(config.maxRequestBytes, 1000);
    assert.equal(parsed.values['version'], 'true');
    assert.match(parsed.warnings.join('\n'), /ETCD_NAME.*shadowed/);
  });

  it('rejects unknown flags and bad values with etcd-like messages', () => {
    assert.throws(() => parseCommandLine(['--no-such-flag'], {}), new ConfigError('flag provided but not defined: -no-such-flag'));
    assert.throws(() => parseCommandLine(['--name'], {}), /flag needs an argument: -name/);
    assert.throws(() => buildMemberConfig(parseCommandLine(['--max-txn-ops=-1'], {}).values), /invalid value "-1" for flag -max-txn-ops/);
    assert.throws(() => buildMemberConfig(parseCommandLine(['--listen-client-urls=localhost:2379'], {}).values), /URL scheme must be http/);
    assert.throws(() => buildMemberConfig(parseCommandLine(['--initial-cluster-state=maybe'], {}).values), /initial-cluster-state/);
    assert.throws(() => buildMemberConfig(parseCommandLine(['--heartbeat-interval=500'], {}).values), /at least as 5 times/);
    assert.throws(() => buildMemberConfig(parseCommandLine(['--name=x', '--initial-cluster=y=http://a:1'], {}).values), /couldn't find local name "x"/);
  });

  it('parses Go durations', () => {
    assert.equal(parseDurationMs('f', '10m'), 600_000);
    assert.equal(parseDurationMs('f', '1h30m'), 5_400_000);
    assert.equal(parseDurationMs('f', '250ms'), 250);
    assert.throws(() => parseDurationMs('f', '10'), /parse error/);
  });

  it('derives member and cluster ids exactly as etcd does', () => {
    // etcd's well-known ids for a default single member.
    const memberId = computeMemberId(['http://localhost:2380'], 'etcd-cluster');
    assert.equal(formatId(memberId), '8e9e05c52164694d');
    assert.equal(formatId(computeClusterId([memberId])), 'cdf818194e3a8c32');
  });
});

describe('TLS and compatibility flags', () => {
  const withCluster = (argv: string[], env: NodeJS.ProcessEnv = {}) =>
    buildMemberConfig({ ...parseCommandLine(argv, env).values });

  it('reads the client and peer TLS flags and their ETCD_* variables', () => {
    const config = withCluster(
      ['--cert-file=/c.pem', '--key-file=/k.pem', '--client-cert-auth', '--peer-cert-allowed-cn=example.com', '--cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256'],
      { ETCD_PEER_AUTO_TLS: 'true', ETCD_TRUSTED_CA_FILE: '/ca.pem' },
    );
    assert.equal(config.clientTls.certFile, '/c.pem');
    assert.equal(config.clientTls.keyFile, '/k.pem');
    assert.equal(config.clientTls.trustedCaFile, '/ca.pem');
    assert.equal(config.clientTls.clientCertAuth, true);
    assert.equal(config.peerTls.allowedCn, 'example.com');
    assert.equal(config.peerAutoTls, true);
    assert.equal(config.clientAutoTls, false);
    assert.deepEqual(config.clientTls.cipherSuites, ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256']);
    assert.equal(config.strictReconfigCheck, true);
  });

  it('accepts the flags etcd e2e tests pass and refuses conflicting ones', () => {
    const config = withCluster(['--strict-reconfig-check=false', '--experimental-initial-corrupt-check', '--force-new-cluster', '--max-concurrent-streams=100', '--auth-token=simple', '--listen-metrics-urls=http://localhost:2381', '--enable-pprof']);
    assert.equal(config.strictReconfigCheck, false);
    assert.equal(config.initialCorruptCheck, true);
    assert.equal(config.forceNewCluster, true);
    assert.equal(config.maxConcurrentStreams, 100);
    assert.throws(() => withCluster(['--peer-cert-allowed-cn=a', '--peer-cert-allowed-hostname=b']), /mutually exclusive/);
    assert.throws(() => withCluster(['--tls-min-version=TLS1.1']), /unexpected TLS version "TLS1.1"/);
    assert.throws(() => withCluster(['--tls-min-version=TLS1.3', '--cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256']), /cannot be configured when only TLS1.3/);
    assert.throws(() => withCluster(['--experimental-enable-v2v3=v2/']), /v2 API is not served/);
    assert.equal(withCluster(['--enable-v2']).v2Requested, true);
  });

  it('takes everything from --config-file and nothing from flags or the environment', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-file-'));
    try {
      const file = join(dir, 'etcd.yml');
      writeFileSync(
        file,
        [
          'name: from-file',
          "listen-client-urls: 'https://127.0.0.1:2479'",
          "initial-cluster: 'from-file=http://localhost:2380'",
          'snapshot-count: 42',
          'proxy: off',
          'client-transport-security:',
          '  cert-file: /tls/cert.pem',
          '  key-file: /tls/key.pem',
          '  client-cert-auth: true',
        ].join('\n'),
      );
      const parsed = applyConfigFile(parseCommandLine([`--config-file=${file}`, '--name=from-flag'], { ETCD_SNAPSHOT_COUNT: '7' }));
      const config = buildMemberConfig(parsed.values);
      assert.equal(config.name, 'from-file');
      assert.equal(config.snapshotCount, 42);
      assert.equal(config.clientTls.certFile, '/tls/cert.pem');
      assert.equal(config.clientTls.clientCertAuth, true);
      assert.deepEqual(config.listenClientUrls.map((url) => url.href), ['https://127.0.0.1:2479/']);
      assert.match(parsed.warnings.join('\n'), /other flags and ETCD_\* environment variables are ignored/);

      writeFileSync(file, "proxy: 'on'\n");
      assert.throws(() => applyConfigFile(parseCommandLine([`--config-file=${file}`], {})), /"proxy: on" is not supported/);
      assert.throws(() => applyConfigFile(parseCommandLine(['--config-file=/nonexistent/etcd.yml'], {})), (error: unknown) => error instanceof ConfigError && /\/nonexistent\/etcd.yml/.test(error.message));
      const fromEnv = applyConfigFile(parseCommandLine([], { ETCD_CONFIG_FILE: file.replace('etcd.yml', 'missing.yml') }));
      assert.fail(`expected the missing file named in ETCD_CONFIG_FILE to be refused, got ${JSON.stringify(fromEnv.values['name'])}`);
    } catch (error) {
      if (!(error instanceof ConfigError) || !/missing\.yml/.test(error.message)) throw error;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
