// What the driver needs of a server under test, whether one member
// (servers.ts) or a cluster with the generator pointed at its leader
// (cluster-server.ts).

import type { TargetDefinition } from '../targets.js';
import type { Mode, Transport } from './options.js';

export interface ServerUnderTest {
  readonly target: TargetDefinition;
  readonly mode: Mode;
  readonly transport: Transport;
  /** target/mode, for logs and notes. */
  readonly label: string;
  /** Where the Go benchmark and etcdctl connect: the member, or the cluster's leader. */
  readonly endpoint: string;
  /** Every member is still running. */
  readonly running: boolean;
  readonly pids: readonly number[];
  /** utime + stime of every member so far. */
  cpuSeconds(): number;
  /** Why a member is gone, with the tail of its output. */
  deathReport(): string;
  /** The tail of the (leader's) output, for errors while it still runs. */
  outputTail(chars?: number): string;
  /** Points endpoint at the current leader before a case; nothing to do for one member. */
  findLeader(): Promise<void>;
  /** Kills every member by PID and removes the data dirs. */
  stop(): Promise<void>;
}
