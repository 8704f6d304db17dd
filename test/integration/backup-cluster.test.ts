// Scheduled backups in a three-member cluster sharing one --backup-dir: only
// the leader writes backups (the followers log none), and after the leader
// stops, the new leader takes over the schedule.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, stopAllClusters, type ClusterMember } from '../support/cluster-process.js';
import { etcdctlOk } from '../support/etcdctl.js';
import { waitFor } from '../support/wait-for.js';

const saved = (member: ClusterMember): number => (member.output.match(/"msg":"saved backup"/g) ?? []).length;

async function leaderOf(members: ClusterMember[]): Promise<ClusterMember> {
  return waitFor('a leader', async () => {
    for (const member of members) {
      const [status] = JSON.parse(await etcdctlOk(member.endpoint, ['endpoint', 'status', '-w', 'json'])) as { Status: { header: { member_id: number }; leader: number } }[];
      if (status!.Status.leader !== 0 && status!.Status.leader === status!.Status.header.member_id) return member;
    }
    return undefined;
  });
}

describe('scheduled backups in a three-member cluster', { timeout: 180_000 }, () => {
  const backupDir = mkdtempSync(join(tmpdir(), 'etcd-ts-backup-cluster-'));
  after(async () => {
    await stopAllClusters();
    rmSync(backupDir, { recursive: true, force: true });
  });

  it('only the leader writes backups, and a new leader takes over', async () => {
    const cluster = await Cluster.start({ size: 3, extraFlags: [`--backup-dir=${backupDir}`, '--backup-interval=1s', '--backup-retention=4'] });
    const leader = await leaderOf(cluster.members);
    await etcdctlOk(leader.endpoint, ['put', 'k', 'v']);
    await waitFor('three backups by the leader', () => saved(leader) >= 3, { timeoutMs: 30_000 });
    for (const member of cluster.members) if (member !== leader) assert.equal(saved(member), 0, `${member.name} is a follower and wrote a backup`);

    await leader.stop();
    const rest = cluster.members.filter((member) => member !== leader);
    const next = await leaderOf(rest);
    await waitFor('two backups by the new leader', () => saved(next) >= 2, { timeoutMs: 30_000 });
    for (const member of rest) if (member !== next) assert.equal(saved(member), 0, `${member.name} is a follower and wrote a backup`);
    // Four kept; a fifth may be renamed in just before the oldest is deleted.
    const files = readdirSync(backupDir).filter((name) => /^etcd-ts-backup-.*\.db$/.test(name));
    assert.ok(files.length >= 2 && files.length <= 5, files.join(' '));
    await cluster.stop();
  });
});
