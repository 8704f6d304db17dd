// --members N: a cluster of one target started by bench/server-cluster.ts
// (plain HTTP, fresh data dirs, killed by PID through its stopAllServers /
// killAllServersNow), with the endpoint the generator uses set to the
// leader's, found by bench/leader-first.ts before every case in case
// leadership moved.

import { endpointsLeaderFirst } from '../leader-first.js';
import { ServerCluster } from '../server-cluster.js';
import type { TargetDefinition } from '../targets.js';
import type { ServerUnderTest } from './server-under-test.js';

const LEADER_TIMEOUT_MS = 15_000;

export class ClusterServer implements ServerUnderTest {
  readonly mode = 'plain' as const;
  readonly transport = 'plain' as const;
  private leader: string;

  private constructor(
    private readonly cluster: ServerCluster,
    leader: string,
  ) {
    this.leader = leader;
  }

  static async start(target: TargetDefinition, members: number, dataRoot: string): Promise<ClusterServer> {
    const cluster = await ServerCluster.start(target, members, dataRoot, []);
    try {
      const [leader] = await endpointsLeaderFirst(cluster.endpoints, LEADER_TIMEOUT_MS);
      return new ClusterServer(cluster, leader!);
    } catch (error) {
      await cluster.stop();
      throw error;
    }
  }

  get target(): TargetDefinition {
    return this.cluster.target;
  }

  get label(): string {
    return `${this.target.name}/${this.mode}/${this.cluster.members.length} members`;
  }

  get endpoint(): string {
    return `http://${this.leader}`;
  }

  get running(): boolean {
    return this.cluster.members.every((member) => member.process.running);
  }

  get pids(): number[] {
    return this.cluster.members.flatMap((member) => (member.process.pid === undefined ? [] : [member.process.pid]));
  }

  cpuSeconds(): number {
    return this.cluster.usage().cpuSeconds;
  }

  deathReport(): string {
    return this.cluster.deadMemberReport() ?? `${this.label}: every member is still running`;
  }

  outputTail(chars = 3000): string {
    const leader = this.cluster.members.find((member) => `127.0.0.1:${member.slot.clientPort}` === this.leader);
    return (leader ?? this.cluster.members[0]!).process.output.slice(-chars);
  }

  async findLeader(): Promise<void> {
    [this.leader] = (await endpointsLeaderFirst(this.cluster.endpoints, LEADER_TIMEOUT_MS)) as [string];
  }

  stop(): Promise<void> {
    return this.cluster.stop();
  }
}
