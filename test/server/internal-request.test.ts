// The entries a member applies come from three places: its own proposals,
// the peer transport and, after a restart, the WAL. Whatever the byte
// container, a decoded request must carry Buffers, as the MVCC layer needs.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internalRequestCodec } from '../../src/server/internal-request.js';

test('a request decoded from a plain Uint8Array (as read back from the WAL) carries Buffers', () => {
  const encoded = internalRequestCodec.encode({ header: { ID: 7 }, put: { key: Buffer.from('key'), value: Buffer.from('value'), lease: 0, prev_kv: false, ignore_value: false, ignore_lease: false } });
  // A copy inside a larger ArrayBuffer at an offset, not a Buffer: what a segment reader hands out.
  const backing = new Uint8Array(encoded.length + 16);
  backing.set(encoded, 8);
  const fromWal = new Uint8Array(backing.buffer, 8, encoded.length);
  assert.equal(Buffer.isBuffer(fromWal), false);
  const decoded = internalRequestCodec.decode(fromWal);
  assert.ok(Buffer.isBuffer(decoded.put!.key), 'key is a Buffer');
  assert.ok(Buffer.isBuffer(decoded.put!.value), 'value is a Buffer');
  assert.equal(decoded.put!.key.toString(), 'key');
  assert.equal(decoded.put!.value.toString(), 'value');
});
