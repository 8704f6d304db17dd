// Memory for many keys: --key-memory-keys keys (default 1,000,000) of
// --val-size bytes (default 256), written before the measured period in
// txns of KEYS_PER_TXN puts by every client (each its own share, several
// txns in flight). The measured period is serializable gets of random
// loaded keys, so the case has a headline; the point is the metrics: the
// server's RSS with every key loaded, bytes per key, and what loading cost.

import type { Workload } from './workload.js';
import { absoluteNowMs } from '../recorder.js';
import { requestsForClient } from '../workload-options.js';

const KEYS_PER_TXN = 128;
const TXNS_IN_FLIGHT_PER_CLIENT = 4;

function keyOf(index: number): Buffer {
  return Buffer.from(`mem/${String(index).padStart(8, '0')}`);
}

function shareOf(clientId: number, clientCount: number, keyCount: number): { first: number; count: number } {
  let first = 0;
  for (let id = 0; id < clientId; id++) first += requestsForClient(id, clientCount, keyCount);
  return { first, count: requestsForClient(clientId, clientCount, keyCount) };
}

export const keyMemoryWorkload: Workload = {
  name: 'key-memory',
  description: 'Server memory with --key-memory-keys keys of --val-size bytes loaded (default one million of 256 bytes)',
  headlineKinds: ['get'],
  optIn: true,
  clientCounts: () => [4],
  setupTimeoutMs: 900_000,
  async prepare() {},
  async createClient({ clientId, connection, parameters, recorder }) {
    const { options, clientCount } = parameters;
    const { first, count } = shareOf(clientId, clientCount, options.keyMemoryKeyCount);
    const value = Buffer.alloc(options.valueSizeBytes, 'v');
    let next = 0;
    await Promise.all(
      Array.from({ length: TXNS_IN_FLIGHT_PER_CLIENT }, async () => {
        while (next < count) {
          const start = next;
          next = Math.min(next + KEYS_PER_TXN, count);
          const success = [];
          for (let index = start; index < next; index++) success.push({ request_put: { key: keyOf(first + index), value } });
          const startMs = absoluteNowMs();
          await connection.kv.Txn({ compare: [], success, failure: [] });
          recorder.sample('load-txn', absoluteNowMs() - startMs);
        }
      }),
    );
    let state = (clientId + 1) * 2654435761;
    return {
      async run() {
        while (!recorder.shouldStop) {
          state = (state * 1103515245 + 12345) % 2 ** 31;
          const startMs = absoluteNowMs();
          const response = await connection.kv.Range({ key: keyOf(state % options.keyMemoryKeyCount), serializable: true });
          const endMs = absoluteNowMs();
          if (Number(response.count) !== 1) recorder.recordError(new Error('a loaded key is missing'));
          else recorder.sample('get', endMs - startMs);
          recorder.markSpan(startMs, endMs);
        }
      },
      close() {},
    };
  },
  caseMetrics({ parameters, usageBefore, usageReady, setupSeconds }) {
    const keys = parameters.options.keyMemoryKeyCount;
    return {
      keys,
      valueBytes: parameters.options.valueSizeBytes,
      loadSeconds: setupSeconds,
      loadServerCpuSeconds: usageReady.cpuSeconds - usageBefore.cpuSeconds,
      rssBeforeMB: usageBefore.rssBytes / 2 ** 20,
      rssWithKeysMB: usageReady.rssBytes / 2 ** 20,
      bytesPerKey: (usageReady.rssBytes - usageBefore.rssBytes) / keys,
      peakRssMB: usageReady.peakRssBytes / 2 ** 20,
    };
  },
};
