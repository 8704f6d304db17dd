import type { KeyValue } from './key-value.js';

/** mvccpb.Event.EventType values. */
export const EventType = { PUT: 0, DELETE: 1 } as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

/**
 * One change of a committed write transaction. Shaped like mvccpb.Event as
 * @grpc/proto-loader presents it. A DELETE's kv carries only key and mod_revision.
 * `prev_kv` is filled only when some listener asked for previous values.
 */
export interface Event {
  type: EventType;
  kv: KeyValue;
  prev_kv?: KeyValue;
}

/** Receives the events of each write transaction that changed something, in revision order. */
export type EventListener = (events: readonly Event[], revision: number) => void;

export interface EventListenerOptions {
  /** Fill `prev_kv` of events (costs one backend read per change). */
  readonly withPrevKv?: boolean;
}
