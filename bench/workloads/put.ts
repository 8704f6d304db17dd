// Put: each client issues its share of --total puts back to back (closed loop),
// keys sequential or uniformly random over --key-space.

import type { Workload } from './workload.js';
import { requestsForClient } from '../workload-options.js';
import { numberedKey, randomValue, seededRandom } from './keys.js';

export const putWorkload: Workload = {
  name: 'put',
  description: 'Put of one key per request',
  headlineKinds: ['put'],
  async prepare() {},
  async createClient({ clientId, connection, parameters, recorder }) {
    const { options, clientCount, requestsTotal, seed } = parameters;
    const random = seededRandom(seed + clientId);
    const value = randomValue(options.valueSizeBytes, random);
    const requestCount = requestsForClient(clientId, clientCount, requestsTotal);
    return {
      async run() {
        for (let sent = 0; sent < requestCount && !recorder.shouldStop; sent++) {
          const globalIndex = clientId + sent * clientCount;
          const keyIndex = options.sequentialKeys ? globalIndex % options.keySpaceSize : Math.floor(random() * options.keySpaceSize);
          const key = numberedKey('', keyIndex, options.keySizeBytes);
          await recorder.measure('put', () => connection.kv.Put({ key, value }));
        }
      },
      close() {},
    };
  },
};
