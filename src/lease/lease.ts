// One lease: its TTL, where it stands in time (only on the primary lessor), and
// the keys attached to it.

import type { LeaseId } from './lease-id.js';

/** Expiry of a lease on a lessor that is not the primary: never. */
export const foreverMs = Number.POSITIVE_INFINITY;

export class Lease {
  /** When the lease expires, in the lessor clock's milliseconds; foreverMs unless primary. */
  expiresAtMs = foreverMs;
  /**
   * Attached keys as latin1 strings (byte order is string order). Strings, not
   * Buffers: a lease may hold many keys, and a small Buffer costs ~100 bytes of object
   * and keeps a whole 8 KB pool slab alive.
   */
  private readonly keyStrings = new Set<string>();
  /** Resolves once the lease is revoked; created only when someone waits. */
  private revokedSignal: { promise: Promise<void>; resolve: () => void } | undefined;
  private revoked = false;

  constructor(
    readonly id: LeaseId,
    /** Granted TTL (after the minimum-TTL rule). */
    readonly ttlSeconds: number,
    /** Last checkpointed remaining TTL; 0: none, the full TTL applies. */
    public remainingTtlSeconds = 0,
  ) {}

  /** The TTL a refresh starts from: the checkpointed remainder if set, else the full TTL. */
  get refreshTtlSeconds(): number {
    return this.remainingTtlSeconds > 0 ? this.remainingTtlSeconds : this.ttlSeconds;
  }

  /** Sets the expiry to now + extend + the TTL a refresh starts from. */
  refresh(nowMs: number, extendMs: number): void {
    this.expiresAtMs = nowMs + extendMs + this.refreshTtlSeconds * 1000;
  }

  remainingMs(nowMs: number): number {
    return this.expiresAtMs - nowMs;
  }

  isExpired(nowMs: number): boolean {
    return this.remainingMs(nowMs) <= 0;
  }

  /** Attaches a key, given as the latin1 string of its bytes. */
  attach(keyString: string): void {
    this.keyStrings.add(keyString);
  }

  detach(keyString: string): void {
    this.keyStrings.delete(keyString);
  }

  get keyCount(): number {
    return this.keyStrings.size;
  }

  /** Attached keys (latin1 strings), in no particular order. */
  keyStringsUnordered(): IterableIterator<string> {
    return this.keyStrings.values();
  }

  /** Attached keys in byte order: the same order on every member. */
  sortedKeys(): Buffer[] {
    return [...this.keyStrings].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((keyString) => Buffer.from(keyString, 'latin1'));
  }

  /** Resolves when the lease is revoked (at once if it already is). */
  whenRevoked(): Promise<void> {
    if (this.revoked) return Promise.resolve();
    if (this.revokedSignal === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((resolvePromise) => (resolve = resolvePromise));
      this.revokedSignal = { promise, resolve };
    }
    return this.revokedSignal.promise;
  }

  /** @internal Called by the lessor once the revoke is applied. */
  markRevoked(): void {
    this.revoked = true;
    this.revokedSignal?.resolve();
  }
}
