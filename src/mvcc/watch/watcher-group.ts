import { rangeContains } from './key-range.js';
import type { Watcher } from './watcher.js';

/**
 * A set of watchers indexed for "who watches this key": single-key watchers by key,
 * range watchers in a list checked one by one (few in practice; an interval tree
 * would make this logarithmic, as etcd's is).
 */
export class WatcherGroup {
  private readonly all = new Set<Watcher>();
  private readonly byKey = new Map<string, Set<Watcher>>();
  private readonly rangeWatchers = new Set<Watcher>();

  get size(): number {
    return this.all.size;
  }

  has(watcher: Watcher): boolean {
    return this.all.has(watcher);
  }

  add(watcher: Watcher): void {
    if (this.all.has(watcher)) throw new Error(`watcher ${watcher.id} added twice`);
    this.all.add(watcher);
    if (watcher.range.end !== undefined) {
      this.rangeWatchers.add(watcher);
      return;
    }
    const keyString = watcher.range.key.toString('latin1');
    let watchers = this.byKey.get(keyString);
    if (watchers === undefined) {
      watchers = new Set();
      this.byKey.set(keyString, watchers);
    }
    watchers.add(watcher);
  }

  /** Removes the watcher; false if it was not in the group. */
  delete(watcher: Watcher): boolean {
    if (!this.all.delete(watcher)) return false;
    if (watcher.range.end !== undefined) {
      this.rangeWatchers.delete(watcher);
      return true;
    }
    const keyString = watcher.range.key.toString('latin1');
    const watchers = this.byKey.get(keyString)!;
    watchers.delete(watcher);
    if (watchers.size === 0) this.byKey.delete(keyString);
    return true;
  }

  /** Calls `visit` for every watcher whose range holds `key`. */
  forEachWatching(key: Buffer, visit: (watcher: Watcher) => void): void {
    const keyWatchers = this.byKey.get(key.toString('latin1'));
    if (keyWatchers !== undefined) for (const watcher of keyWatchers) visit(watcher);
    for (const watcher of this.rangeWatchers) if (rangeContains(watcher.range, key)) visit(watcher);
  }

  /** True when some watcher's range holds `key`. */
  watches(key: Buffer): boolean {
    if (this.byKey.has(key.toString('latin1'))) return true;
    for (const watcher of this.rangeWatchers) if (rangeContains(watcher.range, key)) return true;
    return false;
  }

  values(): IterableIterator<Watcher> {
    return this.all.values();
  }
}
