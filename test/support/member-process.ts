// Real member processes for integration tests: our server (or the real etcd
// binary, for differential tests) on free loopback ports with its own data
// directory. Every process started here is killed by stopAllMembers(), which
// tests register with `after`, so a failing test never leaves one behind.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './free-port.js';
import { waitFor } from './wait-for.js';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const SERVER_ENTRY = join(PROJECT_ROOT, 'dist', 'src', 'bin', 'etcd-ts.js');
export const REAL_ETCD_BINARY = '/usr/bin/etcd';

export type MemberKind = 'etcd-ts' | 'etcd';

export interface MemberOptions {
  kind?: MemberKind;
  name?: string;
  extraFlags?: string[];
  env?: NodeJS.ProcessEnv;
}

const running = new Set<MemberProcess>();

export class MemberProcess {
  child: ChildProcess | undefined;
  output = '';
  private exitPromise: Promise<number | null> | undefined;

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
    const command = this.kind === 'etcd' ? REAL_ETCD_BINARY : process.execPath;
    const args = this.kind === 'etcd' ? this.flags() : ['--enable-source-maps', SERVER_ENTRY, ...this.flags()];
    const child = spawn(command, args, {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.output = '';
    const append = (chunk: Buffer) => {
      this.output += chunk.toString();
      if (this.output.length > 1_000_000) this.output = this.output.slice(-500_000);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    this.exitPromise = new Promise((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    await waitFor(
      `${this.kind} member ${this.name} to serve clients`,
      () => {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}:\n${this.output.slice(-4000)}`);
        return this.output.includes('ready to serve client requests') || undefined;
      },
      { timeoutMs: 30_000 },
    );
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
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const exited = await Promise.race([this.exitPromise, new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), 10_000)))]);
    clearTimeout(timer);
    if (exited === 'timeout') {
      child.kill('SIGKILL');
      await this.exitPromise;
    }
  }
}

export async function stopAllMembers(): Promise<void> {
  await Promise.all([...running].map((member) => member.destroy()));
}
