// Leases at scale: --lease-scale-leases live leases (default 100,000) kept
// alive over --lease-scale-streams LeaseKeepAlive streams (one client each).
// Before the measured period each client grants its share (client-chosen IDs,
// safe integers, many grants in flight). Its stream renews the leases granted
// so far round-robin from the start (granting 100,000 leases takes about as
// long as their TTL), at a pace that renews every lease once per
// --lease-scale-sweep-seconds (default 20 s for a TTL of 60 s: what etcd's
// clientv3 does, renewing at a third of the TTL), with up to
// KEEPALIVES_IN_FLIGHT_PER_STREAM renewals in flight, matched to answers by
// lease ID. Only the --lease-scale-seconds after every client is ready are
// measured.
// Headline: keep-alive latency (sent -> answer) and rate; an answer with
// TTL <= 0 (the lease expired) counts as an error. Metrics split the server's
// CPU between the grant phase and the keep-alive period, and give its RSS
// with all leases live (and per lease).

import type * as grpc from '@grpc/grpc-js';
import type { Connection } from '../grpc-connection.js';
import type { Workload } from './workload.js';
import { UnsupportedByTarget } from './workload.js';
import { describeError } from '../grpc-connection.js';
import { absoluteNowMs } from '../recorder.js';
import { requestsForClient } from '../workload-options.js';

/** Lease IDs are FIRST_LEASE_ID + a global index: positive, far below 2^53, and unlikely to meet another run's. */
const FIRST_LEASE_ID = 7_000_000_000;
const GRANTS_IN_FLIGHT_PER_CLIENT = 64;
const KEEPALIVES_IN_FLIGHT_PER_STREAM = 256;
const PACE_INTERVAL_MS = 5;
const DRAIN_MAX_MS = 10_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function leaseRange(clientId: number, clientCount: number, leaseCount: number): { first: number; count: number } {
  let first = 0;
  for (let id = 0; id < clientId; id++) first += requestsForClient(id, clientCount, leaseCount);
  return { first, count: requestsForClient(clientId, clientCount, leaseCount) };
}

async function grantAll(connection: Connection, firstIndex: number, count: number, ttlSeconds: number, onGranted: (id: number, ms: number) => void): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(GRANTS_IN_FLIGHT_PER_CLIENT, count) }, async () => {
      while (next < count) {
        const id = FIRST_LEASE_ID + firstIndex + next++;
        const startMs = absoluteNowMs();
        const response = await connection.lease.LeaseGrant({ ID: id, TTL: ttlSeconds });
        if (Number(response.ID) !== id) throw new Error(`granted lease ${response.ID}, asked for ${id}`);
        onGranted(id, absoluteNowMs() - startMs);
      }
    }),
  );
}

