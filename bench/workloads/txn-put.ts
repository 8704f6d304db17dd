// Txn-put: a transaction without compares whose success branch holds
// --txn-ops puts of random keys (etcd's `benchmark txn-put`).

import type { Workload } from './workload.js';
import { requestsForClient } from '../workload-options.js';
import { numberedKey, randomValue, seededRandom } from './keys.js';

export const txnPutWorkload: Workload = {
  name: 'txn-put',
  description: 'Txn with --txn-ops puts and no compares',
  headlineKinds: ['txn'],
  async prepare() {},
  async createClient({ clientId, connection, parameters, recorder }) {
    const { options, clientCount, requestsTotal, seed } = parameters;
    const random = seededRandom(seed + clientId);
    const value = randomValue(options.valueSizeBytes, random);
    const requestCount = requestsForClient(clientId, clientCount, requestsTotal);
    return {
      async run() {
        for (let sent = 0; sent < requestCount && !recorder.shouldStop; sent++) {
          const success: object[] = [];
          // Distinct keys: etcd rejects a txn that puts the same key twice.
          const used = new Set<number>();
          while (success.length < options.txnOpsPerRequest) {
            const keyIndex = Math.floor(random() * options.keySpaceSize);
            if (used.has(keyIndex) && used.size < options.keySpaceSize) continue;
            used.add(keyIndex);
            success.push({ request_put: { key: numberedKey('', keyIndex, options.keySizeBytes), value } });
          }
          await recorder.measure('txn', () => connection.kv.Txn({ compare: [], success, failure: [] }));
        }
      },
      close() {},
    };
  },
};
