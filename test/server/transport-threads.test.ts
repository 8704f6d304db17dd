import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { buildMemberConfig, parseCommandLine } from '../../src/server/config.js';
import { autoTransportThreads, localAddresses, membersOnThisHost } from '../../src/server/transport-threads.js';

const cluster = (entries: Record<string, string[]>) => new Map(Object.entries(entries).map(([name, urls]) => [name, urls.map((url) => new URL(url))]));

describe('client transport threads (auto)', () => {
  it('counts the members whose peer URLs are on this machine', () => {
    const addresses = new Set(['localhost', '10.0.0.5']);
    const three = cluster({ a: ['http://127.0.0.1:2380'], b: ['http://[::1]:2381'], c: ['http://localhost:2382'] });
    assert.equal(membersOnThisHost(three, addresses), 3);
    const spread = cluster({ a: ['http://10.0.0.5:2380'], b: ['http://10.0.0.6:2380'], c: ['https://db3.example:2380'] });
    assert.equal(membersOnThisHost(spread, addresses), 1);
    // One of a member's URLs on this machine is enough.
    const mixed = cluster({ a: ['http://10.0.0.5:2380'], b: ['http://10.0.0.7:2380', 'http://127.0.0.2:2380'], c: ['http://10.0.0.8:2380'] });
    assert.equal(membersOnThisHost(mixed, addresses), 2);
    // This member counts even when its own URL names this machine in a way not listed.
    assert.equal(membersOnThisHost(cluster({ a: ['http://myhost:2380'] }), addresses), 1);
  });

  it('takes a thread only with two cores or more per member on this machine', () => {
    assert.equal(autoTransportThreads(1, 1), 0);
    assert.equal(autoTransportThreads(2, 1), 1);
    assert.equal(autoTransportThreads(2, 3), 0);
    assert.equal(autoTransportThreads(4, 3), 0);
    assert.equal(autoTransportThreads(6, 3), 1);
    assert.equal(autoTransportThreads(16, 5), 1);
  });

  it('knows the loopback and interface addresses', () => {
    const addresses = localAddresses();
    assert.ok(addresses.has('127.0.0.1'));
    assert.ok(addresses.has('localhost'));
  });

  it('decides from the flags: a lone member, and three sharing this machine', () => {
    const lone = buildMemberConfig(parseCommandLine([], {}).values);
    assert.equal(lone.clientTransportThreads, availableParallelism() >= 2 ? 1 : 0);
    const threeHere = buildMemberConfig(
      parseCommandLine(['--name', 'a', '--initial-cluster', 'a=http://127.0.0.1:2380,b=http://127.0.0.1:2381,c=http://127.0.0.1:2382', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380'], {}).values,
    );
    assert.equal(threeHere.clientTransportThreads, availableParallelism() >= 6 ? 1 : 0);
    const forced = buildMemberConfig(
      parseCommandLine(['--name', 'a', '--initial-cluster', 'a=http://127.0.0.1:2380,b=http://127.0.0.1:2381,c=http://127.0.0.1:2382', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380', '--client-transport-threads', '1'], {}).values,
    );
    assert.equal(forced.clientTransportThreads, 1);
  });
});
