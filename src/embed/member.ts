// startMember: one etcd-ts member inside the calling Node.js process, on
// free loopback ports and a temporary data dir unless told otherwise.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startMember as startRunningMember, type RunningMember } from '../api/start-member.js';
import type { MemberConfig } from '../server/config.js';
import type { EtcdServer } from '../server/etcd-server.js';
import { formatId } from '../server/membership/ids.js';
import { createLogger, silentLogger, type Logger } from '../pkg/logger.js';
import { logWriter } from '../pkg/log-outputs.js';
import { bindHostOf } from '../pkg/url-host.js';
import { camelCaseOf, flagValuesOf, memberConfigOf, type MemberOptions } from './options.js';
import { checkPortFree, freePort } from './ports.js';
import { newTokenProvider } from '../auth/tokens/index.js';

export type MemberState = 'running' | 'stopped' | 'closed';

/** A running (or stopped) embedded member. */
export interface Member extends AsyncDisposable {
  /** --name. */
  readonly name: string;
  /** The first advertised client URL, e.g. "http://127.0.0.1:40123". */
  readonly clientUrl: string;
  /** Every advertised client URL: give these to etcd3 (`hosts`) or etcdctl (`--endpoints`). */
  readonly endpoints: readonly string[];
  /** The first advertised peer URL. */
  readonly peerUrl: string;
  /** The member id in hex, as etcdctl member list shows it. */
  readonly id: string;
  readonly dataDir: string;
  readonly state: MemberState;
  /** The member's server while it runs (for tests that look inside: leader, status, ...). */
  readonly server: EtcdServer | undefined;
  /** Graceful stop; the data dir stays and restart() brings the member back. Idempotent. */
  stop(): Promise<void>;
  /**
   * Stops the member as kill -9 would leave its data dir: applied writes not yet
   * committed to the backend are dropped (replayed from the WAL on restart),
   * sockets are cut, ports and the data-dir lock are released. See docs/embedding.md.
   */
  kill(): Promise<void>;
  /** Starts again on the same data dir and ports (stopping gracefully first if running). */
  restart(): Promise<void>;
  /** Graceful stop and, for a temporary data dir, its removal. Idempotent: a second call is harmless. */
  close(): Promise<void>;
}

interface MemberSetup {
  argv: string[];
  config: MemberConfig;
  logger: Logger;
  /** The data dir was made here, and is removed by close(). */
  ownedDataDir: string | undefined;
}

export class EmbeddedMember implements Member {
  private running: RunningMember | undefined;
  private currentState: MemberState = 'stopped';
  private operation: Promise<unknown> = Promise.resolve();
  private closing: Promise<void> | undefined;
  private memberId: bigint | undefined;
  /** Members this one cannot reach (cluster partitions); kept across restarts. */
  private blocked: readonly bigint[] = [];

  private constructor(private readonly setup: MemberSetup) {}

  /** Starts a member; on failure nothing stays behind (the temporary data dir is removed). */
  static async start(setup: MemberSetup): Promise<EmbeddedMember> {
    const member = new EmbeddedMember(setup);
    try {
      await member.startRunning();
    } catch (error) {
      if (setup.ownedDataDir !== undefined) await rm(setup.ownedDataDir, { recursive: true, force: true });
      throw error;
    }
    return member;
  }

  get name(): string {
    return this.setup.config.name;
  }
  get endpoints(): readonly string[] {
    return this.setup.config.advertiseClientUrls.map((url) => url.href.replace(/\/$/, ''));
  }
  get clientUrl(): string {
    return this.endpoints[0]!;
  }
  get peerUrl(): string {
    return this.setup.config.initialAdvertisePeerUrls[0]!.href.replace(/\/$/, '');
  }
  get id(): string {
    return formatId(this.memberIdBigint);
  }
  /** @internal */
  get memberIdBigint(): bigint {
    if (this.memberId === undefined) throw new Error('member id not known yet');
    return this.memberId;
  }
  get dataDir(): string {
    return this.setup.config.dataDir;
  }
  get state(): MemberState {
    return this.currentState;
  }
  get server(): EtcdServer | undefined {
    return this.running?.server;
  }

  /** @internal Whether cluster.partition cut this member off from `other`. */
  isCutOffFrom(other: EmbeddedMember): boolean {
    return other.memberId !== undefined && this.blocked.includes(other.memberId);
  }

  /** @internal Cuts this member off from these members (cluster.partition); [] heals. */
  setBlockedPeers(memberIds: readonly bigint[]): void {
    this.blocked = [...memberIds];
    this.running?.server.setBlockedPeers(this.blocked);
  }

  stop(): Promise<void> {
    return this.serialized(async () => {
      if (this.running === undefined) return;
      const running = this.running;
      this.running = undefined;
      if (this.currentState === 'running') this.currentState = 'stopped';
      await running.stop();
    });
  }

  kill(): Promise<void> {
    return this.serialized(async () => {
      if (this.running === undefined) return;
      const running = this.running;
      this.running = undefined;
      if (this.currentState === 'running') this.currentState = 'stopped';
      await running.kill();
    });
  }

  restart(): Promise<void> {
    return this.serialized(async () => {
      if (this.currentState === 'closed') throw new Error(`member ${this.name} was closed; start a new one`);
      if (this.running !== undefined) {
        const running = this.running;
        this.running = undefined;
        this.currentState = 'stopped';
        await running.stop();
      }
      // The same flags again: a new config object, as a restarted process would build.
      this.setup.config = memberConfigOf(this.setup.argv);
      await this.startRunning();
    });
  }

