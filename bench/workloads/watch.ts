// Watch: --clients watchers (one stream each) on one key; client 0 also puts
// --watch-puts values at --watch-put-rate per second. Headline latency is
// delivery: put sent -> event received by a watcher (the send time travels in
// the value), so it includes the put's commit. Rate is events delivered/s.

import type { Workload } from './workload.js';
import { UnsupportedByTarget } from './workload.js';
import { describeError, openWatch } from '../grpc-connection.js';
import { absoluteNowMs } from '../recorder.js';
import { randomValue, seededRandom, timestampedValue, timestampOf } from './keys.js';

const WATCH_KEY = Buffer.from('watch/key');
/** After the putter stops early, how long watchers wait for events still in flight. */
const DRAIN_GRACE_MS = 2_000;

export const watchWorkload: Workload = {
  name: 'watch',
  description: 'Watch delivery latency: --clients watchers, --watch-puts puts at --watch-put-rate/s',
  headlineKinds: ['delivery'],
  async prepare(connection) {
    try {
      const probe = await openWatch(connection, { key: WATCH_KEY }, () => {}, 3_000);
      probe.close();
    } catch (error) {
      throw new UnsupportedByTarget(`Watch: ${describeError(error)}`);
    }
  },
  async createClient({ clientId, connection, parameters, recorder }) {
    const { options, seed } = parameters;
    const expectedEvents = options.watchPutCount;
    let receivedEvents = 0;
    const watch = await openWatch(connection, { key: WATCH_KEY }, (response) => {
      const receivedMs = absoluteNowMs();
      for (const event of response.events) {
        const sentMs = timestampOf(event.kv.value);
        if (sentMs === undefined) continue;
        recorder.sample('delivery', receivedMs - sentMs);
        recorder.markSpan(sentMs, receivedMs);
        receivedEvents++;
      }
    });
    const filler = randomValue(options.valueSizeBytes, seededRandom(seed));
    const putter = async () => {
      const intervalMs = 1000 / options.watchPutRatePerSecond;
      const startMs = absoluteNowMs();
      for (let sent = 0; sent < expectedEvents && !recorder.shouldStop; sent++) {
        const dueMs = startMs + sent * intervalMs;
        const waitMs = dueMs - absoluteNowMs();
        if (waitMs > 1) await new Promise((resolve) => setTimeout(resolve, waitMs));
        await recorder.measure('put', () => connection.kv.Put({ key: WATCH_KEY, value: timestampedValue(filler) }));
      }
    };
    const watcher = async () => {
      let stoppedAtMs: number | undefined;
      while (receivedEvents < expectedEvents) {
        if (recorder.shouldStop) {
          stoppedAtMs ??= absoluteNowMs();
          if (absoluteNowMs() - stoppedAtMs > DRAIN_GRACE_MS) break;
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    return {
      async run() {
        await Promise.all(clientId === 0 ? [putter(), watcher()] : [watcher()]);
      },
      close() {
        watch.close();
      },
    };
  },
};
