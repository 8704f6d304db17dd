// The key tree, split on '/', loaded lazily: a folder's children come from
// keys-only ranges with a limit, skipping over each sub-folder once it is
// seen (the next range starts after the sub-folder's last possible key), so
// a folder with a million keys below it costs a few small ranges. Keys are
// bytes throughout (binary keys included); only their display is text.

import type { Gateway } from './api.js';
import { concat, equalBytes, fromBase64, prefixEnd } from './bytes.js';
import { range } from './kv.js';

const SLASH = 0x2f;
const PAGE = 200;

export interface TreeChildren {
  /** Sub-folder names (without the trailing '/'), in key order. */
  folders: Uint8Array[];
  /** Full keys directly in this folder. */
  keys: Uint8Array[];
  /** More children exist than were loaded. */
  truncated: boolean;
}

/**
 * Children of `folder` (empty for the root, else ending in '/'), at most
 * `maxChildren`; `onPage` gets each page's new ones as soon as they are known
 * (every range costs the member a count over the rest of the folder).
 */
export async function loadChildren(
  gateway: Gateway,
  folder: Uint8Array,
  maxChildren = 500,
  onPage?: (folders: Uint8Array[], keys: Uint8Array[]) => void,
): Promise<TreeChildren> {
  const root = folder.length === 0;
  const end = root ? new Uint8Array([0]) : prefixEnd(folder);
  let cursor = root ? new Uint8Array([0]) : folder;
  const children: TreeChildren = { folders: [], keys: [], truncated: false };
  for (;;) {
    const answer = await range(gateway, cursor, { rangeEnd: end, keysOnly: true, limit: PAGE });
    const kvs = answer.kvs ?? [];
    let lastFolder: Uint8Array | undefined;
    const newFolders: Uint8Array[] = [];
    const newKeys: Uint8Array[] = [];
    for (const kv of kvs) {
      const key = fromBase64(kv.key);
      lastFolder = childFolder(folder, key);
      if (lastFolder === undefined) newKeys.push(key);
      else if (!equalBytes(newFolders[newFolders.length - 1] ?? children.folders[children.folders.length - 1], lastFolder)) newFolders.push(lastFolder);
    }
    children.folders.push(...newFolders);
    children.keys.push(...newKeys);
    if (newFolders.length + newKeys.length > 0) onPage?.(newFolders, newKeys);
    if (children.folders.length + children.keys.length >= maxChildren) {
      children.truncated = true;
      return children;
    }
    if (!answer.more || kvs.length === 0) return children;
    // After a sub-folder, skip the rest of it; after a key, go on right behind it.
    cursor = lastFolder !== undefined ? prefixEnd(concat(folder, lastFolder, new Uint8Array([SLASH]))) : concat(fromBase64(kvs[kvs.length - 1]!.key), new Uint8Array([0]));
    if (!root && compare(cursor, end) >= 0) return children;
    if (root && cursor.length === 1 && cursor[0] === 0 && lastFolder !== undefined) return children; // the folder ran to the last key
  }
}

/** The sub-folder of `folder` that `key` lies in, or undefined for a key directly in it. */
export function childFolder(folder: Uint8Array, key: Uint8Array): Uint8Array | undefined {
  const slash = key.indexOf(SLASH, folder.length);
  return slash < 0 ? undefined : key.slice(folder.length, slash);
}

function compare(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
