// Watches the cluster from outside through Maintenance.Status: which member
// leads (the nemesis targets it), how often leadership changed, and whether
// the cluster is healthy again after a fault (every member up and agreeing
// on one leader).

import type { Cluster, ClusterMember } from '../../support/cluster-process.js';
import { waitFor } from '../../support/wait-for.js';
import { KvClient, type MemberStatus } from './kv-client.js';

const STATUS_DEADLINE_MS = 700;
const POLL_INTERVAL_MS = 200;

export class ClusterMonitor {
  private readonly clients = new Map<ClusterMember, KvClient>();
  private readonly ids = new Map<string, ClusterMember>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private lastLeader: { term: number; leader: string } | undefined;
  /** Leaders seen, in order of term (a new leader at a higher term counts once). */
  leaderChanges = 0;
  highestTerm = 0;

  constructor(readonly cluster: Cluster) {
    for (const member of cluster.members) this.clients.set(member, new KvClient(member.endpoint, STATUS_DEADLINE_MS));
  }

  /** Learns every member's id (each must answer once). */
  async learnIds(): Promise<void> {
    for (const member of this.cluster.members) {
      const status = await waitFor(`status of ${member.name}`, () => this.status(member), { timeoutMs: 15_000 });
      this.ids.set(status.memberId, member);
    }
  }

  /** Learns a member's id again (after it was removed and added back under a new id). */
  async relearn(member: ClusterMember, timeoutMs: number): Promise<void> {
    for (const [id, known] of this.ids) if (known === member) this.ids.delete(id);
    const status = await waitFor(`status of ${member.name}`, () => this.status(member), { timeoutMs });
    this.ids.set(status.memberId, member);
  }

  /** The member's id as its Status reports it (the same rounding as `leader`). */
  idOf(member: ClusterMember): string | undefined {
    for (const [id, known] of this.ids) if (known === member) return id;
    return undefined;
  }

  async status(member: ClusterMember): Promise<MemberStatus | undefined> {
    if (member.state !== 'running') return undefined;
    try {
      return await this.clients.get(member)!.status();
    } catch {
      return undefined;
    }
  }

  memberById(id: string): ClusterMember | undefined {
    return this.ids.get(id);
  }

  /** The leader as the running members report it, if they agree on one with the highest term seen. */
  async leader(): Promise<ClusterMember | undefined> {
    const statuses = (await Promise.all(this.cluster.members.map((member) => this.status(member)))).filter((status) => status !== undefined);
    this.observe(statuses);
    const top = statuses.filter((status) => status.leader !== '0').sort((a, b) => b.raftTerm - a.raftTerm)[0];
    return top === undefined ? undefined : this.ids.get(top.leader);
  }

  /** Every member running and all of them naming the same (known) leader. */
  async healthy(): Promise<boolean> {
    if (this.cluster.members.some((member) => member.state !== 'running')) return false;
    const statuses = await Promise.all(this.cluster.members.map((member) => this.status(member)));
    if (statuses.some((status) => status === undefined)) return false;
    this.observe(statuses as MemberStatus[]);
    const leaders = new Set(statuses.map((status) => status!.leader));
    const [leader] = leaders;
    return leaders.size === 1 && leader !== '0' && this.ids.has(leader!);
  }

  async waitHealthy(timeoutMs: number): Promise<void> {
    await waitFor('every member up and agreeing on a leader', () => this.healthy(), { timeoutMs, intervalMs: 100 });
  }

  /** Polls in the background to count leader changes during the run. */
  startPolling(): void {
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.polling = true;
      void this.leader().finally(() => (this.polling = false));
    }, POLL_INTERVAL_MS);
  }

  close(): void {
    clearInterval(this.timer);
    for (const client of this.clients.values()) client.close();
  }

  private observe(statuses: readonly MemberStatus[]): void {
    for (const status of statuses) {
      this.highestTerm = Math.max(this.highestTerm, status.raftTerm);
      if (status.leader === '0') continue;
      const last = this.lastLeader;
      if (last === undefined || status.raftTerm > last.term) {
        if (last !== undefined && last.leader !== status.leader) this.leaderChanges++;
        this.lastLeader = { term: status.raftTerm, leader: status.leader };
      }
    }
  }
}
