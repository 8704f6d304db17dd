// Starts the servers under test: one member, or several forming one cluster,
// each on free loopback ports with a fresh data directory under one root (so
// both targets write to the same filesystem). Every process started here is
// tracked by PID and killed by killAllServers(), which run.ts calls on normal
// exit, on errors and on SIGINT/SIGTERM.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../test/support/free-port.js';
import { processCpuSeconds, processPeakRssBytes, processRssBytes } from './proc-stats.js';
import type { TargetDefinition } from './targets.js';

const READY_LINE = 'ready to serve client requests';
const OUTPUT_TAIL_CHARS = 64 * 1024;

interface MemberSlot {
  name: string;
  clientPort: number;
  peerPort: number;
  dataDir: string;
}

export class ServerMember {
  output = '';
  private readonly exited: Promise<void>;

  constructor(
    readonly slot: MemberSlot,
    readonly child: ChildProcess,
  ) {
    const append = (chunk: Buffer) => {
      this.output += chunk.toString();
      if (this.output.length > 2 * OUTPUT_TAIL_CHARS) this.output = this.output.slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get isRunning(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(READY_LINE)) {
      if (!this.isRunning) throw new Error(`${this.slot.name} exited (${this.child.exitCode ?? this.child.signalCode}) before it was ready:\n${this.output.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`${this.slot.name} did not print "${READY_LINE}" within ${timeoutMs} ms:\n${this.output.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async kill(): Promise<void> {
    if (!this.isRunning) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }
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
        const child = spawn(executable, [...leadingArguments, ...flags], { stdio: ['ignore', 'pipe', 'pipe'] });
        cluster.members.push(new ServerMember(slot, child));
      }
      // Members of a new cluster only become ready together, so wait on all at once.
      await Promise.all(cluster.members.map((member) => member.waitReady(30_000)));
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
      cpuSeconds += processCpuSeconds(member.pid);
      peakRssBytes = Math.max(peakRssBytes, processPeakRssBytes(member.pid));
      rssBytes += processRssBytes(member.pid);
    }
    return { cpuSeconds, peakRssBytes, rssBytes };
  }

  /** A member that died, with the tail of its output, or undefined when all run. */
  deadMemberReport(): string | undefined {
    const dead = this.members.find((member) => !member.isRunning);
    return dead ? `${this.target.name} ${dead.slot.name} exited (${dead.child.exitCode ?? dead.child.signalCode}):\n${dead.output.slice(-3000)}` : undefined;
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((member) => member.kill()));
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
      if (member.isRunning) {
        try {
          process.kill(member.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }
}
