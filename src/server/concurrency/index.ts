export { campaign, proclaim, resign, leader, observe, lock, unlock, waitDeletes, DEFAULT_SESSION_TTL_SECONDS, type LeaderKey, type OperationContext } from './recipes.js';
export { watchEvents, type ConcurrencyKv, type WatchBatch } from './member-kv.js';
export { ConcurrencyError, ConcurrencyCanceledError, concurrencyErrors, asClientError } from './errors.js';
export { prefixRangeEnd, sessionKey } from './requests.js';
