// The keys and ranges the election and lock recipes use, as etcd's client
// concurrency package builds them.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { prefixRangeEnd, sessionKey } from '../../../src/server/concurrency/index.js';

describe('concurrency requests', () => {
  test('prefixRangeEnd is clientv3.GetPrefixRangeEnd', () => {
    assert.deepEqual(prefixRangeEnd(Buffer.from('lock/')), Buffer.from('lock0'));
    assert.deepEqual(prefixRangeEnd(Buffer.from([0x61, 0xff])), Buffer.from([0x62]));
    assert.deepEqual(prefixRangeEnd(Buffer.from([0xff, 0xff])), Buffer.from([0]));
  });

  test('sessionKey is fmt.Sprintf("%s%x", prefix, lease)', () => {
    assert.equal(sessionKey(Buffer.from('e/'), 0x1fd237b2f47404).toString(), 'e/1fd237b2f47404');
    assert.equal(sessionKey(Buffer.from('e/'), 255).toString(), 'e/ff');
    assert.equal(sessionKey(Buffer.from('e/'), -1).toString(), 'e/-1');
  });
});