export const leaseScaleWorkload: Workload = {
  name: 'lease-scale',
  description: 'Many live leases kept alive: --lease-scale-leases over --lease-scale-streams streams; server CPU and memory',
  headlineKinds: ['keepalive'],
  optIn: true,
  clientCounts: (options) => [options.leaseScaleStreams],
  maxDurationMs: (options) => options.leaseScaleSeconds * 1000,
  setupTimeoutMs: 600_000,
  async prepare(connection, { options }) {
    if (options.leaseScaleSweepSeconds >= options.leaseScaleTtlSeconds) {
      throw new Error(`--lease-scale-sweep-seconds (${options.leaseScaleSweepSeconds}) must be below --lease-scale-ttl (${options.leaseScaleTtlSeconds}), or leases expire between renewals`);
    }
    try {
      const id = FIRST_LEASE_ID - 1;
      await connection.lease.LeaseGrant({ TTL: options.leaseScaleTtlSeconds, ID: id });
      await connection.lease.LeaseRevoke({ ID: id });
    } catch (error) {
      throw new UnsupportedByTarget(`Lease: ${describeError(error)}`);
    }
  },
  async createClient({ clientId, connection, parameters, recorder }) {
    const { options, clientCount } = parameters;
    const { first, count } = leaseRange(clientId, clientCount, options.leaseScaleLeaseCount);
    const stream = (connection.leaseClient as unknown as { LeaseKeepAlive(): grpc.ClientDuplexStream<any, any> }).LeaseKeepAlive();
    const sentAtById = new Map<number, number>();
    /** From when keep-alives are measured (the case's start); until then they only keep the leases alive. */
    let measuredFromMs = Number.POSITIVE_INFINITY;
    stream.on('data', (response: any) => {
      const id = Number(response.ID);
      const sentMs = sentAtById.get(id);
      if (sentMs === undefined) return;
      sentAtById.delete(id);
      const receivedMs = absoluteNowMs();
      if (!(Number(response.TTL) > 0)) {
        recorder.recordError(new Error(`lease ${id} expired (TTL ${response.TTL})`));
        return;
      }
      if (sentMs < measuredFromMs) return;
      recorder.sample('keepalive', receivedMs - sentMs);
      recorder.markSpan(sentMs, receivedMs);
    });
    let failure: unknown;
    stream.on('error', (error) => {
      failure ??= error;
    });

    const grantedIds: number[] = [];
    const ratePerMs = count / (options.leaseScaleSweepSeconds * 1000);
    const renewLoop = async () => {
      // A token bucket: credit accrues at the sweep's rate, capped at one window, so a
      // stream that fell behind (during the grants, say) does not burst to catch up.
      let credit = 0;
      let lastMs = absoluteNowMs();
      let pointer = 0;
      while (!recorder.shouldStop && failure === undefined) {
        const nowMs = absoluteNowMs();
        credit = Math.min(credit + (nowMs - lastMs) * ratePerMs, KEEPALIVES_IN_FLIGHT_PER_STREAM);
        lastMs = nowMs;
        while (credit >= 1 && sentAtById.size < KEEPALIVES_IN_FLIGHT_PER_STREAM && grantedIds.length > 0) {
          const id = grantedIds[pointer % grantedIds.length]!;
          // A lease still in flight from the previous round is not sent twice at once.
          if (sentAtById.has(id)) break;
          sentAtById.set(id, nowMs);
          stream.write({ ID: id });
          pointer++;
          credit--;
        }
        await sleep(PACE_INTERVAL_MS);
      }
      if (failure !== undefined) recorder.recordError(failure);
      const stoppedMs = absoluteNowMs();
      while (sentAtById.size > 0 && failure === undefined && absoluteNowMs() - stoppedMs < DRAIN_MAX_MS) await sleep(PACE_INTERVAL_MS);
      if (sentAtById.size > 0) recorder.recordError(new Error(`${sentAtById.size} keep-alives unanswered ${DRAIN_MAX_MS} ms after the end`));
    };
    const renewing = renewLoop();
    renewing.catch(() => {});
    // Grant latencies are kept as their own kind, without touching the measured span.
    await grantAll(connection, first, count, options.leaseScaleTtlSeconds, (id, ms) => {
      grantedIds.push(id);
      recorder.sample('grant', ms);
    });
    return {
      async run() {
        measuredFromMs = absoluteNowMs();
        await renewing;
      },
      close() {
        stream.removeAllListeners('data');
        stream.on('error', () => {});
        stream.cancel();
      },
    };
  },
  caseMetrics({ parameters, record, usageBefore, usageReady, usageAfter, setupSeconds }) {
    const leases = parameters.options.leaseScaleLeaseCount;
    const keepAlives = (record.samplesByKind['keepalive'] ?? []).reduce((sum, samples) => sum + samples.length, 0);
    const measuredSeconds = record.durationMs > 0 ? record.durationMs / 1000 : parameters.options.leaseScaleSeconds;
    const keepAliveCpuSeconds = usageAfter.cpuSeconds - usageReady.cpuSeconds;
    return {
      leases,
      grantSeconds: setupSeconds,
      grantsPerSecond: leases / setupSeconds,
      grantServerCpuSeconds: usageReady.cpuSeconds - usageBefore.cpuSeconds,
      rssWithLeasesMB: usageReady.rssBytes / 2 ** 20,
      bytesPerLease: (usageReady.rssBytes - usageBefore.rssBytes) / leases,
      keepAliveServerCpuSeconds: keepAliveCpuSeconds,
      keepAliveServerCpuPercent: (100 * keepAliveCpuSeconds) / measuredSeconds,
      keepAliveServerCpuMsPer1000: keepAlives > 0 ? (1000 * 1000 * keepAliveCpuSeconds) / keepAlives : Number.NaN,
      rssAfterMB: usageAfter.rssBytes / 2 ** 20,
      peakRssMB: usageAfter.peakRssBytes / 2 ** 20,
    };
  },
};
