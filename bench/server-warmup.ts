// Unmeasured writes and reads against a fresh server before its first case.
// etcd is compiled ahead of time; our member is JIT-compiled, and its first
// few thousand requests (leader and followers alike) run slower code. A
// long-running server is what operators have, so cases measure it warm.
// Both targets get the same warm-up, on keys no workload reads.

import type { Connection } from './grpc-connection.js';

const WARMUP_PREFIX = 'bench/server-warmup/';
const WARMUP_REQUESTS = 3000;
const WARMUP_CONCURRENCY = 16;
const WARMUP_VALUE = Buffer.alloc(256, 0x61);

export async function warmUpServer(connection: Connection): Promise<void> {
  let issued = 0;
  const loop = async () => {
    while (issued < WARMUP_REQUESTS) {
      const index = issued++;
      const key = Buffer.from(`${WARMUP_PREFIX}${index % 100}`);
      await connection.kv.Put({ key, value: WARMUP_VALUE });
      await connection.kv.Range({ key });
    }
  };
  await Promise.all(Array.from({ length: WARMUP_CONCURRENCY }, loop));
  await connection.kv.DeleteRange({ key: Buffer.from(WARMUP_PREFIX), range_end: Buffer.from('bench/server-warmup0') });
}
