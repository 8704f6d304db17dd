// One seeded simulation run: a 3-, 5- or 7-member cluster under a random
// mix of faults (message loss, delay, duplication and reordering;
// symmetric and asymmetric partitions; crashes that lose unpersisted
// state) while clients propose, read, change membership and transfer
// leadership. Safety is checked after every step. Then the faults heal,
// and a leader must appear and a new proposal commit everywhere within a
// bound; finally every committed proposal must be on every member.

import { ConfChangeType, MemoryStorage, Role } from '../../../src/raft/index.js';
import { SimCluster, TICK_UNITS, type SimClusterOptions, type SimMember } from './cluster.js';
import { InvariantViolation } from './checker.js';
import { CALM_NETWORK, type NetworkFaults } from './network.js';
import { Prng } from './prng.js';

export interface SimulationOptions {
  seed: number;
  /** Ticks of faults before healing. */
  chaosTicks?: number;
  /** Ticks allowed after healing for a leader to appear and a proposal to commit everywhere. */
  recoveryBoundTicks?: number;
  unsafeCommitPreviousTermEntries?: boolean;
  /**
   * 'mixed' (default) draws every fault and workload rate from the seed.
   * 'leader-churn' keeps leaders short-lived under a heavy proposal load with
   * tiny append messages: the conditions of the Raft paper's figure 8.
   */
  profile?: 'mixed' | 'leader-churn';
}

export interface SimulationResult {
  seed: number;
  ok: boolean;
  failure?: string;
  clusterSize: number;
  ticks: number;
  committedEntries: number;
  appliedProposals: number;
  stats: SimCluster['stats'] & { proposalsDropped: number; membershipChanges: number; transfers: number; checks: number };
}

const FIRST_NEW_MEMBER_ID = 101;

