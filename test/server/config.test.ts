import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildMemberConfig, ConfigError, parseCommandLine, parseDurationMs } from '../../src/server/config.js';
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
