export { WatchableStore, type WatchableStoreOptions, type WatchStreamOptions } from './watchable-store.js';
export { WatchStream } from './watch-stream.js';
export { autoWatchId, invalidWatchId, type WatchFilters, type WatchRequest, type WatchResponse } from './watch-response.js';
export { DuplicateWatchIdError, WatcherRangeEmptyError } from './errors.js';
export { timerScheduler, type WatchScheduler } from './scheduler.js';
export { rangeContains, type WatchKeyRange } from './key-range.js';
export { splitIntoFragments, watchResponseSizeBytes, type WireWatchResponse } from './fragment.js';
