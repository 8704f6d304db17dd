// How many threads carry the client port apart from the member's own
// (api/front/). One pays when a core would otherwise sit idle for it: the
// member's thread and the transport thread then run side by side. Where the
// members of one cluster share a machine (a laptop, CI, a benchmark), every
// member's two threads and the load generator compete for the same cores,
// and the thread's extra work per call (each call crosses threads twice)
// costs more than it gives: on two cores, three members with the thread did
// puts 10-20% slower than three without (docs/performance.md).

import { networkInterfaces } from 'node:os';

/** The addresses this machine answers on, for telling which members share it. */
export function localAddresses(): Set<string> {
  const addresses = new Set<string>(['localhost']);
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) addresses.add(entry.address);
  }
  return addresses;
}

/** Members of `initialCluster` with a peer URL on this machine (loopback or one of `addresses`); at least this member. */
export function membersOnThisHost(initialCluster: ReadonlyMap<string, readonly URL[]>, addresses: ReadonlySet<string>): number {
  let count = 0;
  for (const urls of initialCluster.values()) {
    if (urls.some((url) => isLocalHost(url.hostname, addresses))) count++;
  }
  return Math.max(1, count);
}

function isLocalHost(hostname: string, addresses: ReadonlySet<string>): boolean {
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return host.startsWith('127.') || host === '::1' || addresses.has(host);
}

/** `auto`: one transport thread when each member on this machine has two cores or more. */
export function autoTransportThreads(cores: number, membersHere: number): 0 | 1 {
  return cores / membersHere >= 2 ? 1 : 0;
}