  close(): Promise<void> {
    this.closing ??= this.serialized(async () => {
      const running = this.running;
      this.running = undefined;
      this.currentState = 'closed';
      if (running !== undefined) await running.stop();
      if (this.setup.ownedDataDir !== undefined) await rm(this.setup.ownedDataDir, { recursive: true, force: true });
    });
    return this.closing;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  private async startRunning(): Promise<void> {
    // Refusals the server would make only after taking the data dir: made here first.
    newTokenProvider(this.setup.config.authToken, { ttlSeconds: this.setup.config.authTokenTtlSeconds, logger: silentLogger }).close();
    await checkPorts(this.setup.config);
    // The host's process metrics are not a member's; see StartOptions.processMetrics.
    const running = await startRunningMember(this.setup.config, this.setup.logger, { processMetrics: false });
    this.running = running;
    this.memberId = running.server.memberId;
    this.currentState = 'running';
    if (this.blocked.length > 0) running.server.setBlockedPeers(this.blocked);
  }

  /** One start/stop at a time, in call order; a failed one does not block the next. */
  private serialized<T>(step: () => Promise<T>): Promise<T> {
    const next = this.operation.then(step, step);
    this.operation = next.catch(() => undefined);
    return next;
  }
}

/** A port taken by something else is named before the member touches its data dir. */
async function checkPorts(config: MemberConfig): Promise<void> {
  const listens: Array<[URL[], string]> = [
    [config.listenClientUrls, 'listen-client-urls'],
    [config.listenPeerUrls, 'listen-peer-urls'],
    [config.listenMetricsUrls, 'listen-metrics-urls'],
    [config.dashboard ? config.listenDashboardUrls : [], 'listen-dashboard-urls'],
  ];
  for (const [urls, flag] of listens) {
    const seen = new Set<string>();
    for (const url of urls) {
      if (!url.protocol.startsWith('http') || Number(url.port) === 0) continue;
      const key = `${bindHostOf(url)}:${url.port}`;
      if (seen.has(key)) continue;
      seen.add(key);
      await checkPortFree(bindHostOf(url), Number(url.port), `${camelCaseOf(flag)} ${url.href}`);
    }
  }
}

/** Flags in their command-line form, defaulted for embedding: loopback ports, a data dir. */
export async function embedSetup(options: MemberOptions, defaults: Record<string, string> = {}): Promise<MemberSetup> {
  // Unknown options are refused before anything is made.
  flagValuesOf(options as Record<string, unknown>, {});
  const given = (option: keyof MemberOptions) => options[option] !== undefined;
  const flagDefaults: Record<string, string> = { ...defaults };
  let ownedDataDir: string | undefined;
  if (!given('dataDir') && flagDefaults['data-dir'] === undefined) {
    ownedDataDir = await mkdtemp(join(tmpdir(), 'etcd-ts-member-'));
    flagDefaults['data-dir'] = ownedDataDir;
  }
  try {
    if (!given('listenClientUrls') && flagDefaults['listen-client-urls'] === undefined) {
      // With client TLS asked for, the default URL is https (as etcd needs for --auto-tls / --cert-file).
      const scheme = options.autoTls || options.certFile ? 'https' : 'http';
      flagDefaults['listen-client-urls'] = `${scheme}://127.0.0.1:${options.clientPort ?? (await freePort())}`;
    }
    if (!given('advertiseClientUrls') && flagDefaults['advertise-client-urls'] === undefined) {
      // Advertise what it listens on (etcd's default, localhost:2379, would be wrong here).
      flagDefaults['advertise-client-urls'] = listOf(options.listenClientUrls) ?? flagDefaults['listen-client-urls']!;
    }
    if (!given('listenPeerUrls') && flagDefaults['listen-peer-urls'] === undefined) {
      const scheme = options.peerAutoTls || options.peerCertFile ? 'https' : 'http';
      flagDefaults['listen-peer-urls'] = `${scheme}://127.0.0.1:${options.peerPort ?? (await freePort())}`;
    }
    if (!given('initialAdvertisePeerUrls') && flagDefaults['initial-advertise-peer-urls'] === undefined) {
      flagDefaults['initial-advertise-peer-urls'] = listOf(options.listenPeerUrls) ?? flagDefaults['listen-peer-urls']!;
    }
    const { argv, explicit } = flagValuesOf(options as Record<string, unknown>, flagDefaults);
    const config = memberConfigOf(argv);
    config.dataDir = resolve(config.dataDir);
    argv.push(`--data-dir=${config.dataDir}`);
    const logger =
      options.logger ??
      (explicit.has('log-level') || explicit.has('log-outputs') || explicit.has('debug')
        ? createLogger({ level: config.logLevel, write: logWriter(config.logOutputs) })
        : silentLogger);
    return { argv, config, logger, ownedDataDir };
  } catch (error) {
    if (ownedDataDir !== undefined) await rm(ownedDataDir, { recursive: true, force: true });
    throw error;
  }
}

function listOf(value: string | readonly string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : value.join(',');
}

/**
 * Starts one member in this process. With no options: a fresh temporary data
 * dir (removed by close()), free ports on 127.0.0.1, no logging.
 */
export async function startMember(options: MemberOptions = {}): Promise<Member> {
  return EmbeddedMember.start(await embedSetup(options));
}
