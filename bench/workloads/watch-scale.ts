// Watch at scale: many watchers per stream and many streams. One case per
// --watch-scale-cases shape (STREAMSxWATCHERS_PER_STREAM; default 1 stream of
// 10,000 watchers, then 1,000 streams of 10). A client is one stream; watcher i
// (numbered across all streams) watches key i mod --watch-scale-keys, so a put
// reaches watchers/keys watchers, spread over streams. All watchers are created
// before the measured period (pipelined: every create request is written at
// once, then the created answers are counted), so the server's RSS when the
// workers are ready minus its RSS before the case, divided by the watchers, is
// the memory per watcher (it includes the streams' and connections' share).
// In the measured period client 0 puts at --watch-scale-put-rate/s, round-robin
// over the keys; the headline latency is delivery (put sent -> event received,
// so it includes the put's commit), and the rate is events delivered per second.

import type * as grpc from '@grpc/grpc-js';
import type { Workload } from './workload.js';
import { UnsupportedByTarget } from './workload.js';
import { describeError, openWatch } from '../grpc-connection.js';
import { absoluteNowMs } from '../recorder.js';
import { numberedKey, randomValue, seededRandom, timestampedValue, timestampOf } from './keys.js';
import type { WatchScaleCase, WorkloadOptions } from '../workload-options.js';

const KEY_PREFIX = 'watch-scale/';
const KEY_SIZE_BYTES = 20;
/** Creating 10,000 watchers on one stream takes a while on a loaded 2-core machine. */
const CREATE_TIMEOUT_MS = 120_000;
/** After the puts stop: wait until no event arrived for this long... */
const DRAIN_QUIET_MS = 1_000;
/** ...but no longer than this. */
const DRAIN_MAX_MS = 10_000;

function caseFor(options: WorkloadOptions, streams: number): WatchScaleCase {
  const shape = options.watchScaleCases.find((candidate) => candidate.streams === streams);
  if (!shape) throw new Error(`watch-scale: no case with ${streams} streams`);
  return shape;
}

function keyOf(watcherIndex: number, keyCount: number): Buffer {
  return numberedKey(KEY_PREFIX, watcherIndex % keyCount, KEY_SIZE_BYTES);
}

