export {
  Lessor,
  type LessorOptions,
  type LessorClock,
  type LeaseStatus,
  type LeaseCheckpoint,
  type LeaseCheckpointRequest,
  type KeyDeleteTxn,
  defaultCheckpointIntervalMs,
  defaultExpiredLeaseRetryIntervalMs,
  defaultLeaseRevokeRatePerSecond,
  maxCheckpointBatchSize,
} from './lessor.js';
export { Lease, foreverMs } from './lease.js';
export { LeaseQueue } from './lease-queue.js';
export { applyLeaseGrant, applyLeaseRevoke, applyLeaseCheckpoint, type LeaseGrantRequest, type LeaseRevokeRequest, type LeaseGrantResult } from './apply.js';
export { LeaseError, LeaseNotFoundError, LeaseExistsError, LeaseTtlTooLargeError, NotPrimaryError, type LeaseGrpcCodeName } from './errors.js';
export { maxLeaseTtlSeconds, minLeaseTtlSeconds, leaseIdFromRequestId } from './limits.js';
export { encodeLeaseKey, decodeLeaseKey, encodeLeaseRecord, decodeLeaseRecord, type LeaseRecord } from './lease-record.js';
export { LeaseUpkeep, type LeaseUpkeepOptions, defaultRevokesPerTick, defaultMaxPendingRevokes } from './lease-upkeep.js';
export { type LeaseId, noLease, formatLeaseId, compareLeaseIds } from './lease-id.js';
