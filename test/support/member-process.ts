// Real member processes for integration tests: our server (or the real etcd
// binary, for differential tests) on free loopback ports with its own data
// directory. Every process started here is killed by stopAllMembers(), which
// tests register with `after`, so a failing test never leaves one behind.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.js';
import { ServerProcess, type MemberKind } from './server-process.js';

export { PROJECT_ROOT, SERVER_ENTRY, REAL_ETCD_BINARY, type MemberKind } from './server-process.js';

export interface MemberOptions {
  kind?: MemberKind;
  name?: string;
  extraFlags?: string[];
  env?: NodeJS.ProcessEnv;
}

const running = new Set<MemberProcess>();

export class MemberProcess {
  private process: ServerProcess | undefined;

  get child() {
    return this.process?.child;
  }

  /** Output of the current (latest) process start. */
  get output(): string {
    return this.process?.output ?? '';
  }

  private constructor(
    readonly kind: MemberKind,
    readonly name: string,
    readonly dataDir: string,
    readonly clientPort: number,
    readonly peerPort: number,
    readonly extraFlags: string[],
    readonly env: NodeJS.ProcessEnv,
  ) {}

  static async start(options: MemberOptions = {}): Promise<MemberProcess> {
    const kind = options.kind ?? 'etcd-ts';
    const dataDir = mkdtempSync(join(tmpdir(), `${kind}-test-`));
    const member = new MemberProcess(
      kind,
      options.name ?? 'default',
      join(dataDir, 'data'),
      await freePort(),
      await freePort(),
      options.extraFlags ?? [],
      options.env ?? {},
    );
    running.add(member);
    await member.launch();
    return member;
  }

  get endpoint(): string {
    return `127.0.0.1:${this.clientPort}`;
  }

  get clientUrl(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  flags(): string[] {
    const peerUrl = `http://127.0.0.1:${this.peerPort}`;
    return [
      `--name=${this.name}`,
      `--data-dir=${this.dataDir}`,
      `--listen-client-urls=${this.clientUrl}`,
      `--advertise-client-urls=${this.clientUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=${this.name}=${peerUrl}`,
      ...this.extraFlags,
    ];
  }

  /** Starts (or restarts) the process and waits until it serves clients. */
  async launch(): Promise<void> {
    this.process = new ServerProcess(this.kind, this.flags(), { env: this.env });
    await this.process.waitReady(`${this.kind} member ${this.name} to serve clients`);
  }

  /** SIGKILL: the process gets no chance to flush anything. */
  async kill(): Promise<void> {
    await this.signalAndWait('SIGKILL');
  }

  async stop(): Promise<void> {
    await this.signalAndWait('SIGTERM');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  async destroy(): Promise<void> {
    await this.signalAndWait('SIGKILL');
    running.delete(this);
    rmSync(join(this.dataDir, '..'), { recursive: true, force: true });
  }

  private async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    await this.process?.signalAndWait(signal);
  }
}

export async function stopAllMembers(): Promise<void> {
  await Promise.all([...running].map((member) => member.destroy()));
}