/** Watchers of key k, for every k, when watcherCount watchers spread over keyCount keys. */
function watchersOfKey(keyIndex: number, watcherCount: number, keyCount: number): number {
  return Math.floor(watcherCount / keyCount) + (keyIndex < watcherCount % keyCount ? 1 : 0);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const watchScaleWorkload: Workload = {
  name: 'watch-scale',
  description: 'Many watchers: --watch-scale-cases STREAMSxWATCHERS; delivery latency and server memory per watcher',
  headlineKinds: ['delivery'],
  optIn: true,
  clientCounts: (options) => options.watchScaleCases.map((shape) => shape.streams),
  maxDurationMs: (options) => options.watchScaleSeconds * 1000,
  setupTimeoutMs: CREATE_TIMEOUT_MS + 60_000,
  async prepare(connection) {
    try {
      const probe = await openWatch(connection, { key: Buffer.from(KEY_PREFIX) }, () => {}, 3_000);
      probe.close();
    } catch (error) {
      throw new UnsupportedByTarget(`Watch: ${describeError(error)}`);
    }
  },
  async createClient({ clientId, connection, parameters, recorder }) {
    const { options, seed, clientCount } = parameters;
    const { watchersPerStream } = caseFor(options, clientCount);
    const keyCount = options.watchScaleKeyCount;
    const stream = (connection.watchClient as unknown as { Watch(): grpc.ClientDuplexStream<any, any> }).Watch();
    let createdCount = 0;
    let failure: Error | undefined;
    let lastEventMs = 0;
    stream.on('data', (response: any) => {
      if (response.created) {
        if (response.canceled) failure ??= new Error(`watch creation refused: ${response.cancel_reason}`);
        createdCount++;
        return;
      }
      if (response.canceled) {
        recorder.recordError(new Error(`watch ${response.watch_id} canceled: ${response.cancel_reason || `compacted at ${response.compact_revision}`}`));
        return;
      }
      const receivedMs = absoluteNowMs();
      lastEventMs = receivedMs;
      for (const event of response.events ?? []) {
        const sentMs = timestampOf(event.kv.value);
        if (sentMs === undefined) continue;
        recorder.sample('delivery', receivedMs - sentMs);
        recorder.markSpan(sentMs, receivedMs);
      }
    });
    stream.on('error', (error) => {
      failure ??= error;
    });
    // Pipelined creates: the server answers them in order.
    const firstWatcher = clientId * watchersPerStream;
    for (let index = 0; index < watchersPerStream; index++) {
      stream.write({ create_request: { key: keyOf(firstWatcher + index, keyCount) } });
    }
    const deadlineMs = absoluteNowMs() + CREATE_TIMEOUT_MS;
    while (createdCount < watchersPerStream) {
      if (failure) throw failure;
      if (absoluteNowMs() > deadlineMs) throw new Error(`stream ${clientId}: ${createdCount} of ${watchersPerStream} watchers created within ${CREATE_TIMEOUT_MS} ms`);
      await sleep(10);
    }

    const filler = randomValue(options.valueSizeBytes, seededRandom(seed));
    const putter = async () => {
      const intervalMs = 1000 / options.watchScalePutRatePerSecond;
      const startMs = absoluteNowMs();
      for (let sent = 0; !recorder.shouldStop; sent++) {
        const waitMs = startMs + sent * intervalMs - absoluteNowMs();
        if (waitMs > 1) await sleep(waitMs);
        if (recorder.shouldStop) break;
        await recorder.measure('put', () => connection.kv.Put({ key: numberedKey(KEY_PREFIX, sent % keyCount, KEY_SIZE_BYTES), value: timestampedValue(filler) }));
      }
    };
    const drain = async () => {
      while (!recorder.shouldStop) await sleep(20);
      const stoppedMs = absoluteNowMs();
      while (absoluteNowMs() - stoppedMs < DRAIN_MAX_MS && absoluteNowMs() - Math.max(lastEventMs, stoppedMs) < DRAIN_QUIET_MS) await sleep(20);
    };
    return {
      async run() {
        await Promise.all(clientId === 0 ? [putter(), drain()] : [drain()]);
      },
      close() {
        stream.removeAllListeners('data');
        stream.on('error', () => {});
        stream.cancel();
      },
    };
  },
  caseMetrics({ parameters, record, usageBefore, usageReady, setupSeconds }) {
    const { watchersPerStream } = caseFor(parameters.options, parameters.clientCount);
    const watchers = parameters.clientCount * watchersPerStream;
    const keyCount = parameters.options.watchScaleKeyCount;
    const puts = (record.samplesByKind['put'] ?? []).reduce((sum, samples) => sum + samples.length, 0);
    const delivered = (record.samplesByKind['delivery'] ?? []).reduce((sum, samples) => sum + samples.length, 0);
    let expected = 0;
    for (let put = 0; put < puts; put++) expected += watchersOfKey(put % keyCount, watchers, keyCount);
    const rssGrowthBytes = usageReady.rssBytes - usageBefore.rssBytes;
    return {
      watchers,
      watchersPerStream,
      setupSeconds,
      rssBeforeMB: usageBefore.rssBytes / 2 ** 20,
      rssWithWatchersMB: usageReady.rssBytes / 2 ** 20,
      bytesPerWatcher: rssGrowthBytes / watchers,
      setupServerCpuSeconds: usageReady.cpuSeconds - usageBefore.cpuSeconds,
      puts,
      eventsExpected: expected,
      eventsDelivered: delivered,
    };
  },
};
