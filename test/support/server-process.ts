// One server process under test — our member (node dist/src/bin/etcd-ts.js)
// or the real etcd binary — with its output captured, a wait for etcd's
// "ready" line, and signals that wait for the exit. Shared by the single
// member harness (member-process.ts) and the cluster harness
// (cluster-process.ts); callers track the processes they start so that
// every one is stopped by PID.

import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { waitFor } from './wait-for.js';

export const PROJECT_ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const SERVER_ENTRY = join(PROJECT_ROOT, 'dist', 'src', 'bin', 'etcd-ts.js');
export const REAL_ETCD_BINARY = '/usr/bin/etcd';
export const READY_LINE = 'ready to serve client requests';

export type MemberKind = 'etcd-ts' | 'etcd';

const OUTPUT_LIMIT_CHARS = 1_000_000;
const SIGTERM_GRACE_MS = 10_000;

export interface ServerProcessOptions {
  env?: NodeJS.ProcessEnv;
  /** What to run before the flags; by default the real etcd, or our member with source maps. */
  command?: { executable: string; leadingArguments: readonly string[] };
  /** Every chunk of stdout and stderr, e.g. to prefix and forward log lines. */
  onOutput?: (chunk: string) => void;
}

export class ServerProcess {
  readonly child: ChildProcess;
  output = '';
  private readonly exited: Promise<void>;

  constructor(
    readonly kind: MemberKind,
    flags: readonly string[],
    options: ServerProcessOptions = {},
  ) {
    const { executable, leadingArguments } =
      options.command ?? (kind === 'etcd' ? { executable: REAL_ETCD_BINARY, leadingArguments: [] } : { executable: process.execPath, leadingArguments: ['--enable-source-maps', SERVER_ENTRY] });
    this.child = spawn(executable, [...leadingArguments, ...flags], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const append = (chunk: Buffer) => {
      const text = chunk.toString();
      this.output += text;
      if (this.output.length > OUTPUT_LIMIT_CHARS) this.output = this.output.slice(-OUTPUT_LIMIT_CHARS / 2);
      options.onOutput?.(text);
    };
    this.child.stdout!.on('data', append);
    this.child.stderr!.on('data', append);
    this.exited = new Promise((resolveExit) => this.child.once('exit', () => resolveExit()));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits for etcd's "ready to serve client requests" (printed after this start); fails early if the process exits. */
  async waitReady(description: string, timeoutMs = 30_000): Promise<void> {
    // waitFor retries a probe that throws, so an exit is returned as a marker and thrown here.
    const outcome = await waitFor(description, () => (!this.running ? 'exited' : this.output.includes(READY_LINE) || undefined), { timeoutMs });
    if (outcome === 'exited') throw new Error(`exited with ${this.child.exitCode ?? this.child.signalCode}:\n${this.output.slice(-4000)}`);
  }

  /** Sends a signal without waiting (SIGSTOP / SIGCONT, or a kill the caller awaits with `exit`). */
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** Sends the signal and waits for the exit; a SIGTERM that is ignored for too long becomes a SIGKILL. */
  async signalAndWait(signal: NodeJS.Signals): Promise<void> {
    if (!this.running) return;
    // A stopped process cannot act on SIGTERM; let it run so it can exit.
    if (signal !== 'SIGKILL') this.child.kill('SIGCONT');
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([this.exited, new Promise((resolveTimeout) => (timer = setTimeout(() => resolveTimeout('timeout'), SIGTERM_GRACE_MS)))]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  exit(): Promise<void> {
    return this.exited;
  }
}
