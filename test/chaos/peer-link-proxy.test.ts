// The peer-link proxy with plain sockets: three "members" a, b, c, each with
// an echo server as its peer port and its own loopback source address.
// Forwarding, one-way cuts, partitions, isolation, heal, delay, and
// connections from addresses that name no member.

import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { PeerLinkProxy, type HostPort } from './runner/peer-link-proxy.js';
import { waitFor } from '../support/wait-for.js';

const HOSTS = { a: '127.0.0.61', b: '127.0.0.62', c: '127.0.0.63' } as const;
type Name = keyof typeof HOSTS;

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
const proxies: PeerLinkProxy[] = [];
after(async () => {
  for (const socket of sockets) socket.destroy();
  await Promise.all(proxies.map((proxy) => proxy.close()));
  for (const server of servers) server.close();
});

/** An echo server standing in for a member's real peer port; records who connected (as the proxy, any address). */
async function echoServer(host: string): Promise<HostPort> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.pipe(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen({ host, port: 0 }, resolve));
  return { host, port: (server.address() as net.AddressInfo).port };
}

async function setup(): Promise<{ proxy: PeerLinkProxy; fronts: Record<Name, HostPort> }> {
  const proxy = new PeerLinkProxy();
  proxies.push(proxy);
  const fronts = {} as Record<Name, HostPort>;
  for (const name of Object.keys(HOSTS) as Name[]) fronts[name] = await proxy.addMember(name, HOSTS[name], await echoServer(HOSTS[name]));
  return { proxy, fronts };
}

interface Probe {
  socket: net.Socket;
  received: () => string;
  closed: () => boolean;
}

/** Connects from `fromHost` to a front address; resolves once connected (or closed). */
async function open(fromHost: string, front: HostPort): Promise<Probe> {
  let received = '';
  let closed = false;
  const socket = net.connect({ host: front.host, port: front.port, localAddress: fromHost });
  sockets.push(socket);
  socket.on('error', () => {});
  socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
  socket.on('close', () => (closed = true));
  await new Promise<void>((resolve) => {
    socket.once('connect', resolve);
    socket.once('close', resolve);
  });
  return { socket, received: () => received, closed: () => closed };
}

async function roundTrips(probe: Probe, text: string): Promise<void> {
  const before = probe.received().length;
  probe.socket.write(text);
  await waitFor(`echo of ${text}`, () => probe.received().slice(before) === text, { timeoutMs: 3_000 });
}

async function isRefused(probe: Probe): Promise<void> {
  probe.socket.write('x');
  await waitFor('the proxy to close the connection', () => probe.closed(), { timeoutMs: 3_000 });
  assert.equal(probe.received(), '', 'nothing may cross a cut link');
}

describe('peer link proxy', () => {
  it('forwards both ways and identifies members by source address', async () => {
    const { proxy, fronts } = await setup();
    const ab = await open(HOSTS.a, fronts.b);
    await roundTrips(ab, 'hello');
    const big = 'z'.repeat(3_000_000);
    await roundTrips(ab, big);
    assert.equal(proxy.stats.accepted, 1);
    assert.equal(proxy.stats.unidentified, 0);
    assert.ok(proxy.stats.bytesForwarded >= 2 * (5 + big.length));
  });

  it('cuts one way: severs open connections and refuses new ones; the other direction still works', async () => {
    const { proxy, fronts } = await setup();
    const ab = await open(HOSTS.a, fronts.b);
    const ba = await open(HOSTS.b, fronts.a);
    const ac = await open(HOSTS.a, fronts.c);
    await roundTrips(ab, 'before');
    proxy.cut('a', 'b');
    await waitFor('the open a→b connection to be severed', () => ab.closed());
    assert.equal(proxy.stats.severed, 1);
    await isRefused(await open(HOSTS.a, fronts.b));
    assert.equal(proxy.stats.refused, 1);
    await roundTrips(ba, 'b-to-a');
    await roundTrips(ac, 'a-to-c');
    assert.ok(proxy.isCut('a', 'b') && !proxy.isCut('b', 'a'));

    proxy.heal();
    await roundTrips(await open(HOSTS.a, fronts.b), 'after heal');
  });

  it('partitions into groups and isolates a member', async () => {
    const { proxy, fronts } = await setup();
    proxy.partition([['a'], ['b', 'c']]);
    await isRefused(await open(HOSTS.a, fronts.b));
    await isRefused(await open(HOSTS.c, fronts.a));
    await roundTrips(await open(HOSTS.b, fronts.c), 'majority side');
    await roundTrips(await open(HOSTS.c, fronts.b), 'majority side');
    proxy.heal();

    proxy.isolate('c');
    await isRefused(await open(HOSTS.c, fronts.a));
    await isRefused(await open(HOSTS.b, fronts.c));
    await roundTrips(await open(HOSTS.a, fronts.b), 'a and b still talk');
    proxy.heal();
    await roundTrips(await open(HOSTS.c, fronts.a), 'healed');
    assert.throws(() => proxy.isolate('nobody'), /unknown member/);
  });

  it('delays a link, keeping chunk order', async () => {
    const { proxy, fronts } = await setup();
    proxy.delay('a', 'b', 150);
    const ab = await open(HOSTS.a, fronts.b);
    const started = performance.now();
    for (const part of ['1', '2', '3']) ab.socket.write(part);
    await waitFor('the delayed echo', () => ab.received() === '123', { timeoutMs: 3_000 });
    // Held on the way there and back.
    assert.ok(performance.now() - started >= 290, `round trip took ${performance.now() - started} ms`);
    const ac = await open(HOSTS.a, fronts.c);
    const fast = performance.now();
    await roundTrips(ac, 'undelayed');
    assert.ok(performance.now() - fast < 150);
  });

  it('keeps the byte stream in order while the delay changes under it', async () => {
    const { proxy, fronts } = await setup();
    const ab = await open(HOSTS.a, fronts.b);
    let expected = '';
    for (let round = 0; round < 60; round++) {
      if (round % 3 === 0) proxy.delay('a', 'b', (round * 37) % 90);
      if (round % 7 === 0) proxy.heal();
      const part = `<${round}>`;
      expected += part;
      ab.socket.write(part);
      await new Promise((resolve) => setImmediate(resolve));
    }
    await waitFor('every chunk echoed', () => ab.received().length === expected.length, { timeoutMs: 5_000 });
    assert.equal(ab.received(), expected);
  });

  it('forwards connections from unknown addresses and never cuts them', async () => {
    const { proxy, fronts } = await setup();
    proxy.isolate('b');
    const stranger = await open('127.0.0.1', fronts.b);
    await roundTrips(stranger, 'unidentified');
    assert.equal(proxy.stats.unidentified, 1);
  });
});
