// A TCP proxy in front of every member's peer port that can cut and delay
// links between members, for partition faults in the chaos tests.
//
// One listener per member forwards to that member's real peer port. The
// destination of a connection is the listener it arrived at; the source is
// its remote IP address — each member listens and dials from its own
// loopback address (127.0.0.11, .12, ...), see the transport's
// sourceAddress. A link is directional: from the member that opened the
// connection to the member it connected to. With etcd-ts each member dials
// the peers it sends to, so cutting from→to drops from's messages to `to`.
// Connections from an address that names no member (etcd 3.4 does not bind
// its source address) are forwarded and counted as unidentified: partitions
// cannot apply to them.
//
// While a link is cut its open connections are destroyed, and new ones are
// accepted and destroyed at once, as a firewall's reject would.

import * as net from 'node:net';
import { freePort } from '../../support/free-port.js';

export interface HostPort {
  host: string;
  port: number;
}

export interface ProxyStats {
  accepted: number;
  /** Connections destroyed on arrival because their link was cut. */
  refused: number;
  /** Open connections destroyed when their link was cut. */
  severed: number;
  /** Connections whose source address names no member (never cut). */
  unidentified: number;
  bytesForwarded: number;
}

interface Link {
  from: string | undefined;
  to: string;
  downstream: net.Socket;
  upstream: net.Socket;
}

interface ProxiedMember {
  name: string;
  sourceAddress: string;
  server: net.Server;
  front: HostPort;
}

const linkKey = (from: string, to: string) => `${from}>${to}`;

export class PeerLinkProxy {
  private readonly members = new Map<string, ProxiedMember>();
  private readonly cuts = new Set<string>();
  private readonly delays = new Map<string, number>();
  private readonly links = new Set<Link>();
  readonly stats: ProxyStats = { accepted: 0, refused: 0, severed: 0, unidentified: 0, bytesForwarded: 0 };

  /**
   * Starts the listener for member `name`, which dials from `sourceAddress`
   * and really listens for peers at `real`. Returns the address peers must
   * be given instead (on the member's own host, a free port).
   */
  async addMember(name: string, sourceAddress: string, real: HostPort): Promise<HostPort> {
    if (this.members.has(name)) throw new Error(`proxy: member ${name} added twice`);
    const front = { host: sourceAddress, port: await freePort(sourceAddress) };
    const server = net.createServer({ noDelay: true }, (socket) => this.accept(name, real, socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: front.host, port: front.port }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.members.set(name, { name, sourceAddress, server, front });
    return front;
  }

  get memberNames(): string[] {
    return [...this.members.keys()];
  }

  /** Cuts every link between members of different groups; a member in no group is cut off from all. */
  partition(groups: readonly (readonly string[])[]): void {
    const groupOf = new Map<string, number>();
    groups.forEach((group, index) => group.forEach((name) => groupOf.set(this.known(name), index)));
    for (const from of this.members.keys()) {
      for (const to of this.members.keys()) {
        if (from === to) continue;
        const a = groupOf.get(from);
        const b = groupOf.get(to);
        if (a === undefined || b === undefined || a !== b) this.cuts.add(linkKey(from, to));
      }
    }
    this.enforce();
  }

  /** Cuts the member off from every other member, both ways. */
  isolate(name: string): void {
    this.partition([[this.known(name)], this.memberNames.filter((other) => other !== name)]);
  }

  /** One-way: connections opened by `from` to `to` are refused and severed. */
  cut(from: string, to: string): void {
    this.cuts.add(linkKey(this.known(from), this.known(to)));
    this.enforce();
  }

  /** Holds every chunk on the link (both directions of its connections) for `ms` before forwarding. */
  delay(from: string, to: string, ms: number): void {
    this.delays.set(linkKey(this.known(from), this.known(to)), ms);
  }

  /** Restores every link and removes every delay. */
  heal(): void {
    this.cuts.clear();
    this.delays.clear();
  }

  isCut(from: string, to: string): boolean {
    return this.cuts.has(linkKey(from, to));
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    for (const link of [...this.links]) this.drop(link);
    await Promise.all([...this.members.values()].map((member) => new Promise<void>((resolve) => member.server.close(() => resolve()))));
    this.members.clear();
  }

  private known(name: string): string {
    if (!this.members.has(name)) throw new Error(`proxy: unknown member ${name}`);
    return name;
  }

  private identify(remoteAddress: string | undefined): string | undefined {
    const address = remoteAddress?.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
    for (const member of this.members.values()) if (member.sourceAddress === address) return member.name;
    return undefined;
  }

  private accept(to: string, real: HostPort, downstream: net.Socket): void {
    downstream.on('error', () => {});
    const from = this.identify(downstream.remoteAddress);
    if (from === undefined) this.stats.unidentified++;
    if (from !== undefined && this.cuts.has(linkKey(from, to))) {
      this.stats.refused++;
      downstream.destroy();
      return;
    }
    this.stats.accepted++;
    const upstream = net.connect({ host: real.host, port: real.port });
    upstream.setNoDelay(true);
    upstream.on('error', () => {});
    const link: Link = { from, to, downstream, upstream };
    this.links.add(link);
    const delayMs = () => (from === undefined ? 0 : (this.delays.get(linkKey(from, to)) ?? 0));
    this.forward(link, downstream, upstream, delayMs);
    this.forward(link, upstream, downstream, delayMs);
    downstream.once('close', () => this.drop(link));
    upstream.once('close', () => this.drop(link));
  }

  /**
   * Copies source to target in order, each chunk held for the link's current
   * delay; honours back-pressure. Held chunks wait in one FIFO drained by one
   * timer at a time: separate timers per chunk could fire out of order and
   * corrupt the stream.
   */
  private forward(link: Link, source: net.Socket, target: net.Socket, delayMs: () => number): void {
    const held: Array<{ chunk: Buffer; releaseAt: number }> = [];
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    const write = (chunk: Buffer) => {
      if (!this.links.has(link)) return;
      this.stats.bytesForwarded += chunk.length;
      if (!target.write(chunk)) {
        source.pause();
        target.once('drain', () => source.resume());
      }
    };
    const finish = () => {
      if (ended && held.length === 0 && this.links.has(link)) target.end();
    };
    const release = () => {
      timer = undefined;
      const now = Date.now();
      while (held.length > 0 && held[0]!.releaseAt <= now) write(held.shift()!.chunk);
      if (held.length > 0) timer = setTimeout(release, held[0]!.releaseAt - now);
      finish();
    };
    source.on('data', (chunk: Buffer) => {
      const delay = delayMs();
      if (delay <= 0 && held.length === 0) {
        write(chunk);
        return;
      }
      // Never before an earlier chunk, even if the delay shrank meanwhile.
      const releaseAt = Math.max(Date.now() + delay, held.at(-1)?.releaseAt ?? 0);
      held.push({ chunk, releaseAt });
      if (timer === undefined) timer = setTimeout(release, releaseAt - Date.now());
    });
    source.once('end', () => {
      ended = true;
      finish();
    });
    source.once('close', () => clearTimeout(timer));
  }

  private drop(link: Link): void {
    if (!this.links.delete(link)) return;
    link.downstream.destroy();
    link.upstream.destroy();
  }

  private enforce(): void {
    for (const link of [...this.links]) {
      if (link.from !== undefined && this.cuts.has(linkKey(link.from, link.to))) {
        this.stats.severed++;
        this.drop(link);
      }
    }
  }
}
