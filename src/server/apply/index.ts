export { KVApplier, type CompactionOutcome, type KVApplierOptions } from './kv-applier.js';
export { executeRange, hasRevisionFilters, isDefaultOrdering, type RangeReader } from './range.js';
export { applyCompare, applyCompares } from './compare.js';
export * from './errors.js';
export * from './types.js';
export {
  defaultMaxTxnOps,
  validateDeleteRangeRequest,
  validatePutRequest,
  validateRangeRequest,
  validateTxnRequest,
} from './validate.js';
