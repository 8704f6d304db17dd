// startCluster: N members in this process, with the fault helpers of etcd's
// integration cluster (stop, kill, restart, partition, heal).
//
// In-process, not child processes: a member starts in tens of milliseconds
// instead of a Node.js boot, tests can look inside (member.server), and
// partitions are a filter on the peer links (ClusterPeers.setBlockedPeers)
// rather than a proxy. kill() is therefore a simulation (see member.ts and
// docs/embedding.md); for a real SIGKILL, run members as processes
// (test/support/cluster-process.ts does).

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { EmbeddedMember, embedSetup, type Member } from './member.js';
import type { MemberOptions } from './options.js';
import { freePort } from './ports.js';

/** Options every member gets (etcd flags in camelCase); names, ports and data dirs are the cluster's. */
export type ClusterMemberOptions = Omit<
  MemberOptions,
  'name' | 'dataDir' | 'listenClientUrls' | 'advertiseClientUrls' | 'listenPeerUrls' | 'initialAdvertisePeerUrls' | 'initialCluster' | 'initialClusterState' | 'clientPort' | 'peerPort' | 'keepDataDir'
>;

export interface ClusterOptions extends ClusterMemberOptions {
  /** Number of members. Default 3. */
  size?: number;
  /** Leave the members' data dirs on disk after close(). Default false. */
  keepDataDirs?: boolean;
}

export interface Cluster extends AsyncDisposable {
  readonly members: readonly Member[];
  /** Every running member's client URLs. */
  readonly endpoints: readonly string[];
  /** The root of the members' data dirs (one subdirectory per member). */
  readonly dataDir: string;
  /** The member a majority of the running members follow now (and can reach, under a partition), if any. */
  leader(): Member | undefined;
  /** Waits until a majority of the running members follow one leader; returns it. */
  waitLeader(timeoutMs?: number): Promise<Member>;
  /** Index of a member in `members`. */
  indexOf(member: Member): number;
  stop(index: number): Promise<void>;
  kill(index: number): Promise<void>;
  restart(index: number): Promise<void>;
  /** Cuts the peer links between the groups: `partition([0], [1, 2])`. Members in no group stay linked to all. */
  partition(...groups: number[][]): void;
  /** Restores every peer link. */
  heal(): void;
  /** Stops every member and removes the data dirs (unless keepDataDirs). Idempotent. */
  close(): Promise<void>;
}

class EmbeddedCluster implements Cluster {
  private closing: Promise<void> | undefined;

  constructor(
    readonly members: readonly EmbeddedMember[],
    readonly dataDir: string,
    private readonly keepDataDirs: boolean,
  ) {}

  get endpoints(): readonly string[] {
    return this.members.filter((member) => member.state === 'running').flatMap((member) => member.endpoints);
  }

  leader(): Member | undefined {
    const running = this.members.filter((member) => member.server !== undefined);
    const quorum = Math.floor(this.members.length / 2) + 1;
    for (const candidate of running) {
      if (!candidate.server!.isLeader) continue;
      // Followers it can reach: right after a partition, cut-off members still name the old leader.
      const followers = running.filter(
        (member) => member.server!.leaderId === candidate.memberIdBigint && (member === candidate || !member.isCutOffFrom(candidate)),
      ).length;
      if (followers >= quorum) return candidate;
    }
    return undefined;
  }

  async waitLeader(timeoutMs = 10_000): Promise<Member> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const leader = this.leader();
      if (leader !== undefined) return leader;
      if (Date.now() > deadline) throw new Error(`no leader followed by a majority of the cluster within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  indexOf(member: Member): number {
    return this.members.indexOf(member as EmbeddedMember);
  }

  private at(index: number): EmbeddedMember {
    const member = this.members[index];
    if (member === undefined) throw new RangeError(`no member ${index} (the cluster has ${this.members.length})`);
    return member;
  }

  stop(index: number): Promise<void> {
    return this.at(index).stop();
  }

  kill(index: number): Promise<void> {
    return this.at(index).kill();
  }

  restart(index: number): Promise<void> {
    return this.at(index).restart();
  }

  partition(...groups: number[][]): void {
    const groupOf = new Map<number, number>();
    groups.forEach((group, groupIndex) => {
      for (const index of group) {
        this.at(index);
        if (groupOf.has(index)) throw new Error(`member ${index} is in two groups`);
        groupOf.set(index, groupIndex);
      }
    });
    this.members.forEach((member, index) => {
      const group = groupOf.get(index);
      const blocked =
        group === undefined
          ? []
          : this.members.filter((_, other) => groupOf.has(other) && groupOf.get(other) !== group).map((other) => other.memberIdBigint);
      member.setBlockedPeers(blocked);
    });
  }

  heal(): void {
    for (const member of this.members) member.setBlockedPeers([]);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(this.members.map((member) => member.close()));
      if (!this.keepDataDirs) await rm(this.dataDir, { recursive: true, force: true });
    })();
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Starts `size` members (default 3) in this process as one new cluster, on
 * free loopback ports, each with a data dir under one temporary directory,
 * and waits until every member has joined and a leader is elected.
 */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const { size = 3, keepDataDirs = false, ...memberOptions } = options;
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`size must be a positive integer, not ${size}`);
  for (const reserved of ['name', 'dataDir', 'listenClientUrls', 'advertiseClientUrls', 'listenPeerUrls', 'initialAdvertisePeerUrls', 'initialCluster', 'initialClusterState', 'clientPort', 'peerPort', 'keepDataDir']) {
    if (reserved in memberOptions) throw new Error(`startCluster chooses ${reserved} for each member; leave it out`);
  }
  const root = await mkdtemp(join(tmpdir(), 'etcd-ts-cluster-'));
  const started: EmbeddedMember[] = [];
  try {
    const names = Array.from({ length: size }, (_, index) => `m${index}`);
    const peerUrls = await Promise.all(names.map(async () => `http://127.0.0.1:${await freePort()}`));
    const initialCluster = names.map((name, index) => `${name}=${peerUrls[index]}`).join(',');
    // A cluster token of its own: two clusters in one process never take each other's members.
    const token = options.initialClusterToken ?? `etcd-ts-embed-${randomBytes(6).toString('hex')}`;
    const setups = await Promise.all(
      names.map((name, index) =>
        embedSetup(
          { ...memberOptions, initialClusterToken: token },
          {
            name,
            'data-dir': join(root, `${name}.etcd`),
            'listen-peer-urls': peerUrls[index]!,
            'initial-advertise-peer-urls': peerUrls[index]!,
            'initial-cluster': initialCluster,
            'initial-cluster-state': 'new',
          },
        ),
      ),
    );
    // Together: each member is ready only once the cluster has a leader.
    const results = await Promise.allSettled(setups.map((setup) => EmbeddedMember.start(setup)));
    for (const result of results) if (result.status === 'fulfilled') started.push(result.value);
    const failed = results.find((result) => result.status === 'rejected');
    if (failed !== undefined) throw (failed as PromiseRejectedResult).reason;
    const cluster = new EmbeddedCluster(started, root, keepDataDirs);
    await cluster.waitLeader();
    return cluster;
  } catch (error) {
    await Promise.all(started.map((member) => member.close()));
    if (!keepDataDirs) await rm(root, { recursive: true, force: true });
    throw error;
  }
}
