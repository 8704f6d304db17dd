// Range: reads of --range-keys consecutive keys (1 = a single-key get) out of
// a seeded set, linearizable (--consistency l, a ReadIndex round per read) or
// serializable (--consistency s, served from the member's local state).

import type { Workload } from './workload.js';
import type { Connection } from '../grpc-connection.js';
import { requestsForClient, type WorkloadOptions } from '../workload-options.js';
import { numberedKey, randomValue, seededRandom } from './keys.js';

const RANGE_PREFIX = 'range/';
const SEED_CONCURRENCY = 50;

function seededKeyCount(options: WorkloadOptions): number {
  return Math.max(1000, options.rangeKeyCount * 10);
}

function rangeKey(index: number, options: WorkloadOptions): Buffer {
  return numberedKey(RANGE_PREFIX, index, options.keySizeBytes + RANGE_PREFIX.length);
}

/** Writes keys [0, count) concurrently; shared with other workloads that need data. */
export async function seedKeys(connection: Connection, count: number, keyOf: (index: number) => Buffer, value: Buffer): Promise<void> {
  let next = 0;
  const writer = async () => {
    while (next < count) {
      const index = next++;
      await connection.kv.Put({ key: keyOf(index), value });
    }
  };
  await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, count) }, writer));
}

export const rangeWorkload: Workload = {
  name: 'range',
  description: 'Range of --range-keys keys, --consistency l|s',
  headlineKinds: ['range'],
  async prepare(connection, { options, seed }) {
    const value = randomValue(options.valueSizeBytes, seededRandom(seed));
    await seedKeys(connection, seededKeyCount(options), (index) => rangeKey(index, options), value);
  },
  async createClient({ clientId, connection, parameters, recorder }) {
    const { options, clientCount, requestsTotal, seed } = parameters;
    const random = seededRandom(seed + clientId);
    const keyCount = seededKeyCount(options);
    const requestCount = requestsForClient(clientId, clientCount, requestsTotal);
    const serializable = options.rangeConsistency === 's';
    return {
      async run() {
        for (let sent = 0; sent < requestCount && !recorder.shouldStop; sent++) {
          const first = Math.floor(random() * (keyCount - options.rangeKeyCount + 1));
          const key = rangeKey(first, options);
          // Leave range_end out for one key: etcd reads a present-but-empty range_end as "from key".
          const request = options.rangeKeyCount > 1 ? { key, range_end: rangeKey(first + options.rangeKeyCount, options), serializable } : { key, serializable };
          await recorder.measure('range', () => connection.kv.Range(request));
        }
      },
      close() {},
    };
  },
};
