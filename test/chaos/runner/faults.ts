// The fault kinds of the nemesis. Process faults (kill, pause) work on any
// member kind; link faults go through the peer-link proxy and need members
// that dial from their own address (etcd-ts with sourceAddress; not etcd
// 3.4, whose peer connections all come from 127.0.0.1).

import type { ClusterMember } from '../../support/cluster-process.js';
import { waitFor } from '../../support/wait-for.js';
import { MembershipClient } from './membership.js';
import { memberNames, type Fault, type NemesisContext } from './nemesis.js';

const needsPartitions = (context: NemesisContext) =>
  context.partitionsWork ? undefined : 'peer connections cannot be told apart (members do not dial from their own address)';

/** SIGKILL a random member; heal by starting it again on its data directory. */
export const killRestart: Fault = {
  name: 'kill-restart',
  unsupported: () => undefined,
  async inject({ cluster, random }) {
    const victim = random.pick(cluster.members);
    await victim.kill();
    return {
      description: `SIGKILL ${victim.name}`,
      // The member is ready once it reaches a quorum, which the nemesis then waits for anyway.
      heal: () => victim.start({ waitReady: false }),
    };
  },
};

/** SIGSTOP the leader: it keeps its sockets but goes silent, as in a long GC pause. */
export const pauseLeader: Fault = {
  name: 'pause-leader',
  unsupported: () => undefined,
  async inject({ monitor }) {
    const leader = await monitor.leader();
    if (leader === undefined || leader.state !== 'running') return undefined;
    leader.pause();
    return { description: `SIGSTOP leader ${leader.name}`, heal: async () => leader.resume() };
  },
};

/** Cuts the leader off from every other member, both ways. */
export const isolateLeader: Fault = {
  name: 'isolate-leader',
  unsupported: needsPartitions,
  async inject({ monitor, proxy }) {
    const leader = await monitor.leader();
    if (leader === undefined) return undefined;
    proxy.isolate(leader.name);
    return { description: `isolate leader ${leader.name}`, heal: async () => proxy.heal() };
  },
};

/** Splits into a random minority and majority; the leader may be on either side. */
export const splitMinority: Fault = {
  name: 'split-minority',
  unsupported: needsPartitions,
  async inject({ cluster, proxy, random }) {
    const shuffled: ClusterMember[] = random.shuffle(cluster.members);
    const minority = shuffled.slice(0, Math.floor((cluster.members.length - 1) / 2));
    const majority = shuffled.slice(minority.length);
    proxy.partition([minority.map((member) => member.name), majority.map((member) => member.name)]);
    return { description: `partition ${memberNames(minority)} | ${memberNames(majority)}`, heal: async () => proxy.heal() };
  },
};

/** The leader can hear its followers but its own messages are lost: one-way links. */
export const leaderOneWay: Fault = {
  name: 'leader-one-way',
  unsupported: needsPartitions,
  async inject({ cluster, monitor, proxy }) {
    const leader = await monitor.leader();
    if (leader === undefined) return undefined;
    for (const member of cluster.members) if (member !== leader) proxy.cut(leader.name, member.name);
    return { description: `cut ${leader.name} → others (one way)`, heal: async () => proxy.heal() };
  },
};

/** Slow links: every peer link held for a random delay. */
export const slowLinks: Fault = {
  name: 'slow-links',
  unsupported: needsPartitions,
  async inject({ cluster, proxy, random }) {
    const delayMs = random.int(20, 150);
    for (const from of cluster.members) for (const to of cluster.members) if (from !== to) proxy.delay(from.name, to.name, delayMs);
    return { description: `delay every peer link by ${delayMs} ms`, heal: async () => proxy.heal() };
  },
};

/**
 * A membership change: remove a follower (MemberRemove through the leader),
 * stop it, delete its data, add it back under a new id (MemberAdd with the
 * same peer URL) and start it with --initial-cluster-state=existing, so it
 * catches up from nothing — by snapshot once the log was compacted.
 */
export const replaceFollower: Fault = {
  name: 'replace-follower',
  unsupported: () => undefined,
  async inject({ cluster, monitor, random }) {
    const leader = await monitor.leader();
    if (leader === undefined) return undefined;
    const followers = cluster.members.filter((member) => member !== leader && member.state === 'running');
    if (followers.length === 0) return undefined;
    const victim = random.pick(followers);
    const membership = new MembershipClient(leader.endpoint);
    try {
      const listed = (await membership.list()).find((member) => member.name === victim.name);
      if (listed === undefined) return undefined;
      // etcd refuses a removal that would leave too few members active for long enough
      // ("unhealthy cluster", e.g. right after a restart): retry a while, else skip this turn.
      const removed = await waitFor(
        `MemberRemove of ${victim.name}`,
        () => membership.remove(listed.id).then(() => true, (error: Error) => {
          if (error.message.includes('unhealthy cluster')) return undefined;
          throw error;
        }),
        { timeoutMs: 15_000, intervalMs: 500 },
      ).catch((error: Error) => {
        if (error.message.includes('timed out')) return false;
        throw error;
      });
      if (!removed) return undefined;
      await victim.kill();
      victim.wipeForRejoin();
      // Retried: right after a removal the leader may refuse until the change is applied everywhere it checks.
      await waitFor(`MemberAdd of ${victim.name}`, async () => (await membership.add([victim.advertisedPeerUrl])) ?? undefined, { timeoutMs: 15_000, intervalMs: 250 });
    } finally {
      membership.close();
    }
    return {
      description: `remove ${victim.name}, wipe its data, add it back`,
      heal: async () => {
        await victim.start({ waitReady: false });
        await monitor.relearn(victim, 30_000);
      },
    };
  },
};

export const ALL_FAULTS: readonly Fault[] = [killRestart, pauseLeader, isolateLeader, splitMinority, leaderOneWay, slowLinks, replaceFollower];

export function selectFaults(names: readonly string[] | undefined): Fault[] {
  if (names === undefined) return [...ALL_FAULTS];
  return names.map((name) => {
    const fault = ALL_FAULTS.find((candidate) => candidate.name === name);
    if (fault === undefined) throw new Error(`unknown fault ${name}; known: ${ALL_FAULTS.map((candidate) => candidate.name).join(', ')}`);
    return fault;
  });
}
