// One lease: its TTL, where it stands in time (only on the primary lessor), and
// the keys attached to it.

/** Expiry of a lease on a lessor that is not the primary: never. */
export const foreverMs = Number.POSITIVE_INFINITY;

export class Lease {
  /** When the lease expires, in the lessor clock's milliseconds; foreverMs unless primary. */
  expiresAtMs = foreverMs;
  /** Attached keys, by their latin1 string (byte order is string order). */
  private readonly keysByString = new Map<string, Buffer>();
  /** Resolves once the lease is revoked; created only when someone waits. */
  private revokedSignal: { promise: Promise<void>; resolve: () => void } | undefined;
  private revoked = false;

  constructor(
    readonly id: number,
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

  attach(key: Buffer): void {
    this.keysByString.set(key.toString('latin1'), key);
  }

  detach(key: Buffer): void {
    this.keysByString.delete(key.toString('latin1'));
  }

  get keyCount(): number {
    return this.keysByString.size;
  }

  /** Attached keys in byte order: the same order on every member. */
  sortedKeys(): Buffer[] {
    return [...this.keysByString.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((entry) => entry[1]);
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
