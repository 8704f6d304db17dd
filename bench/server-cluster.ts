// Starts the servers under test: one member, or several forming one cluster,
// each on free loopback ports with a fresh data directory under one root (so
// both targets write to the same filesystem). Every process started here is
// tracked by PID and killed by killAllServers(), which run.ts calls on normal
// exit, on errors and on SIGINT/SIGTERM.

import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../test/support/free-port.js';
import { ServerProcess } from '../test/support/server-process.js';
import { processCpuSeconds, processPeakRssBytes, processRssBytes } from './proc-stats.js';
import type { TargetDefinition } from './targets.js';

interface MemberSlot {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
}

/** One started server: where it listens, and its process (the tests' harness). */
export interface ServerMember {
  slot: MemberSlot;
  process: ServerProcess;
}

export interface ServerUsage {
  cpuSeconds: number;
  /** The largest VmHWM among the members (each member is its own machine in production). */
  peakRssBytes: number;
  /** Resident memory now (VmRSS), summed over the members. */
  rssBytes: number;
}

const liveClusters = new Set<ServerCluster>();

export class ServerCluster {
  private constructor(
    readonly target: TargetDefinition,
    readonly members: ServerMember[],
    private readonly rootDir: string,
  ) {}

  static async start(target: TargetDefinition, memberCount: number, dataRoot: string, extraFlags: string[]): Promise<ServerCluster> {
    const rootDir = mkdtempSync(join(dataRoot, `bench-${target.name}-`));
    const slots: MemberSlot[] = [];
    for (let index = 0; index < memberCount; index++) {
      const name = `m${index}`;
      slots.push({ name, clientPort: await freePort(), peerPort: await freePort(), dataDir: join(rootDir, `${name}.etcd`) });
    }
    const initialCluster = slots.map((slot) => `${slot.name}=http://127.0.0.1:${slot.peerPort}`).join(',');
    const { executable, leadingArguments } = target.command();
    const cluster = new ServerCluster(target, [], rootDir);
    liveClusters.add(cluster);
    try {
      for (const slot of slots) {
        const clientUrl = `http://127.0.0.1:${slot.clientPort}`;
        const peerUrl = `http://127.0.0.1:${slot.peerPort}`;
        const flags = [
          `--name=${slot.name}`,
          `--data-dir=${slot.dataDir}`,
          `--listen-client-urls=${clientUrl}`,
          `--advertise-client-urls=${clientUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=${initialCluster}`,
          '--initial-cluster-state=new',
          ...extraFlags,
        ];
        cluster.members.push({ slot, process: new ServerProcess(target.name, flags, { command: { executable, leadingArguments } }) });
      }
      // Members of a new cluster only become ready together, so wait on all at once.
      await Promise.all(cluster.members.map((member) => member.process.waitReady(`${target.name} ${member.slot.name} to be ready`, 30_000)));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** Client endpoints as host:port, one per member. */
  get endpoints(): string[] {
    return this.members.map((member) => `127.0.0.1:${member.slot.clientPort}`);
  }

  usage(): ServerUsage {
    let cpuSeconds = 0;
    let peakRssBytes = 0;
    let rssBytes = 0;
    for (const member of this.members) {
      const pid = member.process.pid;
      if (pid === undefined) continue;
      cpuSeconds += processCpuSeconds(pid);
      peakRssBytes = Math.max(peakRssBytes, processPeakRssBytes(pid));
      rssBytes += processRssBytes(pid);
    }
    return { cpuSeconds, peakRssBytes, rssBytes };
  }

  /** A member that died, with the tail of its output, or undefined when all run. */
  deadMemberReport(): string | undefined {
    const dead = this.members.find((member) => !member.process.running);
    if (!dead) return undefined;
    const { child, output } = dead.process;
    return `${this.target.name} ${dead.slot.name} exited (${child.exitCode ?? child.signalCode}):\n${output.slice(-3000)}`;
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((member) => member.process.signalAndWait('SIGKILL')));
    rmSync(this.rootDir, { recursive: true, force: true });
    liveClusters.delete(this);
  }
}

export async function stopAllServers(): Promise<void> {
  await Promise.all([...liveClusters].map((cluster) => cluster.stop()));
}

/** Synchronous last resort for process 'exit': SIGKILL every server we started, by PID. */
export function killAllServersNow(): void {
  for (const cluster of liveClusters) {
    for (const member of cluster.members) {
      if (member.process.running) member.process.signal('SIGKILL');
    }
  }
}
