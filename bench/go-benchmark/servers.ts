// One single-member server per (target, mode): etcd's own flags on free
// loopback ports, a fresh data directory under the data root, for TLS an
// https:// client URL with --cert-file/--key-file/--trusted-ca-file and
// --client-cert-auth (the peer URL stays plain: one member has no peers),
// and for the auth modes --auth-token (auth itself is enabled later, through
// etcdctl: auth.ts).
// bench/server-cluster.ts only starts plain-HTTP members, so this starts
// its own, through the same tests' ServerProcess. Every server is tracked
// and killed by PID: stopAll() at the end and on signals, killAllNow() from
// the process 'exit' handler.

import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../../test/support/free-port.js';
import { ServerProcess } from '../../test/support/server-process.js';
import { processCpuSeconds } from '../proc-stats.js';
import type { TargetDefinition } from '../targets.js';
import { isAuthMode, transportOf, type Mode, type Transport } from './options.js';
import type { BenchCertificates } from './certificates.js';
import { authTokenFlag, type JwtKeys } from './auth.js';
import type { ServerUnderTest } from './server-under-test.js';

const READY_TIMEOUT_MS = 30_000;

const liveServers = new Set<BenchServer>();

export class BenchServer implements ServerUnderTest {
  private constructor(
    readonly target: TargetDefinition,
    readonly mode: Mode,
    readonly clientPort: number,
    readonly process: ServerProcess,
    private readonly dataDir: string,
  ) {}

  static async start(target: TargetDefinition, mode: Mode, dataRoot: string, certificates: BenchCertificates | undefined, jwtKeys: JwtKeys | undefined): Promise<BenchServer> {
    const transport = transportOf(mode);
    const dataDir = mkdtempSync(join(dataRoot, `bench-go-${target.name}-${mode}-`));
    const clientPort = await freePort();
    const peerPort = await freePort();
    const scheme = transport === 'tls' ? 'https' : 'http';
    const clientUrl = `${scheme}://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    if (transport === 'tls' && !certificates) throw new Error('TLS needs certificates');
    const tlsFlags =
      transport === 'tls'
        ? [`--cert-file=${certificates!.server.cert}`, `--key-file=${certificates!.server.key}`, `--trusted-ca-file=${certificates!.caCert}`, '--client-cert-auth']
        : [];
    const flags = [
      '--name=m0',
      `--data-dir=${join(dataDir, 'm0.etcd')}`,
      `--listen-client-urls=${clientUrl}`,
      `--advertise-client-urls=${clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=m0=${peerUrl}`,
      '--initial-cluster-state=new',
      ...tlsFlags,
      ...(isAuthMode(mode) ? [authTokenFlag(mode, jwtKeys)] : []),
    ];
    const server = new BenchServer(target, mode, clientPort, new ServerProcess(target.name, flags, { command: target.command() }), dataDir);
    liveServers.add(server);
    try {
      await server.process.waitReady(`${target.name} (${mode}) to be ready`, READY_TIMEOUT_MS);
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  get transport(): Transport {
    return transportOf(this.mode);
  }

  get label(): string {
    return `${this.target.name}/${this.mode}`;
  }

  /** The endpoint as the Go benchmark and etcdctl take it. */
  get endpoint(): string {
    return `${this.transport === 'tls' ? 'https' : 'http'}://127.0.0.1:${this.clientPort}`;
  }

  get running(): boolean {
    return this.process.running;
  }

  get pids(): number[] {
    return this.process.pid === undefined ? [] : [this.process.pid];
  }

  /** One member is its own leader. */
  async findLeader(): Promise<void> {}

  /** utime + stime of the server process so far. */
  cpuSeconds(): number {
    const pid = this.process.pid;
    return pid === undefined ? Number.NaN : processCpuSeconds(pid);
  }

  /** Why the server is gone, with the tail of its output. */
  deathReport(): string {
    const { child, output } = this.process;
    return `${this.label} exited (${child.exitCode ?? child.signalCode}):\n${output.slice(-3000)}`;
  }

  /** The tail of the server's output, for errors while it still runs. */
  outputTail(chars = 3000): string {
    return this.process.output.slice(-chars);
  }

  async stop(): Promise<void> {
    await this.process.signalAndWait('SIGKILL');
    rmSync(this.dataDir, { recursive: true, force: true });
    liveServers.delete(this);
  }
}

export async function stopAllServers(): Promise<void> {
  await Promise.all([...liveServers].map((server) => server.stop()));
}

/** Synchronous last resort for process 'exit': SIGKILL every server started here, by PID. */
export function killAllServersNow(): void {
  for (const server of liveServers) {
    if (server.process.running) server.process.signal('SIGKILL');
  }
}
