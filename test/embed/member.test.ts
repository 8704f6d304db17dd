// The embedding API, imported the way users import it: through the package
// name, which Node resolves with package.json "exports" (a self-reference).

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import { Etcd3 } from 'etcd3';
import { startMember, MemberOptionError, PortInUseError, DataDirLockedError, type Member } from 'etcd-ts';
import { FLAGS } from '../../src/server/config-flags.js';
import { buildMemberConfig, parseCommandLine } from '../../src/server/config.js';
import { camelCaseOf, nearestOption } from '../../src/embed/options.js';
import { etcdctlOk } from '../support/etcdctl.js';
import { connect } from '../support/grpc-client.js';

describe('startMember', { timeout: 60_000 }, () => {
  it('starts with defaults: temp data dir, loopback ports; etcd3 and etcdctl work; close() removes the dir', async () => {
    let dataDir: string;
    {
      await using member = await startMember();
      dataDir = member.dataDir;
      assert.equal(member.state, 'running');
      assert.match(member.clientUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.match(member.peerUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.deepEqual(member.endpoints, [member.clientUrl]);
      assert.match(member.id, /^[0-9a-f]+$/);
      assert.ok(dataDir.startsWith(tmpdir()), dataDir);
      assert.ok(existsSync(join(dataDir, 'member', 'wal')));

      const client = new Etcd3({ hosts: member.endpoints as string[] });
      try {
        await client.put('greeting').value('hello');
        assert.equal(await client.get('greeting').string(), 'hello');
      } finally {
        client.close();
      }
      assert.equal((await etcdctlOk(member.clientUrl, ['get', 'greeting', '--print-value-only'])).trim(), 'hello');
      const members = await etcdctlOk(member.clientUrl, ['member', 'list']);
      assert.ok(members.includes(member.id) && members.includes(member.clientUrl), members);
    }
    assert.equal(existsSync(dataDir), false, 'await using closed the member and removed its temp dir');
  });

  it('maps camelCase options to etcd flags, with etcd validation', async () => {
    await using member = await startMember({ name: 'infra9', snapshotCount: 5, quotaBackendBytes: 8 * 1024 * 1024, autoCompactionRetention: '1h', heartbeatInterval: 50, electionTimeout: 500, experimentalWatchProgressNotifyInterval: 2000 });
    const config = member.server!.config;
    assert.equal(member.name, 'infra9');
    assert.equal(config.snapshotCount, 5);
    assert.equal(config.quotaBackendBytes, 8 * 1024 * 1024);
    assert.equal(config.heartbeatIntervalMs, 50);
    assert.equal(config.electionTimeoutMs, 500);
    assert.equal(config.watchProgressNotifyIntervalMs, 2000);
    assert.equal(config.maxTxnOps, 128, "etcd's default");
    // Exactly the binary's configuration for the same command line.
    const commandLine = [
      '--name=infra9', '--snapshot-count=5', `--quota-backend-bytes=${8 * 1024 * 1024}`, '--auto-compaction-retention=1h',
      '--heartbeat-interval=50', '--election-timeout=500', '--experimental-watch-progress-notify-interval=2000ms',
      `--data-dir=${member.dataDir}`, `--listen-client-urls=${member.clientUrl}`, `--advertise-client-urls=${member.clientUrl}`,
      `--listen-peer-urls=${member.peerUrl}`, `--initial-advertise-peer-urls=${member.peerUrl}`,
    ];
    assert.deepEqual(config, buildMemberConfig(parseCommandLine(commandLine, {}).values));
    // etcd's own validation, named by option.
    await assert.rejects(startMember({ heartbeatInterval: 500, electionTimeout: 1000 }), /election-timeout/);
    await assert.rejects(startMember({ initialClusterState: 'old' }), (error: Error) => error instanceof MemberOptionError && /initialClusterState/.test(error.message));
  });

  it('takes TLS and auth options: https by default with autoTls, etcdctl over TLS, auth turned on', async () => {
    await using member = await startMember({ autoTls: true, peerAutoTls: true, bcryptCost: 4, authTokenTtl: 60 });
    assert.match(member.clientUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(member.peerUrl, /^https:\/\//);
    assert.equal(member.server!.config.bcryptCost, 4);
    const tls = ['--insecure-transport=false', '--insecure-skip-tls-verify'];
    await etcdctlOk(member.clientUrl, [...tls, 'put', 'secure', 'yes']);
    await etcdctlOk(member.clientUrl, [...tls, 'user', 'add', 'root:rootpw']);
    await etcdctlOk(member.clientUrl, [...tls, 'auth', 'enable']);
    assert.equal((await etcdctlOk(member.clientUrl, [...tls, '--user=root:rootpw', 'get', 'secure', '--print-value-only'])).trim(), 'yes');
    await assert.rejects(etcdctlOk(member.clientUrl, [...tls, 'get', 'secure']), /user name is empty|permission denied|authentication/i);
    // Refused before the data dir is taken: the same dir starts a member right after.
    const dataDir = await mkdtemp(join(tmpdir(), 'etcd-ts-embed-test-'));
    try {
      await assert.rejects(startMember({ dataDir, authToken: 'nonsense' }), /auth/i);
      await (await startMember({ dataDir })).close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown option, naming it and the nearest known one', async () => {
    await assert.rejects(startMember({ snapshotCont: 5 } as never), (error: Error) => {
      assert.ok(error instanceof MemberOptionError);
      assert.match(error.message, /unknown option "snapshotCont"; did you mean "snapshotCount"\?/);
      return true;
    });
    await assert.rejects(startMember({ 'quota-backend-bytes': 1 } as never), /did you mean "quotaBackendBytes"/);
    await assert.rejects(startMember({ zzzzzzzzzzzzzzzzzzzzzz: 1 } as never), (error: Error) => !/did you mean/.test(error.message) && /unknown option/.test(error.message));
    assert.equal(nearestOption('peerAutoTLS'), 'peerAutoTls');
    assert.equal(nearestOption('authtoken'), 'authToken');
  });

  it('has a typed option for every flag', () => {
    const typed = readFileSync(new URL('../../../src/embed/flag-options.ts', import.meta.url), 'utf8');
    for (const flag of Object.keys(FLAGS)) {
      if (flag === 'version' || flag === 'help') continue;
      assert.ok(typed.includes(`  ${camelCaseOf(flag)}?: `), `src/embed/flag-options.ts lacks ${camelCaseOf(flag)} (--${flag}); run scripts/gen-flag-options.mjs`);
    }
  });

  it('close() twice is harmless; a closed member cannot restart', async () => {
    const member = await startMember();
    await Promise.all([member.close(), member.close()]);
    await member.close();
    assert.equal(member.state, 'closed');
    await assert.rejects(member.restart(), /was closed/);
  });

  it('names a port in use, and leaves nothing behind', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    const dataDir = await mkdtemp(join(tmpdir(), 'etcd-ts-embed-test-'));
    try {
      await assert.rejects(startMember({ clientPort: port, dataDir }), (error: Error) => {
        assert.ok(error instanceof PortInUseError, String(error));
        assert.match(error.message, new RegExp(`port ${port} on 127\\.0\\.0\\.1 \\(listenClientUrls`));
        return true;
      });
      await assert.rejects(startMember({ peerPort: port }), /listenPeerUrls/);
      await assert.rejects(startMember({ listenDashboardUrls: `http://127.0.0.1:${port}` }), /listenDashboardUrls/);
      // Nothing held: the same data dir starts a member at once.
      await using member = await startMember({ dataDir });
      assert.equal(member.state, 'running');
    } finally {
      blocker.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a data dir another member of this process holds', async () => {
    await using first = await startMember();
    await assert.rejects(startMember({ dataDir: first.dataDir }), (error: Error) => {
      assert.ok(error instanceof DataDirLockedError, String(error));
      assert.match(error.message, /is in use by another member of this process/);
      return true;
    });
    // Once the first stops, the lock is free again.
    await first.stop();
    await using second = await startMember({ dataDir: first.dataDir });
    assert.equal(second.state, 'running');
  });

  it('restart() keeps the data and the ports', async () => {
    await using member = await startMember();
    const client = connect(member.clientUrl.replace('http://', ''));
    try {
      await client.kv.Put({ key: Buffer.from('kept'), value: Buffer.from('yes') });
    } finally {
      client.close();
    }
    const before = { url: member.clientUrl, id: member.id };
    await member.restart();
    assert.equal(member.state, 'running');
    assert.deepEqual({ url: member.clientUrl, id: member.id }, before);
    assert.equal((await etcdctlOk(member.clientUrl, ['get', 'kept', '--print-value-only'])).trim(), 'yes');
  });

  it('kill() then restart() keeps every acknowledged write', async () => {
    await using member = await startMember({ backendBatchInterval: '10s', backendBatchLimit: 100_000 });
    const client = connect(member.clientUrl.replace('http://', ''));
    try {
      for (let index = 0; index < 50; index++) await client.kv.Put({ key: Buffer.from(`k${index}`), value: Buffer.from(String(index)) });
    } finally {
      client.close();
    }
    // With a 10 s backend batch, none of these reached LMDB: kill() must drop them, the WAL replay bring them back.
    const stateMachine = (member.server as unknown as { stateMachine: { backend: { committedConsistentIndex(): { index: number } } } }).stateMachine;
    const applied = member.server!.appliedIndex;
    assert.ok(stateMachine.backend.committedConsistentIndex().index < applied, 'the writes wait in the backend batch');
    await member.kill();
    // A graceful stop would have committed them; the kill dropped them.
    assert.ok(stateMachine.backend.committedConsistentIndex().index < applied, 'kill() committed the backend batch');
    assert.equal(member.state, 'stopped');
    await member.restart();
    const after = connect(member.clientUrl.replace('http://', ''));
    try {
      const response = await after.kv.Range({ key: Buffer.from('k'), range_end: Buffer.from('l') });
      assert.equal(Number(response.count), 50);
    } finally {
      after.close();
    }
  });

  it('starts well under a second (median of 10)', async () => {
    const times: number[] = [];
    for (let run = 0; run < 10; run++) {
      const started = performance.now();
      const member: Member = await startMember();
      times.push(performance.now() - started);
      await member.close();
    }
    times.sort((a, b) => a - b);
    const median = (times[4]! + times[5]!) / 2;
    console.log(`embedded member start-up: median ${median.toFixed(1)} ms of 10 (${times.map((time) => time.toFixed(0)).join(', ')})`);
    assert.ok(median < 500, `median start-up ${median} ms`);
  });
});
