// Requests waiting for their Raft entry to be applied, keyed by request id.
// The apply loop resolves them; a timeout or shutdown rejects them.

export interface Waiter<T> {
  promise: Promise<T>;
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export class WaitRegistry {
  private readonly pending = new Map<bigint, Pending>();

  register<T>(id: bigint, timeoutMs: number, onTimeout: () => Error): Promise<T> {
    if (this.pending.has(id)) throw new Error(`duplicate request id ${id}`);
    return new Promise<T>((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => this.reject(id, onTimeout()), timeoutMs) : undefined;
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
    });
  }

  isPending(id: bigint): boolean {
    return this.pending.has(id);
  }

  resolve(id: bigint, value: unknown): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    entry.resolve(value);
  }

  reject(id: bigint, error: Error): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    clearTimeout(entry.timer);
    entry.reject(error);
  }

  rejectAll(error: Error): void {
    for (const id of [...this.pending.keys()]) this.reject(id, error);
  }

  get size(): number {
    return this.pending.size;
  }
}
