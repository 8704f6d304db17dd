// Several member processes forming one cluster: our server or the real etcd
// binary, started with etcd's clustering flags, all at once (members of a
// new cluster print "ready to serve client requests" only once a leader
// exists). Members can be killed, stopped, restarted on the same data
// directory, paused and resumed. Every process started here is tracked and
// killed by PID by stopAllClusters(), which tests register with `after`.
//
// Options for fault tests: each member on its own loopback address
// 127.0.0.(10+i), and a hook that puts something (a fault-injecting proxy)
// in front of each member's peer port: peers are then told the front
// address (--initial-advertise-peer-urls, --initial-cluster) while the
// member listens on the real one (--listen-peer-urls).

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { ServerProcess, type MemberKind } from './server-process.js';

export type { MemberKind } from './server-process.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface ClusterOptions {
  kind?: MemberKind;
  size: number;
  /** Member names; default m1..mN. */
  names?: string[];
  /** Each member listens (client and peer) on 127.0.0.(10+i), i = 1..N, instead of 127.0.0.1. */
  distinctAddresses?: boolean;
  /** Fixed ports (e.g. the Procfile's 2379/22379/32379); default free ports. */
  clientPorts?: number[];
  peerPorts?: number[];
  /**
   * Called once per member before any starts, with its real peer listener;
   * returns the address peers must dial instead (a proxy's listener).
   */
  frontPeer?: (member: { name: string; index: number; real: HostPort }) => Promise<HostPort>;
  heartbeatIntervalMs?: number;
  electionTimeoutMs?: number;
  token?: string;
  extraFlags?: string[];
  /** Scheme of the peer URLs; 'https' needs peer TLS flags in extraFlags (e.g. --peer-auto-tls). */
  peerScheme?: 'http' | 'https';
  env?: NodeJS.ProcessEnv;
  /** Parent of the members' data directories; default a fresh temp directory, removed by stop(). */
  dataRoot?: string;
  readyTimeoutMs?: number;
  onOutput?: (member: ClusterMember, chunk: string) => void;
}

export type MemberState = 'running' | 'paused' | 'stopped';

export class ClusterMember {
  private process: ServerProcess | undefined;
  private paused = false;
  /** 'existing' once the member was removed and added back: it then joins rather than bootstraps. */
  clusterState: 'new' | 'existing' = 'new';
  /** Output of earlier starts, kept for post-mortems (bounded). */
  private earlierOutput = '';
  /** Flags for this member only, after the cluster's (e.g. --force-new-cluster for one restart). */
  memberFlags: string[] = [];

  constructor(
    readonly cluster: Cluster,
    readonly index: number,
    readonly name: string,
    readonly host: string,
    readonly clientPort: number,
    readonly peerPort: number,
    /** The peer URL the others dial: the real one, or the front (proxy) one. */
    readonly advertisedPeerUrl: string,
    readonly dataDir: string,
  ) {}

  get endpoint(): string {
    return `${this.host}:${this.clientPort}`;
  }

  get clientUrl(): string {
    return `http://${this.endpoint}`;
  }

  get listenPeerUrl(): string {
    return `${this.cluster.options.peerScheme ?? 'http'}://${this.host}:${this.peerPort}`;
  }

  get pid(): number | undefined {
    return this.process?.running ? this.process.pid : undefined;
  }

  get state(): MemberState {
    if (!this.process?.running) return 'stopped';
    return this.paused ? 'paused' : 'running';
  }

  /** Output of the latest start of this member. */
  get output(): string {
    return this.process?.output ?? '';
  }

  /** Output of every start of this member, oldest first, each start marked. */
  get allOutput(): string {
    return this.earlierOutput + this.output;
  }

  flags(): string[] {
    const options = this.cluster.options;
    return [
      `--name=${this.name}`,
      `--data-dir=${this.dataDir}`,
      `--listen-client-urls=${this.clientUrl}`,
      `--advertise-client-urls=${this.clientUrl}`,
      `--listen-peer-urls=${this.listenPeerUrl}`,
      `--initial-advertise-peer-urls=${this.advertisedPeerUrl}`,
      `--initial-cluster=${this.cluster.initialCluster}`,
      // Ignored by etcd once the data directory exists, so restarts pass the same flags.
      `--initial-cluster-state=${this.clusterState}`,
      `--initial-cluster-token=${options.token ?? 'etcd-cluster-test'}`,
      ...(options.heartbeatIntervalMs === undefined ? [] : [`--heartbeat-interval=${options.heartbeatIntervalMs}`]),
      ...(options.electionTimeoutMs === undefined ? [] : [`--election-timeout=${options.electionTimeoutMs}`]),
      ...(options.extraFlags ?? []),
      ...this.memberFlags,
    ];
  }

  /** Spawns the process; does not wait (see waitReady). */
  spawn(): void {
    if (this.state !== 'stopped') throw new Error(`${this.name} is already ${this.state}`);
    const options = this.cluster.options;
    this.paused = false;
    if (this.process !== undefined) {
      this.earlierOutput = (this.earlierOutput + this.process.output).slice(-2_000_000) + `\n--- ${this.name} restarted at ${new Date().toISOString()} ---\n`;
    }
    this.process = new ServerProcess(this.cluster.kind, this.flags(), {
      ...(options.env === undefined ? {} : { env: options.env }),
      ...(options.onOutput === undefined ? {} : { onOutput: (chunk: string) => options.onOutput!(this, chunk) }),
    });
  }

