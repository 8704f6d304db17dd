import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatId, memberIdOfRaftId, parseId, raftIdOf } from '../../src/server/membership/ids.js';

describe('member and cluster ids', () => {
  it('parse and format exact 64-bit values, above 2^53 too', () => {
    for (const text of ['8e9e05c52164694d', 'ffffffffffffffff', '1', '20000000000001', 'cdf818194e3a8c32']) {
      const id = parseId(text);
      assert.equal(formatId(id), text);
      assert.equal(parseId(formatId(id)), id);
    }
    assert.equal(parseId('00000000000000ff'), 0xffn);
    assert.equal(parseId('8E9E05C52164694D'), 0x8e9e05c52164694dn);
    assert.ok(parseId('ffffffffffffffff') > BigInt(Number.MAX_SAFE_INTEGER));
  });

  it('refuses what is not 1 to 16 hex digits', () => {
    for (const bad of ['', '0x12', '12345678901234567', 'g1', '-1', ' 1']) assert.throws(() => parseId(bad), /invalid member or cluster id/);
  });

  it('names a Raft node by the whole member id: a number while exact, a bigint beyond', () => {
    assert.equal(raftIdOf(0x8e9e05c52164694dn), 0x8e9e05c52164694dn);
    assert.equal(raftIdOf(0xffffffffffffffffn), 0xffffffffffffffffn);
    assert.equal(raftIdOf(5n), 5);
    assert.equal(memberIdOfRaftId(raftIdOf(0x8e9e05c52164694dn)), 0x8e9e05c52164694dn);
    assert.equal(memberIdOfRaftId(7), 7n);
  });
});
