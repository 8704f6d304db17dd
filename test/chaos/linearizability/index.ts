// The linearizability checker for chaos runs; see test/chaos/README.md.
export * from './history.js';
export { checkLinearizability, partitionByKey, defaultMaxStepsPerKey, defaultTimeBudgetMs } from './check-history.js';
export type { CheckOptions, CheckResult } from './check-history.js';
export type { NonLinearizableExplanation, PlacedOperation, UnplaceableOperation } from './explain.js';
export { createRegisterModel, type RegisterState, type RegisterModelOptions } from './register-model.js';
export { searchLinearization, type SearchBudget, type SearchResult } from './search.js';
export type { SequentialModel, TimedOperation } from './sequential-model.js';
export { HistoryRecorder, type HistoryClock, type OperationRequest, type OperationToken, type OutputOf } from './recorder.js';