  async waitReady(timeoutMs = this.cluster.options.readyTimeoutMs ?? 30_000): Promise<void> {
    if (this.process === undefined) throw new Error(`${this.name} was never started`);
    await this.process.waitReady(`${this.cluster.kind} member ${this.name} to serve clients`, timeoutMs);
  }

  /** SIGKILL: no chance to flush anything. */
  async kill(): Promise<void> {
    await this.process?.signalAndWait('SIGKILL');
    this.paused = false;
  }

  /** SIGTERM, and SIGKILL if the member does not exit in time. */
  async stop(): Promise<void> {
    await this.process?.signalAndWait('SIGTERM');
    this.paused = false;
  }

  /**
   * Starts a stopped member again on its data directory. A restarted member
   * is ready only once it reaches a quorum, so callers that restart into a
   * minority pass waitReady: false.
   */
  async start(options: { waitReady?: boolean } = {}): Promise<void> {
    this.spawn();
    if (options.waitReady ?? true) await this.waitReady();
  }

  async restart(options: { waitReady?: boolean } = {}): Promise<void> {
    await this.stop();
    await this.start(options);
  }

  /**
   * Deletes the data directory of a stopped member and marks it to join an
   * existing cluster on its next start (after a MemberAdd with its peer URL).
   */
  wipeForRejoin(): void {
    if (this.state !== 'stopped') throw new Error(`cannot wipe ${this.name} while ${this.state}`);
    rmSync(this.dataDir, { recursive: true, force: true });
    this.clusterState = 'existing';
  }

  /** SIGSTOP: the process keeps its sockets but does nothing, like a long GC pause. */
  pause(): void {
    if (this.state !== 'running') throw new Error(`cannot pause ${this.name}: ${this.state}`);
    this.process!.signal('SIGSTOP');
    this.paused = true;
  }

  resume(): void {
    if (this.state !== 'paused') return;
    this.process!.signal('SIGCONT');
    this.paused = false;
  }
}

const liveClusters = new Set<Cluster>();

export class Cluster {
  readonly members: ClusterMember[] = [];
  initialCluster = '';

  private constructor(
    readonly kind: MemberKind,
    readonly options: ClusterOptions,
    readonly dataRoot: string,
    private readonly ownsDataRoot: boolean,
  ) {}

  static async start(options: ClusterOptions): Promise<Cluster> {
    const kind = options.kind ?? 'etcd-ts';
    const ownsDataRoot = options.dataRoot === undefined;
    const dataRoot = options.dataRoot ?? mkdtempSync(join(tmpdir(), `${kind}-cluster-`));
    mkdirSync(dataRoot, { recursive: true });
    const cluster = new Cluster(kind, options, dataRoot, ownsDataRoot);
    liveClusters.add(cluster);
    try {
      for (let index = 0; index < options.size; index++) {
        const name = options.names?.[index] ?? `m${index + 1}`;
        const host = options.distinctAddresses ? `127.0.0.${11 + index}` : '127.0.0.1';
        const clientPort = options.clientPorts?.[index] ?? (await freePort(host));
        const peerPort = options.peerPorts?.[index] ?? (await freePort(host));
        const front = options.frontPeer ? await options.frontPeer({ name, index, real: { host, port: peerPort } }) : { host, port: peerPort };
        const advertised = `${options.peerScheme ?? 'http'}://${front.host}:${front.port}`;
        cluster.members.push(new ClusterMember(cluster, index, name, host, clientPort, peerPort, advertised, join(dataRoot, `${name}.etcd`)));
      }
      cluster.initialCluster = cluster.members.map((member) => `${member.name}=${member.advertisedPeerUrl}`).join(',');
      for (const member of cluster.members) member.spawn();
      await Promise.all(cluster.members.map((member) => member.waitReady()));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  get endpoints(): string[] {
    return this.members.map((member) => member.endpoint);
  }

  member(name: string): ClusterMember {
    const found = this.members.find((member) => member.name === name);
    if (found === undefined) throw new Error(`no member ${name}`);
    return found;
  }

  /** Kills every member (SIGKILL, by PID) and removes the data unless the caller gave the directory. */
  async stop(options: { graceful?: boolean } = {}): Promise<void> {
    await Promise.all(this.members.map((member) => (options.graceful ? member.stop() : member.kill())));
    if (this.ownsDataRoot) rmSync(this.dataRoot, { recursive: true, force: true });
    liveClusters.delete(this);
  }
}

/** For `after`: every cluster this process started, killed by PID. */
export async function stopAllClusters(): Promise<void> {
  await Promise.all([...liveClusters].map((cluster) => cluster.stop()));
}

/** Synchronous last resort for a process 'exit' handler: SIGKILL every member still running. */
export function killAllClustersNow(): void {
  for (const cluster of liveClusters) {
    for (const member of cluster.members) {
      const pid = member.pid;
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}
