// What the search needs to know about the object being checked: a sequential
// specification as a deterministic step function. Keeping this apart lets the
// search be tested (and reused) without the register's details.

/** The timing of one operation; `completedAtMs` undefined means the outcome is unknown. */
export interface TimedOperation {
  invokedAtMs: number;
  completedAtMs: number | undefined;
}

export interface SequentialModel<State, Op extends TimedOperation> {
  initialState(): State;
  /**
   * The state after `operation` takes effect in `state`, or undefined when its
   * recorded output is impossible there. For an unknown-outcome operation the
   * output is unconstrained, so this never returns undefined.
   */
  step(state: State, operation: Op): State | undefined;
  /** Equal keys for equal states: the memo of visited (set, state) pairs relies on it. */
  stateKey(state: State): string;
  describeState(state: State): string;
  describeOperation(operation: Op): string;
  /**
   * Optional: true when `step` gives the same state whatever state it starts
   * from (a blind overwrite). Lets the search skip runs that such an
   * operation would make pointless.
   */
  overwritesState?(operation: Op): boolean;
  /** Why `step(state, operation)` is undefined, in one line. */
  explainRejection(state: State, operation: Op): string;
}
