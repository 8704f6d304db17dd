// The nemesis: injects one fault at a time on a seeded schedule and heals it
// before the next. Faults are plugins (see faults.ts): each says whether it
// applies to this cluster and returns how to undo itself, so new kinds —
// membership changes, clock faults — slot in without touching the loop.
// Every round goes through all applicable faults in a shuffled order, so a
// short run still sees each kind.

import type { Cluster, ClusterMember } from '../../support/cluster-process.js';
import type { ClusterMonitor } from './cluster-monitor.js';
import type { PeerLinkProxy } from './peer-link-proxy.js';
import type { Random } from './random.js';

export interface NemesisContext {
  cluster: Cluster;
  proxy: PeerLinkProxy;
  monitor: ClusterMonitor;
  random: Random;
  /** True when the proxy can tell members' peer connections apart (each dials from its own address). */
  partitionsWork: boolean;
  log: (line: string) => void;
}

export interface ActiveFault {
  /** What was done, for the log: "killed m2". */
  description: string;
  heal(): Promise<void>;
}

export interface Fault {
  name: string;
  /** Why the fault cannot run here, or undefined when it can. */
  unsupported(context: NemesisContext): string | undefined;
  /** Injects the fault; undefined when there is no target right now (e.g. no leader known). */
  inject(context: NemesisContext): Promise<ActiveFault | undefined>;
}

export interface NemesisOptions {
  holdMs: [number, number];
  gapMs: [number, number];
  /** How long the cluster may take to be healthy again after a heal. */
  recoveryTimeoutMs: number;
}

export class Nemesis {
  readonly injected = new Map<string, number>();
  readonly skipped = new Map<string, string>();
  /** Faults that failed, or after which the cluster did not recover in time (availability bugs). */
  readonly recoveryFailures: string[] = [];
  private active: ActiveFault | undefined;
  private stopRequested = false;
  private wake: (() => void) | undefined;
  private readonly faults: Fault[];
  private firstRoundEnded!: () => void;
  /** Resolves once every applicable fault had its turn (or the nemesis stopped). */
  readonly firstRound = new Promise<void>((resolve) => (this.firstRoundEnded = resolve));

  constructor(
    private readonly context: NemesisContext,
    faults: readonly Fault[],
    private readonly options: NemesisOptions,
  ) {
    this.faults = faults.filter((fault) => {
      const reason = fault.unsupported(context);
      if (reason !== undefined) this.skipped.set(fault.name, reason);
      return reason === undefined;
    });
  }

  async run(): Promise<void> {
    try {
      await this.rounds();
    } finally {
      this.firstRoundEnded();
    }
  }

  private async rounds(): Promise<void> {
    const { random } = this.context;
    while (!this.stopRequested) {
      for (const fault of random.shuffle(this.faults)) {
        await this.pause(random.int(...this.options.gapMs));
        if (this.stopRequested) return;
        let active: ActiveFault | undefined;
        try {
          active = await fault.inject(this.context);
        } catch (error) {
          // A fault that could not be carried out (or only half) is reported; the final heal repairs what it can.
          const message = `${fault.name} failed: ${(error as Error).message}`;
          this.recoveryFailures.push(message);
          this.context.log(`nemesis: ${message}`);
          continue;
        }
        if (active === undefined) continue;
        this.active = active;
        this.injected.set(fault.name, (this.injected.get(fault.name) ?? 0) + 1);
        this.context.log(`nemesis: ${fault.name}: ${active.description}`);
        await this.pause(random.int(...this.options.holdMs));
        await this.healActive();
        try {
          await this.context.monitor.waitHealthy(this.options.recoveryTimeoutMs);
        } catch (error) {
          const message = `no healthy cluster ${this.options.recoveryTimeoutMs} ms after healing ${fault.name} (${active.description}): ${(error as Error).message}`;
          this.recoveryFailures.push(message);
          this.context.log(`nemesis: ${message}`);
        }
        if (this.stopRequested) return;
      }
      this.firstRoundEnded();
    }
  }

  /** Ends the schedule early and undoes the fault in place. */
  async stop(): Promise<void> {
    this.stopRequested = true;
    this.wake?.();
    await this.healActive();
  }

  private async healActive(): Promise<void> {
    const active = this.active;
    this.active = undefined;
    if (active === undefined) return;
    await active.heal();
    this.context.log(`nemesis: healed ${active.description}`);
  }

  /** The schedule's own timing (not a wait for a condition): interruptible by stop(). */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

export function memberNames(members: readonly ClusterMember[]): string {
  return members.map((member) => member.name).join(',');
}