export function runSimulation(options: SimulationOptions): SimulationResult {
  const prng = new Prng(options.seed);
  const churn = options.profile === 'leader-churn';
  const clusterSize = churn ? 5 : [3, 5, 7][options.seed % 3]!;
  const chaosTicks = options.chaosTicks ?? 200;
  const recoveryBoundTicks = options.recoveryBoundTicks ?? 150;
  const clusterOptions: SimClusterOptions = {
    electionTick: 10,
    heartbeatTick: 1,
    maxSizePerMsgBytes: churn ? 1 : prng.pick([1, 64, 256, 4096]),
    maxInflightMsgs: churn ? 1 : prng.pick([1, 4, 64]),
    // Mostly etcd's defaults, but the classic algorithm is exercised too.
    checkQuorum: prng.chance(churn ? 0.5 : 0.8),
    preVote: prng.chance(churn ? 0.5 : 0.8),
    snapshotIntervalEntries: prng.range(5, 40),
    snapshotKeepEntries: prng.range(0, 10),
    crashInReadyProbability: churn ? 0.005 : prng.pick([0, 0.0005, 0.002]),
    crashLeaderAtMomentProbability: churn ? 0.3 : prng.pick([0, 0.01]),
    encodeMessages: true,
    unsafeCommitPreviousTermEntries: options.unsafeCommitPreviousTermEntries ?? false,
  };
  const faults: NetworkFaults = {
    dropProbability: prng.pick([0, 0.02, 0.1, 0.25]),
    duplicateProbability: prng.pick([0, 0.02, 0.1]),
    minDelayUnits: 1,
    maxDelayUnits: prng.pick([3, 10, 25]),
    longDelayProbability: prng.pick([0, 0.01, 0.05]),
    longDelayMaxUnits: prng.pick([50, 200]),
  };
  const cluster = new SimCluster(prng, clusterOptions);
  const initialIds = Array.from({ length: clusterSize }, (_, position) => position + 1);
  for (const id of initialIds) cluster.addMember(id, MemoryStorage.bootstrap(initialIds));
  cluster.network.faults = faults;

  const counters = { proposalsDropped: 0, membershipChanges: 0, transfers: 0 };
  let nextProposal = 0;
  let nextRead = 0;
  let nextMemberId = FIRST_NEW_MEMBER_ID;
  /** Mean proposals per tick. */
  const proposalsPerTick = churn ? 3 : prng.pick([0.2, 0.5, 1]);
  const partitionChangeRate = churn ? 0.15 : prng.pick([0.01, 0.03, 0.06]);
  const crashRate = churn ? 0.2 : prng.pick([0, 0.005, 0.02]);
  const membershipRate = churn ? 0 : prng.pick([0, 0.02, 0.05]);
  const transferRate = churn ? 0 : prng.pick([0, 0.01, 0.03]);
  const minVoters = clusterSize === 3 ? 2 : 3;
  let ticks = 0;

  const result = (ok: boolean, failure?: string): SimulationResult => ({
    seed: options.seed,
    ok,
    failure,
    clusterSize,
    ticks,
    committedEntries: cluster.checker.committedLength(),
    appliedProposals: cluster.appliedProposals.size,
    stats: { ...cluster.stats, ...counters, checks: cluster.checker.checks },
  });

  const configuredIds = (member: SimMember): number[] => [...member.confState.voters, ...member.confState.learners].map(Number);

  const changePartition = (): void => {
    cluster.network.heal();
    const ids = [...cluster.members.keys()].filter((id) => !cluster.member(id).removed);
    switch (prng.int(5)) {
      case 0:
        break; // healed
      case 1: {
        const isolated = cluster.leader()?.id ?? prng.pick(ids);
        cluster.network.partition([[isolated], ids.filter((id) => id !== isolated)]);
        break;
      }
      case 2: {
        const shuffled = prng.shuffle(ids);
        const cutAt = prng.range(1, shuffled.length - 1);
        cluster.network.partition([shuffled.slice(0, cutAt), shuffled.slice(cutAt)]);
        break;
      }
      case 3: {
        // Asymmetric: some links work in one direction only.
        for (let cuts = prng.range(1, ids.length); cuts > 0; cuts--) {
          const from = prng.pick(ids);
          const to = prng.pick(ids);
          if (from !== to) cluster.network.cutOneWay(from, to);
        }
        break;
      }
      default: {
        // The leader can send but not hear back (or the reverse).
        const leader = cluster.leader()?.id ?? prng.pick(ids);
        for (const id of ids) if (id !== leader) prng.chance(0.5) ? cluster.network.cutOneWay(id, leader) : cluster.network.cutOneWay(leader, id);
      }
    }
  };

  const changeMembership = (leader: SimMember): void => {
    // The simulation names members with small numbers.
    const voters = leader.confState.voters.map(Number);
    const learners = leader.confState.learners.map(Number);
    const choice = prng.int(5);
    let type: ConfChangeType;
    let nodeId: number;
    let newMember = false;
    if (choice === 0 && learners.length > 0) {
      type = ConfChangeType.AddNode; // promote a learner
      nodeId = prng.pick(learners);
    } else if (choice <= 1 && voters.length > minVoters) {
      type = ConfChangeType.RemoveNode; // possibly the leader itself
      nodeId = prng.chance(0.3) ? leader.id : prng.pick(voters);
    } else if (choice === 2 && learners.length > 0) {
      type = ConfChangeType.RemoveNode;
      nodeId = prng.pick(learners);
    } else if (voters.length + learners.length < 9 && nextMemberId < FIRST_NEW_MEMBER_ID + 8) {
      type = prng.chance(0.7) ? ConfChangeType.AddLearnerNode : ConfChangeType.AddNode;
      nodeId = nextMemberId++;
      newMember = true;
    } else {
      return;
    }
    if (newMember) cluster.addMember(nodeId, new MemoryStorage());
    // Usually through the leader, sometimes forwarded by a follower.
    const proposer = prng.chance(0.8) ? leader.id : prng.pick(cluster.upMembers()).id;
    if (cluster.proposeConfChange(proposer, type, nodeId)) counters.membershipChanges++;
  };

  const chaosTick = (): void => {
    ticks++;
    if (prng.chance(partitionChangeRate)) changePartition();
    if (prng.chance(crashRate)) {
      const up = cluster.upMembers();
      const down = [...cluster.members.values()].filter((member) => !member.up && !member.removed).length;
      if (up.length > 0 && down < 2) {
        const victim = prng.chance(churn ? 0.7 : 0.3) ? (cluster.leader() ?? prng.pick(up)) : prng.pick(up);
        cluster.crash(victim.id, (churn ? prng.range(1, 15) : prng.range(3, 60)) * TICK_UNITS);
      }
    }
    const leader = cluster.leader();
    if (leader && prng.chance(membershipRate)) changeMembership(leader);
    if (leader && prng.chance(transferRate) && leader.confState.voters.length > 1) {
      const target = prng.pick(leader.confState.voters.map(Number).filter((id) => id !== leader.id));
      cluster.transferLeader(leader.id, target);
      counters.transfers++;
    }
    let proposals = Math.floor(proposalsPerTick) + (prng.chance(proposalsPerTick % 1) ? 1 : 0);
    for (const up = cluster.upMembers(); proposals > 0 && up.length > 0; proposals--) {
      if (!cluster.propose(prng.pick(up).id, `p${nextProposal++}`)) counters.proposalsDropped++;
    }
    if (prng.chance(0.1)) {
      const up = cluster.upMembers();
      if (up.length > 0) cluster.readIndex(prng.pick(up).id, `r${nextRead++}`);
    }
  };

  try {
    cluster.runTicks(chaosTicks, chaosTick);

    // Heal: calm network, every crashed member back.
    cluster.network.heal();
    cluster.network.faults = CALM_NETWORK;
    cluster.options.crashInReadyProbability = 0;
    cluster.options.crashLeaderAtMomentProbability = 0;
    for (const member of cluster.members.values()) if (!member.up && !member.removed) cluster.restart(member.id);

    const finalKey = `final-${options.seed}`;
    let done = false;
    for (let tick = 0; tick < recoveryBoundTicks && !done; tick++) {
      cluster.runTicks(1);
      ticks++;
      const leader = cluster.leader();
      if (!leader) continue;
      if (!cluster.appliedProposals.has(`n${finalKey}`) && tick % 5 === 0) cluster.propose(leader.id, finalKey);
      const members = configuredIds(leader)
        .map((id) => cluster.members.get(id))
        .filter((member): member is SimMember => member !== undefined && !member.removed);
      // Done once the new proposal is applied everywhere and every member caught up with all that is committed.
      done = members.every(
        (member) =>
          member.up && member.history.includes(`n${finalKey}`) && member.appliedIndex >= cluster.checker.committedLength(),
      );
    }
    if (!done) {
      return result(false, `liveness: no leader with a new proposal applied on all members within ${recoveryBoundTicks} ticks after healing; ${describe(cluster)}`);
    }

    // No committed proposal is lost: every member of the final configuration holds them all.
    const leader = cluster.leader()!;
    if (leader.node!.status().role !== Role.Leader) return result(false, 'final leader lost leadership');
    for (const id of configuredIds(leader)) {
      const member = cluster.members.get(id);
      if (!member || member.removed) continue;
      const held = new Set(member.history);
      for (const key of cluster.appliedProposals) {
        if (!held.has(key)) {
          const index = cluster.checker.committed.findIndex((entry) => entry?.key === key);
          return result(false, `committed proposal ${key} (index ${index}) lost on member ${id} (applied ${member.appliedIndex}, holds ${String(member.history[index])}, history ${member.history.length}, final at ${member.history.indexOf(`n${finalKey}`)}, up ${member.up})`);
        }
      }
      for (let index = 1; index <= cluster.checker.committedLength(); index++) {
        const known = cluster.checker.committed[index];
        if (known && member.history[index] !== known.key) {
          return result(false, `State Machine Safety: member ${id} differs at committed index ${index}`);
        }
      }
    }
    return result(true);
  } catch (error) {
    if (error instanceof InvariantViolation) return result(false, error.message);
    return result(false, `exception: ${(error as Error).stack ?? String(error)}`);
  }
}

/** A one-line summary of every member, for failure reports. */
function describe(cluster: SimCluster): string {
  const parts: string[] = [];
  for (const member of cluster.members.values()) {
    if (!member.node) {
      parts.push(`${member.id}:${member.removed ? 'removed' : 'down'}`);
      continue;
    }
    const status = member.node.status();
    let text = `${member.id}:${status.role}/t${status.term}/lead${status.leader}/commit${status.commit}/applied${member.appliedIndex}/last${member.disk.lastIndex()}/conf[${status.confState.voters}|${status.confState.learners}]`;
    if (status.progress) {
      text += '/progress{' + [...status.progress].map(([id, p]) => `${id}:${p.state}:${p.match}-${p.next}`).join(',') + '}';
    }
    parts.push(text);
  }
  return parts.join(' ');
}
